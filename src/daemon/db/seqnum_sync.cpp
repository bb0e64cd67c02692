// Sequence-number propagation between nodes (see seqnum_sync.h).
#include "daemon/db/seqnum_sync.h"

#include "common/logging.h"

namespace ctdb::daemon {

SeqnumSync::SeqnumSync(EventLoop& loop, DbRegistry& dbs, Host host)
    : loop_(loop), dbs_(dbs), host_(std::move(host)), timer_(loop_, [this] {
        check();
        arm();
      }) {}

void SeqnumSync::enable(Database& db) {
  if (!db.seqnum_enabled) {
    db.ltdb->enable_seqnum();
    db.seqnum_enabled = true;
  }
  seen_[db.db_id] = db.ltdb->seqnum();
  if (!timer_.pending()) arm();
}

bool SeqnumSync::peer_changed(uint32_t db_id) {
  Database* db = dbs_.find(db_id);
  if (db == nullptr) return false;
  db->ltdb->increment_seqnum();
  // Recorded as seen, so the next check does not announce it back.
  auto it = seen_.find(db_id);
  if (it != seen_.end()) it->second = db->ltdb->seqnum();
  return true;
}

void SeqnumSync::check() {
  for (auto it = seen_.begin(); it != seen_.end();) {
    Database* db = dbs_.find(it->first);
    if (db == nullptr) {  // detached
      it = seen_.erase(it);
      continue;
    }
    int now = db->ltdb->seqnum();
    if (now != it->second) {
      it->second = now;
      host_.broadcast_update(db->db_id);
    }
    ++it;
  }
}

void SeqnumSync::arm() {
  if (seen_.empty()) return;
  uint32_t ms = host_.interval_ms();
  timer_.start((ms == 0 ? 1 : ms) / 1000.0);
}

}  // namespace ctdb::daemon
