// Transactions on persistent (and replicated) databases the way 4.17 clients
// run them: a g_lock entry in g_lock.tdb serialises writers cluster-wide,
// changes collect in a rec_buffer, and TRANS3_COMMIT applies them everywhere
// together with an incremented __db_sequence_number__.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "client/database.h"

namespace ctdb::client {

// Global lock helpers on g_lock.tdb records (exposed for tests and tools).
// The lock record's key is `name` with its NUL; its value a GLockList.
int g_lock_lock(Client& c, Database& g_lock_db, const std::string& name, const proto::ServerId& sid,
                bool readonly);
int g_lock_unlock(Client& c, Database& g_lock_db, const std::string& name,
                  const proto::ServerId& sid);

class Transaction {
 public:
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Takes the database's g_lock (read lock when readonly). `db` must outlive
  // the transaction.
  static int start(Client& c, const Deadline& d, Database& db, bool readonly,
                   std::unique_ptr<Transaction>* out);

  // The value as this transaction sees it (empty if absent).
  int fetch(const Bytes& key, Bytes* value);
  int store(const Bytes& key, const Bytes& value);
  int remove(const Bytes& key) { return store(key, Bytes()); }

  // Commits (or, with nothing changed, just releases the lock). The
  // transaction is finished afterwards whatever the result.
  int commit();
  // Drops the changes and releases the lock.
  int cancel();

 private:
  Transaction(Client& c, Database& db, bool readonly);
  // Last version of `key` in the buffer, if any.
  bool find(const Bytes& key, proto::LtdbHeader* header, Bytes* value) const;
  // Adds a record to the buffer and to the index of last versions.
  void add(const proto::LtdbHeader& header, const Bytes& key, const Bytes& value);
  int fetch_seqnum(uint64_t* seqnum) const;
  int release();

  Client& client_;
  Database& db_;
  std::unique_ptr<Database> g_lock_db_;
  bool readonly_;
  bool updated_ = false;
  bool locked_ = false;
  proto::ServerId sid_;
  std::string lock_name_;
  proto::RecBuffer recbuf_;
  // The last version of every key in recbuf_: a lookup per store instead of a walk of the
  // buffer, which made a big `ctdb ptrans` quadratic.
  std::map<Bytes, std::pair<proto::LtdbHeader, Bytes>> latest_;
};

}  // namespace ctdb::client
