// Local TDB files as CTDB keeps them: a RAII libtdb handle whose record
// values start with the 24-byte ltdb header, plus the db_id and file naming rules.
#pragma once

#include <sys/types.h>
#include <tdb.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/types.h"

namespace ctdb {

using proto::Bytes;
using proto::kLtdbHeaderSize;
using proto::LtdbHeader;

// CTDB's hash of a key (libtdb's Jenkins hash). The lmaster of a record is
// vnnmap[ctdb_hash(key) % vnnmap.size].
uint32_t ctdb_hash(const uint8_t* data, size_t len);
inline uint32_t ctdb_hash(const Bytes& key) { return ctdb_hash(key.data(), key.size()); }
// The lmaster of `key` under `vnnmap`; nullopt when the map is empty.
inline std::optional<uint32_t> lmaster_of(const proto::VnnMap& vnnmap, const Bytes& key) {
  if (vnnmap.map.empty()) return std::nullopt;
  return vnnmap.map[ctdb_hash(key) % vnnmap.map.size()];
}

// The database id 4.17 derives from a name: ctdb_hash over the name and its
// terminating NUL. E.g. "locking.tdb" -> 0x7a19d84d.
uint32_t db_id_for_name(std::string_view name);

// "NAME.PNN", the file name of a database inside its directory.
std::string ltdb_file_name(std::string_view db_name, uint32_t pnn);

// The tdb_flags 4.17 ctdbd opens a database with, from CTDB_DB_FLAGS_*:
// persistent -> TDB_DISALLOW_NESTING (0x400); volatile and replicated ->
// TDB_NOSYNC|TDB_CLEAR_IF_FIRST|TDB_INCOMPATIBLE_HASH|TDB_DISALLOW_NESTING,
// plus TDB_MUTEX_LOCKING for volatile ones when use_mutexes and the system
// has robust mutexes (0x1c41, what a stock node logs and reports through
// DB_OPEN_FLAGS). smbd opens the same file with these flags.
int ltdb_tdb_flags(uint8_t db_flags, bool use_mutexes);

enum class LtdbStatus {
  kOk,
  kNotFound,
  kCorrupt,  // the stored value is shorter than a record header
  kBusy,     // a non-blocking lock or transaction could not be taken
  kError,    // any other libtdb error; see Ltdb::error_string()
};

// An open tdb file. Not copyable; closing happens in the destructor.
// Every method is a thin synchronous call into libtdb: the blocking ones
// (chainlock, transaction_start, lockall) must not be called from the
// daemon's reactor on a database other processes lock (use the _nonblock or
// _mark variants there).
class Ltdb {
 public:
  struct OpenOptions {
    int hash_size = 0;  // 0 = libtdb default; ignored for an existing file
    int tdb_flags = TDB_DEFAULT;
    int open_flags = 0;  // O_RDWR | O_CREAT when 0
    mode_t mode = 0600;
    int max_dead = -1;  // >= 0: tdb_set_max_dead (4.17: DatabaseMaxDead)
  };

  // Opens (creating if allowed) the file. On failure returns null and sets
  // *error to "PATH: REASON".
  static std::unique_ptr<Ltdb> open(const std::string& path, const OpenOptions& options,
                                    std::string* error);

  ~Ltdb();
  Ltdb(const Ltdb&) = delete;
  Ltdb& operator=(const Ltdb&) = delete;

  // Records with their ltdb header.
  LtdbStatus fetch(const Bytes& key, LtdbHeader* header, Bytes* data) const;
  bool store(const Bytes& key, const LtdbHeader& header, const Bytes& data);
  // Deleting a missing key returns kNotFound.
  LtdbStatus remove(const Bytes& key);
  bool exists(const Bytes& key) const;

  // Calls fn for every record that has a header, in tdb order; fn returns
  // false to stop. read_only uses tdb_traverse_read (shared locks, no
  // changes from fn allowed). Values shorter than a header are skipped and
  // counted in *skipped. Returns the number of records passed to fn, or -1.
  using TraverseFn = std::function<bool(const Bytes& key, const LtdbHeader&, const Bytes& data)>;
  int traverse(const TraverseFn& fn, bool read_only = true, size_t* skipped = nullptr);

  // The stored value as it is, header included (special keys, tools).
  LtdbStatus fetch_raw(const Bytes& key, Bytes* value) const;
  bool store_raw(const Bytes& key, const Bytes& value);

  // Transactions (persistent databases, recovery). commit returns false
  // and leaves no transaction behind if the commit fails.
  bool transaction_start();
  LtdbStatus transaction_start_nonblock();
  bool transaction_prepare_commit();
  bool transaction_commit();
  bool transaction_cancel();
  bool transaction_active() const;

  // Recovery freeze: takes every lock of the file without waiting (kBusy if
  // another process holds one), then keeps holding them while libtdb works
  // on the handle without locking (TDB_NOLOCK) — so transactions, traverses
  // and stores run here while every other process is locked out. thaw()
  // releases it all.
  LtdbStatus freeze_nonblock();
  bool thaw();
  bool frozen() const { return frozen_; }

  // Chain (record) locks. The _mark pair records in this handle a lock that
  // another process (a lock helper child) took, so later operations here
  // act as if we held it, without touching fcntl locks.
  bool chainlock(const Bytes& key);
  LtdbStatus chainlock_nonblock(const Bytes& key);
  bool chainunlock(const Bytes& key);
  bool chainlock_mark(const Bytes& key);
  bool chainlock_unmark(const Bytes& key);

  // Whole-database locks (freeze during recovery), same pattern.
  LtdbStatus lockall_nonblock();
  bool unlockall();
  bool lockall_mark();
  bool lockall_unmark();

  bool wipe_all();
  bool repack();
  // tdb's change counter in the file header (moves only once enabled).
  int seqnum() const;
  void enable_seqnum();
  // Moves the counter by one without waiting for a lock (a change elsewhere).
  void increment_seqnum();

  const std::string& path() const { return path_; }
  int hash_size() const;
  int tdb_flags() const;
  int fd() const;
  tdb_context* raw() const { return tdb_; }
  std::string error_string() const;

 private:
  Ltdb(tdb_context* tdb, std::string path) : tdb_(tdb), path_(std::move(path)) {}
  tdb_context* tdb_;
  std::string path_;
  bool frozen_ = false;
};

// Starts a transaction and cancels it on destruction unless committed.
class LtdbTransaction {
 public:
  explicit LtdbTransaction(Ltdb* db) : db_(db), active_(db->transaction_start()) {}
  ~LtdbTransaction() {
    if (active_) db_->transaction_cancel();
  }
  LtdbTransaction(const LtdbTransaction&) = delete;
  LtdbTransaction& operator=(const LtdbTransaction&) = delete;

  bool started() const { return active_; }
  // Commits; afterwards the guard does nothing. False if the commit failed
  // (libtdb has then cancelled the transaction).
  bool commit() {
    if (!active_) return false;
    active_ = false;
    return db_->transaction_commit();
  }

 private:
  Ltdb* db_;
  bool active_;
};

// Holds a chain lock (or a mark of one) for its lifetime.
class LtdbChainLock {
 public:
  enum class Mode { kBlocking, kNonBlocking, kMark };
  LtdbChainLock(Ltdb* db, Bytes key, Mode mode);
  ~LtdbChainLock();
  LtdbChainLock(const LtdbChainLock&) = delete;
  LtdbChainLock& operator=(const LtdbChainLock&) = delete;

  bool locked() const { return locked_; }

 private:
  Ltdb* db_;
  Bytes key_;
  Mode mode_;
  bool locked_ = false;
};

}  // namespace ctdb
