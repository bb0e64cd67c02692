// Ltdb: libtdb handle with CTDB record headers, db_id hashing and the 4.17
// open flags; tdb's own log messages go to our logger.
#include "common/ltdb.h"

#include <fcntl.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "common/logging.h"

namespace ctdb {
namespace {

TDB_DATA as_tdb(const Bytes& b) {
  // libtdb takes non-const pointers but does not write through them for keys.
  return TDB_DATA{const_cast<uint8_t*>(b.data()), b.size()};
}

void tdb_log(tdb_context* tdb, tdb_debug_level level, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

void tdb_log(tdb_context* tdb, tdb_debug_level level, const char* fmt, ...) {
  int lvl = kLogDebug;
  switch (level) {
    case TDB_DEBUG_FATAL:
    case TDB_DEBUG_ERROR:
      lvl = kLogError;
      break;
    case TDB_DEBUG_WARNING:
      lvl = kLogWarning;
      break;
    case TDB_DEBUG_TRACE:
      lvl = kLogDebug;
      break;
  }
  if (!logging::enabled(lvl)) return;
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  const char* name = tdb ? tdb_name(tdb) : nullptr;
  logging::printf(lvl, "tdb(%s): %s", name ? name : "?", buf);
}

bool decode_header(const uint8_t* p, size_t n, LtdbHeader* header) {
  proto::Reader r(p, n);
  return proto::decode(r, header);
}

// Parses a value into header + data; false when it is too short.
bool split_value(const uint8_t* p, size_t n, LtdbHeader* header, Bytes* data) {
  if (n < kLtdbHeaderSize || !decode_header(p, kLtdbHeaderSize, header)) return false;
  if (data) data->assign(p + kLtdbHeaderSize, p + n);
  return true;
}

LtdbStatus status_of(tdb_context* tdb) {
  switch (tdb_error(tdb)) {
    case TDB_SUCCESS:
      return LtdbStatus::kOk;
    case TDB_ERR_NOEXIST:
      return LtdbStatus::kNotFound;
    case TDB_ERR_LOCK:
    case TDB_ERR_NOLOCK:
    case TDB_ERR_LOCK_TIMEOUT:
      return LtdbStatus::kBusy;
    default:
      return LtdbStatus::kError;
  }
}

struct TraverseState {
  const Ltdb::TraverseFn* fn;
  size_t skipped = 0;
  int visited = 0;
};

int traverse_cb(tdb_context*, TDB_DATA key, TDB_DATA value, void* priv) {
  auto* st = static_cast<TraverseState*>(priv);
  LtdbHeader header;
  Bytes data;
  if (!split_value(value.dptr, value.dsize, &header, &data)) {
    st->skipped++;
    return 0;
  }
  Bytes k(key.dptr, key.dptr + key.dsize);
  st->visited++;
  return (*st->fn)(k, header, data) ? 0 : 1;
}

}  // namespace

uint32_t ctdb_hash(const uint8_t* data, size_t len) {
  TDB_DATA d{const_cast<uint8_t*>(data), len};
  return tdb_jenkins_hash(&d);
}

uint32_t db_id_for_name(std::string_view name) {
  // 4.17 hashes the C string including its NUL terminator.
  Bytes b(name.begin(), name.end());
  b.push_back(0);
  return ctdb_hash(b);
}

std::string ltdb_file_name(std::string_view db_name, uint32_t pnn) {
  return std::string(db_name) + "." + std::to_string(pnn);
}

int ltdb_tdb_flags(uint8_t db_flags, bool use_mutexes) {
  int flags = 0;
  if (db_flags & DB_FLAGS_PERSISTENT) {
    flags = TDB_DEFAULT;
  } else {
    // Volatile contents are rebuilt by recovery, so no fsync and a wipe on
    // first open; the newer hash keeps chains short.
    flags = TDB_NOSYNC | TDB_CLEAR_IF_FIRST | TDB_INCOMPATIBLE_HASH;
    if (!(db_flags & DB_FLAGS_REPLICATED) && use_mutexes &&
        tdb_runtime_check_for_robust_mutexes()) {
      flags |= TDB_MUTEX_LOCKING;
    }
  }
  return flags | TDB_DISALLOW_NESTING;
}

std::unique_ptr<Ltdb> Ltdb::open(const std::string& path, const OpenOptions& options,
                                 std::string* error) {
  tdb_logging_context log_ctx{tdb_log, nullptr};
  int open_flags = options.open_flags != 0 ? options.open_flags : (O_RDWR | O_CREAT);
  errno = 0;
  tdb_context* tdb = tdb_open_ex(path.c_str(), options.hash_size, options.tdb_flags, open_flags,
                                 options.mode, &log_ctx, nullptr);
  if (tdb == nullptr) {
    if (error) *error = path + ": " + (errno ? std::strerror(errno) : "tdb_open failed");
    return nullptr;
  }
  // libtdb may drop some requested flags at open (e.g. CLEAR_IF_FIRST once
  // applied); 4.17 adds them back so DB_OPEN_FLAGS reports what was asked
  // for, which is what smbd must open the file with.
  tdb_add_flags(tdb, static_cast<unsigned>(options.tdb_flags));
  if (options.max_dead >= 0) tdb_set_max_dead(tdb, options.max_dead);
  return std::unique_ptr<Ltdb>(new Ltdb(tdb, path));
}

Ltdb::~Ltdb() {
  thaw();
  if (tdb_ != nullptr) tdb_close(tdb_);
}

LtdbStatus Ltdb::fetch(const Bytes& key, LtdbHeader* header, Bytes* data) const {
  TDB_DATA v = tdb_fetch(tdb_, as_tdb(key));
  if (v.dptr == nullptr)
    return status_of(tdb_) == LtdbStatus::kError ? LtdbStatus::kError : LtdbStatus::kNotFound;
  bool ok = split_value(v.dptr, v.dsize, header, data);
  std::free(v.dptr);
  return ok ? LtdbStatus::kOk : LtdbStatus::kCorrupt;
}

bool Ltdb::store(const Bytes& key, const LtdbHeader& header, const Bytes& data) {
  Bytes h;
  h.reserve(kLtdbHeaderSize);
  proto::Writer w(&h);
  proto::encode(w, header);
  // One tdb_storev keeps header and data in a single record write.
  TDB_DATA parts[2] = {as_tdb(h), as_tdb(data)};
  return tdb_storev(tdb_, as_tdb(key), parts, 2, TDB_REPLACE) == 0;
}

LtdbStatus Ltdb::remove(const Bytes& key) {
  if (tdb_delete(tdb_, as_tdb(key)) == 0) return LtdbStatus::kOk;
  return status_of(tdb_);
}

bool Ltdb::exists(const Bytes& key) const { return tdb_exists(tdb_, as_tdb(key)) == 1; }

int Ltdb::traverse(const TraverseFn& fn, bool read_only, size_t* skipped) {
  TraverseState st;
  st.fn = &fn;
  int rc =
      read_only ? tdb_traverse_read(tdb_, traverse_cb, &st) : tdb_traverse(tdb_, traverse_cb, &st);
  if (skipped) *skipped = st.skipped;
  return rc < 0 ? -1 : st.visited;
}

LtdbStatus Ltdb::fetch_raw(const Bytes& key, Bytes* value) const {
  TDB_DATA v = tdb_fetch(tdb_, as_tdb(key));
  if (v.dptr == nullptr)
    return status_of(tdb_) == LtdbStatus::kError ? LtdbStatus::kError : LtdbStatus::kNotFound;
  value->assign(v.dptr, v.dptr + v.dsize);
  std::free(v.dptr);
  return LtdbStatus::kOk;
}

bool Ltdb::store_raw(const Bytes& key, const Bytes& value) {
  return tdb_store(tdb_, as_tdb(key), as_tdb(value), TDB_REPLACE) == 0;
}

bool Ltdb::transaction_start() { return tdb_transaction_start(tdb_) == 0; }

LtdbStatus Ltdb::transaction_start_nonblock() {
  if (tdb_transaction_start_nonblock(tdb_) == 0) return LtdbStatus::kOk;
  return status_of(tdb_);
}

bool Ltdb::transaction_prepare_commit() { return tdb_transaction_prepare_commit(tdb_) == 0; }
bool Ltdb::transaction_commit() { return tdb_transaction_commit(tdb_) == 0; }
bool Ltdb::transaction_cancel() { return tdb_transaction_cancel(tdb_) == 0; }
LtdbStatus Ltdb::freeze_nonblock() {
  if (frozen_) return LtdbStatus::kOk;
  if (tdb_lockall_nonblock(tdb_) != 0) return status_of(tdb_);
  // The fcntl locks stay ours; libtdb forgets it holds them (a transaction
  // cannot start while it remembers) and stops locking on this handle.
  tdb_lockall_unmark(tdb_);
  tdb_add_flags(tdb_, TDB_NOLOCK);
  frozen_ = true;
  return LtdbStatus::kOk;
}

bool Ltdb::thaw() {
  if (!frozen_) return true;
  tdb_remove_flags(tdb_, TDB_NOLOCK);
  frozen_ = false;
  return tdb_lockall_mark(tdb_) == 0 && tdb_unlockall(tdb_) == 0;
}

bool Ltdb::transaction_active() const { return tdb_transaction_active(tdb_); }

bool Ltdb::chainlock(const Bytes& key) { return tdb_chainlock(tdb_, as_tdb(key)) == 0; }

LtdbStatus Ltdb::chainlock_nonblock(const Bytes& key) {
  if (tdb_chainlock_nonblock(tdb_, as_tdb(key)) == 0) return LtdbStatus::kOk;
  LtdbStatus s = status_of(tdb_);
  return s == LtdbStatus::kOk ? LtdbStatus::kBusy : s;
}

bool Ltdb::chainunlock(const Bytes& key) { return tdb_chainunlock(tdb_, as_tdb(key)) == 0; }
bool Ltdb::chainlock_mark(const Bytes& key) { return tdb_chainlock_mark(tdb_, as_tdb(key)) == 0; }
bool Ltdb::chainlock_unmark(const Bytes& key) {
  return tdb_chainlock_unmark(tdb_, as_tdb(key)) == 0;
}

LtdbStatus Ltdb::lockall_nonblock() {
  if (tdb_lockall_nonblock(tdb_) == 0) return LtdbStatus::kOk;
  LtdbStatus s = status_of(tdb_);
  return s == LtdbStatus::kOk ? LtdbStatus::kBusy : s;
}

bool Ltdb::unlockall() { return tdb_unlockall(tdb_) == 0; }
bool Ltdb::lockall_mark() { return tdb_lockall_mark(tdb_) == 0; }
bool Ltdb::lockall_unmark() { return tdb_lockall_unmark(tdb_) == 0; }
bool Ltdb::wipe_all() { return tdb_wipe_all(tdb_) == 0; }
bool Ltdb::repack() { return tdb_repack(tdb_) == 0; }
int Ltdb::seqnum() const { return tdb_get_seqnum(tdb_); }
void Ltdb::enable_seqnum() { tdb_enable_seqnum(tdb_); }
void Ltdb::increment_seqnum() { tdb_increment_seqnum_nonblock(tdb_); }
int Ltdb::hash_size() const { return tdb_hash_size(tdb_); }
int Ltdb::tdb_flags() const { return tdb_get_flags(tdb_); }
int Ltdb::fd() const { return tdb_fd(tdb_); }
std::string Ltdb::error_string() const { return tdb_errorstr(tdb_); }

LtdbChainLock::LtdbChainLock(Ltdb* db, Bytes key, Mode mode)
    : db_(db), key_(std::move(key)), mode_(mode) {
  switch (mode_) {
    case Mode::kBlocking:
      locked_ = db_->chainlock(key_);
      break;
    case Mode::kNonBlocking:
      locked_ = db_->chainlock_nonblock(key_) == LtdbStatus::kOk;
      break;
    case Mode::kMark:
      locked_ = db_->chainlock_mark(key_);
      break;
  }
}

LtdbChainLock::~LtdbChainLock() {
  if (!locked_) return;
  if (mode_ == Mode::kMark) {
    db_->chainlock_unmark(key_);
  } else {
    db_->chainunlock(key_);
  }
}

}  // namespace ctdb
