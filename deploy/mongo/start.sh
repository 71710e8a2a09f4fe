#!/bin/bash
# MongoDB with access control as a replica set of one: refuse placeholder passwords, make the replica
# set's key file on the first start (kept in its own volume), then the image's own entrypoint, which
# creates the root user and runs /docker-entrypoint-initdb.d/ on the first start only.
set -euo pipefail

refuse() { echo "mongo: refusing to start: $1 (see docs/deployment.md)" >&2; exit 3; }
for name in MONGO_INITDB_ROOT_PASSWORD MONGO_APP_PASSWORD; do
  value="${!name:-}"
  [ -n "$value" ] || refuse "$name is not set"
  case "${value,,}" in *change*me*|*placeholder*|*example*|*password*) refuse "$name is a placeholder" ;; esac
  [ "${#value}" -ge 24 ] || refuse "$name is ${#value} characters; it needs at least 24"
done

key=/data/keyfile/replica-set.key
if [ ! -s "$key" ]; then
  # 756 random bytes as base64 (1008 characters): within the 6..1024 characters a key file may hold.
  head -c 756 /dev/urandom | base64 -w 0 > "$key.new"
  mv "$key.new" "$key"
fi
chown 999:999 "$key"
chmod 400 "$key"

exec docker-entrypoint.sh mongod --replSet rs0 --bind_ip_all --keyFile "$key" "$@"
