// One-shot (mongosh): turn the single mongod into replica set rs0 and wait until it
// is PRIMARY. Idempotent: an already-initiated set is left as it is.
// A replica set, even of one node, is what gives Parley's deployment change streams
// and multi-document transactions, and the same topology as a grown cluster.
try {
  rs.status();
  print("replica set rs0 already initiated");
} catch (e) {
  if (e.codeName !== "NotYetInitialized") {
    throw e;
  }
  // The member's host must be the name the other containers resolve.
  rs.initiate({ _id: "rs0", members: [{ _id: 0, host: "mongo:27017" }] });
  print("replica set rs0 initiated");
}

for (let i = 0; i < 60; i++) {
  if (db.hello().isWritablePrimary) {
    print("rs0 has a primary");
    quit(0);
  }
  sleep(1000);
}
print("rs0 did not elect a primary within 60 s");
quit(1);
