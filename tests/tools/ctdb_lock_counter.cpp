// Test client: increments a counter in one record COUNT times.
// Volatile database: under fetch-lock (the smbd pattern: chain-lock the local
// tdb, migrate the record here through the daemon when this node is not
// dmaster, change it, unlock), optionally holding each lock for a while.
// Persistent database (-p): in a transaction (g_lock + TRANS3_COMMIT).
// -r with COUNT 0 reads the value under a read-only fetch-lock (a read-only
// copy delegated by the dmaster, on databases set readonly).
// With CTDB_COUNTER_WAIT_FILE set, a persistent increment prints "stored" once
// it holds the g_lock and has stored its change, and commits only once that
// file exists (a commit started at a chosen moment: tests/netns/test_partition_netns.sh).
//   ctdb_lock_counter [-p] SOCKET DB KEY COUNT [HOLD_MS]  -> increments COUNT times
//   ctdb_lock_counter [-p] SOCKET DB KEY 0                -> prints the value
// With HOLD_MS, "locked N" is printed once the Nth lock is held, before holding it HOLD_MS.
// Exits non-zero with a message on stderr on any failure.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "client/client.h"
#include "client/database.h"
#include "client/transaction.h"

using ctdb::client::Client;
using ctdb::client::Database;
using ctdb::client::Deadline;
using ctdb::client::RecordLock;
using ctdb::client::Transaction;

namespace {

uint64_t value_of(const ctdb::proto::Bytes& v) {
  uint64_t n = 0;
  if (v.size() == sizeof(n)) memcpy(&n, v.data(), sizeof(n));
  return n;
}

}  // namespace

ctdb::proto::Bytes bytes_of(uint64_t n) {
  ctdb::proto::Bytes v(sizeof(n));
  memcpy(v.data(), &n, sizeof(n));
  return v;
}

int persistent_counter(Client& client, Database& db, const ctdb::proto::Bytes& key, long count) {
  for (long i = 0; i < std::max(count, 1L); i++) {
    std::unique_ptr<Transaction> t;
    if (int ret = Transaction::start(client, Deadline::after_seconds(60), db, count == 0, &t);
        ret != 0) {
      fprintf(stderr, "transaction start %ld failed: %d\n", i, ret);
      return 1;
    }
    ctdb::proto::Bytes v;
    if (int ret = t->fetch(key, &v); ret != 0) {
      fprintf(stderr, "transaction fetch %ld failed: %d\n", i, ret);
      return 1;
    }
    if (count == 0) {
      printf("%llu\n", static_cast<unsigned long long>(value_of(v)));
      t->cancel();
      return 0;
    }
    if (int ret = t->store(key, bytes_of(value_of(v) + 1)); ret != 0) {
      fprintf(stderr, "transaction store %ld failed: %d\n", i, ret);
      return 1;
    }
    if (const char* wait_file = getenv("CTDB_COUNTER_WAIT_FILE")) {
      printf("stored\n");
      fflush(stdout);
      while (access(wait_file, F_OK) != 0) usleep(20000);
    }
    if (int ret = t->commit(); ret != 0) {
      fprintf(stderr, "transaction commit %ld failed: %d\n", i, ret);
      return 1;
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  bool persistent = argc > 1 && strcmp(argv[1], "-p") == 0;
  bool readonly = argc > 1 && strcmp(argv[1], "-r") == 0;
  if (persistent || readonly) {
    argv++;
    argc--;
  }
  if (argc < 5) {
    fprintf(stderr, "usage: %s [-p|-r] SOCKET DB KEY COUNT [HOLD_MS]\n", argv[0]);
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
  uint8_t flags = persistent ? ctdb::DB_FLAGS_PERSISTENT : 0;
  if (int ret = Database::attach(*client, Deadline::after_seconds(30), argv[2], flags, &db);
      ret != 0) {
    fprintf(stderr, "attach %s failed: %d\n", argv[2], ret);
    return 1;
  }
  ctdb::proto::Bytes key(argv[3], argv[3] + strlen(argv[3]));
  if (persistent) return persistent_counter(*client, *db, key, count);
  if (count == 0) {
    std::unique_ptr<RecordLock> lock;
    if (int ret = RecordLock::fetch(*client, *db, key, readonly, &lock); ret != 0) {
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
    ctdb::proto::Bytes v = bytes_of(value_of(lock->value()) + 1);
    if (hold_ms > 0) {
      printf("locked %ld\n", i + 1);  // a test knows the lock is held from here
      fflush(stdout);
      usleep(static_cast<useconds_t>(hold_ms) * 1000);
    }
    if (int ret = lock->store(v); ret != 0) {
      fprintf(stderr, "store %ld failed: %d\n", i, ret);
      return 1;
    }
  }
  return 0;
}
