// Database sequence numbers across the cluster: ENABLE_SEQNUM turns on tdb's
// change counter for a database, and a periodic check tells the other nodes
// (UPDATE_SEQNUM) that it moved, so each node's counter moves too.
#pragma once

#include <cstdint>
#include <functional>
#include <map>

#include "daemon/db/db_registry.h"
#include "daemon/event_loop.h"

namespace ctdb::daemon {

// smbd caches what it read from a clustered database (byte-range locks of
// brlock.tdb, share modes) and re-reads only when tdb_get_seqnum() of its own
// handle on the local file changes. That counter lives in the file header;
// smbd's stores bump it only when smbd opened the file with TDB_SEQNUM (which
// it takes from DB_OPEN_FLAGS), and changes made on another node reach this
// node's counter only through UPDATE_SEQNUM.
class SeqnumSync {
 public:
  struct Host {
    // Milliseconds between checks (the SeqnumInterval tunable), read at each re-arm.
    std::function<uint32_t()> interval_ms;
    // Tells every other active node that db_id changed (UPDATE_SEQNUM, no reply).
    std::function<void(uint32_t db_id)> broadcast_update;
  };

  // `dbs` and `loop` must outlive this object.
  SeqnumSync(EventLoop& loop, DbRegistry& dbs, Host host);
  SeqnumSync(const SeqnumSync&) = delete;
  SeqnumSync& operator=(const SeqnumSync&) = delete;

  // ENABLE_SEQNUM: the daemon's handle and every client that opens the file
  // with db.open_flags() bump the counter on each change, and changes are
  // watched from now on. Enabling twice is harmless.
  void enable(Database& db);
  // UPDATE_SEQNUM from another node: moves this node's counter once, without
  // echoing the change back. False when the database is not attached here.
  bool peer_changed(uint32_t db_id);
  // The periodic check: every watched database whose counter moved since the
  // last check is announced once. Runs from the timer; public for tests.
  void check();

 private:
  void arm();

  EventLoop& loop_;
  DbRegistry& dbs_;
  Host host_;
  std::map<uint32_t, int> seen_;  // watched db_id -> counter at the last check
  Timer timer_;
};

}  // namespace ctdb::daemon
