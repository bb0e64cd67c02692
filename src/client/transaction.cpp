// Persistent database transactions over g_lock and TRANS3_COMMIT (see transaction.h).
#include "client/transaction.h"

#include <errno.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <thread>
#include <utility>

#include "client/log.h"

namespace ctdb::client {
namespace {

// How long a refused commit is sent again (a recovery takes seconds).
constexpr std::chrono::seconds kCommitRetryFor(30);

Bytes lock_key(const std::string& name) {
  Bytes key(name.begin(), name.end());
  key.push_back(0);
  return key;
}

bool same_sid(const proto::ServerId& a, const proto::ServerId& b) {
  return a.pid == b.pid && a.task_id == b.task_id && a.vnn == b.vnn && a.unique_id == b.unique_id;
}

bool conflicts(uint32_t held, uint32_t wanted) {
  return !(held == G_LOCK_READ && wanted == G_LOCK_READ);
}

Bytes seqnum_key() {
  std::string k = DB_SEQNUM_KEY;
  return Bytes(k.c_str(), k.c_str() + k.size() + 1);
}

// Whether the local copy holds every record of the commit as the commit has it (the last
// version of each key, its RSN and dmaster included). The sequence number alone can mislead: a
// writer whose g_lock entry was lost with a node (g_lock.tdb is volatile) may have raced one
// other commit, whose number is the same +1, and whose values may be the same bytes (two
// increments of one counter from the same value).
bool commit_visible(const Database& db, const proto::RecBuffer& recbuf) {
  std::map<Bytes, std::pair<proto::LtdbHeader, Bytes>> last;
  recbuf.for_each([&](const proto::RecData& rec) {
    proto::LtdbHeader header;
    Bytes value;
    if (rec.split_header(&header, &value)) last[rec.key] = {header, std::move(value)};
    return true;
  });
  for (const auto& [key, want] : last) {
    proto::LtdbHeader header;
    Bytes now;
    if (db.ltdb_fetch(key, &header, &now) != 0 || now != want.second ||
        header.rsn != want.first.rsn || header.dmaster != want.first.dmaster) {
      return false;
    }
  }
  return true;
}

}  // namespace

int g_lock_lock(Client& c, Database& g_lock_db, const std::string& name, const proto::ServerId& sid,
                bool readonly) {
  const Bytes key = lock_key(name);
  const uint32_t type = readonly ? G_LOCK_READ : G_LOCK_WRITE;
  int backoff_ms = 1;
  for (;;) {
    std::unique_ptr<RecordLock> rec;
    int err = RecordLock::fetch(c, g_lock_db, key, false, &rec);
    if (err != 0) {
      log(LogLevel::kError, "g_lock_lock: %s fetch lock failed\n", name.c_str());
      return err;
    }
    proto::GLockList list;
    if (!proto::from_bytes(rec->value(), &list)) {
      log(LogLevel::kError, "g_lock_lock: %s invalid lock data\n", name.c_str());
      return EPROTO;
    }
    bool holder_alive = false;
    size_t i = 0;
    while (i < list.locks.size()) {
      const proto::GLock& held = list.locks[i];
      if (same_sid(held.sid, sid)) {
        log(LogLevel::kError, "g_lock_lock: %s deadlock\n", name.c_str());
        return EDEADLK;
      }
      if (!conflicts(held.type, type)) {
        i++;
        continue;
      }
      // A conflicting holder: wait for it unless its process is gone.
      ControlReply reply;
      Bytes in;
      proto::Writer w(&in);
      w.i32(static_cast<int32_t>(held.sid.pid));
      err = c.control(held.sid.vnn, CONTROL_PROCESS_EXISTS, in, Deadline::never(), &reply);
      if (err != 0) {
        log(LogLevel::kError, "g_lock_lock: %s PROCESS_EXISTS failed, ret=%d\n", name.c_str(), err);
        return err;
      }
      if (reply.status == 0) {
        holder_alive = true;
        break;
      }
      list.locks[i] = list.locks.back();
      list.locks.pop_back();
      err = rec->store(proto::to_bytes(list));
      if (err != 0) return err;
    }
    if (holder_alive) {
      rec.reset();
      // The holder is busy: poll again, backing off from 1 ms to 100 ms so
      // that many waiters do not flood the daemons with fetch-locks (a stock
      // daemon forks a lock helper for each contended one).
      std::this_thread::sleep_for(std::chrono::milliseconds(backoff_ms));
      backoff_ms = std::min(backoff_ms * 2, 100);
      continue;
    }
    proto::GLock mine;
    mine.type = type;
    mine.sid = sid;
    list.locks.push_back(mine);
    return rec->store(proto::to_bytes(list));
  }
}

int g_lock_unlock(Client& c, Database& g_lock_db, const std::string& name,
                  const proto::ServerId& sid) {
  std::unique_ptr<RecordLock> rec;
  int err = RecordLock::fetch(c, g_lock_db, lock_key(name), false, &rec);
  if (err != 0) {
    log(LogLevel::kError, "g_lock_unlock: %s fetch lock failed\n", name.c_str());
    return err;
  }
  proto::GLockList list;
  if (!proto::from_bytes(rec->value(), &list)) {
    log(LogLevel::kError, "g_lock_unlock: %s invalid lock data\n", name.c_str());
    return EPROTO;
  }
  for (size_t i = 0; i < list.locks.size(); i++) {
    if (same_sid(list.locks[i].sid, sid)) {
      list.locks[i] = list.locks.back();
      list.locks.pop_back();
      break;
    }
  }
  if (!list.locks.empty()) return rec->store(proto::to_bytes(list));
  err = rec->remove();
  if (err != 0) {
    log(LogLevel::kError, "g_lock_unlock %s delete record failed, ret=%d\n", name.c_str(), err);
  }
  return err;
}

Transaction::Transaction(Client& c, Database& db, bool readonly)
    : client_(c), db_(db), readonly_(readonly) {
  // One server id per (process, database) so one client can hold
  // transactions on several databases.
  sid_.pid = static_cast<uint64_t>(getpid());
  sid_.task_id = db.db_id();
  sid_.vnn = c.pnn();
  sid_.unique_id = (static_cast<uint64_t>(db.db_id()) << 32) | sid_.pid;
  char name[64];
  snprintf(name, sizeof(name), "transaction_db_0x%08x", db.db_id());
  lock_name_ = name;
  recbuf_.db_id = db.db_id();
}

Transaction::~Transaction() {
  if (locked_) release();
}

int Transaction::start(Client& c, const Deadline& d, Database& db, bool readonly,
                       std::unique_ptr<Transaction>* out) {
  if (db.is_volatile()) return EINVAL;
  std::unique_ptr<Transaction> t(new Transaction(c, db, readonly));
  int err = Database::attach(c, d, "g_lock.tdb", 0, &t->g_lock_db_);
  if (err != 0) {
    log(LogLevel::kError, "transaction_start: %s attach g_lock.tdb failed\n", db.name().c_str());
    return err;
  }
  err = g_lock_lock(c, *t->g_lock_db_, t->lock_name_, t->sid_, readonly);
  if (err != 0) {
    log(LogLevel::kError, "transaction_start: %s g_lock lock failed, ret=%d\n", db.name().c_str(),
        err);
    return err;
  }
  t->locked_ = true;
  *out = std::move(t);
  return 0;
}

bool Transaction::find(const Bytes& key, proto::LtdbHeader* header, Bytes* value) const {
  auto it = latest_.find(key);
  if (it == latest_.end()) return false;
  *header = it->second.first;
  *value = it->second.second;
  return true;
}

void Transaction::add(const proto::LtdbHeader& header, const Bytes& key, const Bytes& value) {
  recbuf_.add(0, &header, key, value);
  latest_[key] = {header, value};
}

int Transaction::fetch(const Bytes& key, Bytes* value) {
  proto::LtdbHeader header;
  if (find(key, &header, value)) return 0;
  int err = db_.ltdb_fetch(key, &header, value);
  if (err != 0) return err;
  // Remember what we read so the commit carries a consistent view.
  add(header, key, *value);
  return 0;
}

int Transaction::store(const Bytes& key, const Bytes& value) {
  if (readonly_) return EINVAL;
  proto::LtdbHeader header;
  Bytes old;
  if (!find(key, &header, &old)) {
    int err = db_.ltdb_fetch(key, &header, &old);
    if (err != 0) return err;
  }
  if (old == value) return 0;
  header.dmaster = client_.pnn();
  header.rsn += 1;
  add(header, key, value);
  updated_ = true;
  return 0;
}

int Transaction::fetch_seqnum(uint64_t* seqnum) const {
  proto::LtdbHeader header;
  Bytes data;
  int err = db_.ltdb_fetch(seqnum_key(), &header, &data);
  if (err != 0) {
    log(LogLevel::kError, "transaction_commit: %s seqnum fetch failed, ret=%d\n",
        db_.name().c_str(), err);
    return err;
  }
  if (data.empty()) {
    *seqnum = 0;
    return 0;
  }
  proto::Reader r(data);
  if (data.size() != 8 || !r.u64(seqnum)) return EINVAL;
  return 0;
}

int Transaction::release() {
  locked_ = false;
  return g_lock_unlock(client_, *g_lock_db_, lock_name_, sid_);
}

int Transaction::cancel() {
  if (!locked_) return 0;
  int err = release();
  if (err != 0) {
    log(LogLevel::kError, "transaction_cancel: %s g_lock unlock failed, ret=%d\n",
        db_.name().c_str(), err);
  }
  return err;
}

int Transaction::commit() {
  if (!locked_) return EINVAL;
  if (readonly_ || !updated_) return cancel();
  uint64_t seqnum = 0;
  int err = fetch_seqnum(&seqnum);
  if (err != 0) return err;
  Bytes next;
  proto::Writer w(&next);
  w.u64(seqnum + 1);
  err = store(seqnum_key(), next);
  if (err != 0) return err;

  // 4.17's client sends the commit again for as long as the daemon refuses it
  // and the sequence number has not moved; a node that cannot take commits
  // (its disk full, it is banned) would keep it spinning. Ours retries with a
  // growing pause for a while, then reports the daemon's reason.
  Deadline give_up = Deadline::after(kCommitRetryFor);
  auto pause = std::chrono::milliseconds(50);
  for (;;) {
    ControlReply reply;
    err = client_.control(client_.pnn(), CONTROL_TRANS3_COMMIT, proto::to_bytes(recbuf_),
                          Deadline::never(), &reply);
    if (err != 0) {
      log(LogLevel::kError, "transaction_commit: %s TRANS3_COMMIT failed, ret=%d\n",
          db_.name().c_str(), err);
      return err;
    }
    if (reply.status == 0) break;
    // A recovery may have interrupted the commit: the sequence number tells
    // whether it went through (+1) or must be sent again (unchanged).
    uint64_t now = 0;
    err = fetch_seqnum(&now);
    if (err != 0) return err;
    if (now == seqnum) {
      if (give_up.expired()) {
        log(LogLevel::kError, "transaction_commit: %s TRANS3_COMMIT refused: %s\n",
            db_.name().c_str(), reply.errmsg.empty() ? "no reason given" : reply.errmsg.c_str());
        return EIO;
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(1000));
      continue;
    }
    if (now != seqnum + 1) {
      log(LogLevel::kError, "transaction_commit: %s seqnum mismatch 0x%llx != 0x%llx + 1\n",
          db_.name().c_str(), static_cast<unsigned long long>(now),
          static_cast<unsigned long long>(seqnum));
      return EIO;
    }
    // 4.17's client stops here; ours also checks that the +1 is this commit.
    if (!commit_visible(db_, recbuf_)) {
      log(LogLevel::kError, "transaction_commit: %s seqnum 0x%llx is another commit's\n",
          db_.name().c_str(), static_cast<unsigned long long>(now));
      return EIO;
    }
    break;
  }
  err = release();
  if (err != 0) {
    log(LogLevel::kError, "transaction_commit: %s g_lock unlock failed, ret=%d\n",
        db_.name().c_str(), err);
  }
  return err;
}

}  // namespace ctdb::client
