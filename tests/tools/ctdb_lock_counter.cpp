// Test client: increments a counter in one record of a volatile database
// COUNT times under fetch-lock (the smbd pattern: chain-lock the local tdb,
// migrate the record here through the daemon when this node is not dmaster,
// change it, unlock), optionally holding each lock for a while.
//   ctdb_lock_counter SOCKET DB KEY COUNT [HOLD_MS]   -> increments COUNT times
//   ctdb_lock_counter SOCKET DB KEY 0                 -> prints the value
// Exits non-zero with a message on stderr on any failure.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "client/client.h"
#include "client/database.h"

using ctdb::client::Client;
using ctdb::client::Database;
using ctdb::client::Deadline;
using ctdb::client::RecordLock;

namespace {

uint64_t value_of(const ctdb::proto::Bytes& v) {
  uint64_t n = 0;
  if (v.size() == sizeof(n)) memcpy(&n, v.data(), sizeof(n));
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s SOCKET DB KEY COUNT [HOLD_MS]\n", argv[0]);
    return 2;
  }
  long count = strtol(argv[4], nullptr, 10);
  long hold_ms = argc > 5 ? strtol(argv[5], nullptr, 10) : 0;
  std::unique_ptr<Client> client;
  if (int ret = Client::connect(argv[1], &client); ret != 0) {
    fprintf(stderr, "connect %s: %s\n", argv[1], strerror(ret));
    return 1;
  }
  std::unique_ptr<Database> db;
  if (int ret = Database::attach(*client, Deadline::after_seconds(30), argv[2], 0, &db);
      ret != 0) {
    fprintf(stderr, "attach %s failed: %d\n", argv[2], ret);
    return 1;
  }
  ctdb::proto::Bytes key(argv[3], argv[3] + strlen(argv[3]));
  if (count == 0) {
    std::unique_ptr<RecordLock> lock;
    if (int ret = RecordLock::fetch(*client, *db, key, false, &lock); ret != 0) {
      fprintf(stderr, "fetch_lock failed: %d\n", ret);
      return 1;
    }
    printf("%llu\n", static_cast<unsigned long long>(value_of(lock->value())));
    return 0;
  }
  for (long i = 0; i < count; i++) {
    std::unique_ptr<RecordLock> lock;
    if (int ret = RecordLock::fetch(*client, *db, key, false, &lock); ret != 0) {
      fprintf(stderr, "fetch_lock %ld failed: %d\n", i, ret);
      return 1;
    }
    uint64_t n = value_of(lock->value()) + 1;
    ctdb::proto::Bytes v(sizeof(n));
    memcpy(v.data(), &n, sizeof(n));
    if (hold_ms > 0) usleep(static_cast<useconds_t>(hold_ms) * 1000);
    if (int ret = lock->store(v); ret != 0) {
      fprintf(stderr, "store %ld failed: %d\n", i, ret);
      return 1;
    }
  }
  return 0;
}
