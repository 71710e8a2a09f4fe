// Runs once, on the first start of an empty data directory (the image's entrypoint runs it as root,
// before the replica set exists). The services connect as this user, which may read and write the
// documents and indexes of one database and nothing else: no user or role administration, no
// dropping of collections or databases, no other database, no server administration. It may rename a
// collection within the database, as an upgrade does (escalation's case_clocks became case_records);
// without dropCollection a rename can never replace an existing collection.
const name = process.env.GRIEVANCE_MONGO_DB || "grievances";
const user = process.env.MONGO_APP_USER || "grievance";
const target = db.getSiblingDB(name);

target.createRole({
  role: "grievanceApplication",
  privileges: [
    {
      resource: { db: name, collection: "" },
      actions: [
        "find",
        "insert",
        "update",
        "remove",
        "createIndex",
        "listIndexes",
        "createCollection",
        "listCollections",
        "renameCollectionSameDB",
      ],
    },
  ],
  roles: [],
});
target.createUser({
  user: user,
  pwd: process.env.MONGO_APP_PASSWORD,
  roles: [{ role: "grievanceApplication", db: name }],
});
print(`created user ${user} with role grievanceApplication on ${name}`);
