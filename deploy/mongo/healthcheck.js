// The health check: as root, initiate the replica set on the first start, then healthy once this
// member is primary. The password is read from the environment, never from a command line.
db.getSiblingDB("admin").auth(process.env.MONGO_INITDB_ROOT_USERNAME, process.env.MONGO_INITDB_ROOT_PASSWORD);
try {
  rs.status();
} catch (e) {
  rs.initiate({ _id: "rs0", members: [{ _id: 0, host: "mongo:27017" }] });
}
quit(db.hello().isWritablePrimary ? 0 : 1);
