// Cluster-wide traverse as 4.17 runs it: the node a client asks collects every node's records
// (TRAVERSE_ALL / TRAVERSE_DATA) and relays them to the client's srvid; each node reads its tdb
// in a forked child so that the reactor never waits on the file or its locks.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ctdb/protocol.h"
#include "daemon/event_loop.h"
#include "protocol/types.h"
#include "protocol/wire.h"

namespace ctdb::daemon {

class ClusterHost;
class DbRegistry;

// The pure parts, kept inline so that the unit tests use them without the daemon.
namespace traverse {

// Fixed part of a ctdb_rec_data: length, reqid, keylen, datalen (u32 each).
constexpr size_t kRecDataFixed = 16;

// Whether a node's local traverse passes on a raw tdb value (ltdb header, then the value), as
// 4.17's local traverse decides: a volatile database gives only the records whose header names
// this node as dmaster (so a cluster-wide traverse sees each record once) and, unless empty
// records were asked for, only records with a value after the header; persistent and
// replicated databases give every record. A volatile value too short to hold a header is
// skipped (4.17 would read past it).
inline bool wants_record(bool volatile_db, bool with_empty, uint32_t pnn, const uint8_t* data,
                         size_t len) {
  if (!volatile_db) return true;
  if (!with_empty && len <= proto::kLtdbHeaderSize) return false;
  if (len < proto::kLtdbHeaderSize) return false;
  // The header is rsn (u64), then dmaster (u32), little-endian.
  uint32_t dmaster = uint32_t{data[8]} | uint32_t{data[9]} << 8 | uint32_t{data[10]} << 16 |
                     uint32_t{data[11]} << 24;
  return dmaster == pnn;
}

// Appends one ctdb_rec_data (4.17's marshalled record: no padding, `data` as stored, header
// included) to *out.
inline void append_rec_data(proto::Bytes* out, uint32_t reqid, const uint8_t* key, size_t klen,
                            const uint8_t* data, size_t dlen) {
  proto::Writer w(out);
  w.u32(static_cast<uint32_t>(kRecDataFixed + klen + dlen));
  w.u32(reqid);
  w.u32(static_cast<uint32_t>(klen));
  w.u32(static_cast<uint32_t>(dlen));
  if (klen > 0) out->insert(out->end(), key, key + klen);
  if (dlen > 0) out->insert(out->end(), data, data + dlen);
}

// True for the empty record that ends a node's part of a traverse (and the whole traverse,
// for the client).
inline bool is_end_marker(const proto::RecData& rec) { return rec.key.empty() && rec.data.empty(); }

// Cuts a byte stream of back-to-back ctdb_rec_data records (what a traverse child writes into
// its pipe) into whole records.
class RecDataStream {
 public:
  // Records longer than max_record are refused (kBad), as are inconsistent lengths.
  explicit RecDataStream(size_t max_record) : max_record_(max_record) {}

  void append(const uint8_t* data, size_t len) {
    if (head_ > 0 && head_ == buf_.size()) {
      buf_.clear();
      head_ = 0;
    }
    buf_.insert(buf_.end(), data, data + len);
  }

  enum class Next { kRecord, kNeedMore, kBad };
  // Moves the next whole record (all its bytes, length field included) into *rec.
  Next next(proto::Bytes* rec) {
    size_t avail = buf_.size() - head_;
    if (avail < kRecDataFixed) return Next::kNeedMore;
    const uint8_t* p = buf_.data() + head_;
    uint64_t len = get_u32(p), klen = get_u32(p + 8), dlen = get_u32(p + 12);
    if (len != kRecDataFixed + klen + dlen || len > max_record_) return Next::kBad;
    if (avail < len) return Next::kNeedMore;
    rec->assign(p, p + len);
    head_ += len;
    // Keep the buffer from growing without bound while records keep arriving.
    if (head_ > (1u << 20) && head_ * 2 > buf_.size()) {
      buf_.erase(buf_.begin(), buf_.begin() + static_cast<ptrdiff_t>(head_));
      head_ = 0;
    }
    return Next::kRecord;
  }

  // Bytes received that do not yet form a whole record.
  size_t pending() const { return buf_.size() - head_; }

 private:
  static uint64_t get_u32(const uint8_t* p) {
    return uint64_t{p[0]} | uint64_t{p[1]} << 8 | uint64_t{p[2]} << 16 | uint64_t{p[3]} << 24;
  }
  size_t max_record_;
  proto::Bytes buf_;
  size_t head_ = 0;
};

// The nodes a cluster-wide traverse asks (4.17 ctdb_daemon_traverse_all): for a volatile
// database every active node (CTDB_BROADCAST_ACTIVE: flags without NODE_FLAGS_INACTIVE, this
// node included); otherwise only this node if it is in the vnnmap, else the vnnmap's first.
// `node_flags` is indexed by pnn.
inline std::vector<uint32_t> targets(bool volatile_db, uint32_t self,
                                     const std::vector<uint32_t>& node_flags,
                                     const std::vector<uint32_t>& vnnmap) {
  std::vector<uint32_t> out;
  if (volatile_db) {
    for (uint32_t pnn = 0; pnn < node_flags.size(); pnn++) {
      if (!(node_flags[pnn] & NODE_FLAGS_INACTIVE)) out.push_back(pnn);
    }
    return out;
  }
  bool in_map = vnnmap.empty();  // no vnnmap yet: nothing better than ourselves
  for (uint32_t pnn : vnnmap) in_map |= pnn == self;
  out.push_back(in_map ? self : vnnmap.front());
  return out;
}

// How many end markers finish a volatile traverse: the active nodes at the time one arrives
// (4.17 ctdb_get_num_active_nodes).
inline uint32_t num_active_nodes(const std::vector<uint32_t>& node_flags) {
  uint32_t n = 0;
  for (uint32_t flags : node_flags) n += (flags & NODE_FLAGS_INACTIVE) ? 0 : 1;
  return n;
}

}  // namespace traverse

// Owns every traverse this node takes part in: the ones its clients started (collecting
// records from all nodes) and the local tdb walks other nodes asked for (forked children).
class TraverseManager {
 public:
  TraverseManager(ClusterHost& d, DbRegistry& dbs);
  // Kills the children still running.
  ~TraverseManager();
  TraverseManager(const TraverseManager&) = delete;
  TraverseManager& operator=(const TraverseManager&) = delete;

  // TRAVERSE_START(_EXT) from local client `client_id`: asks the nodes concerned to traverse
  // and relays what they send to `srvid`, ending with an empty record. False (the control
  // fails) if the database is unknown here.
  bool start(uint32_t client_id, uint32_t db_id, uint32_t client_reqid, uint64_t srvid,
             bool with_empty);
  // TRAVERSE_DATA: one record, or a node's end marker, of a traverse started here. False if
  // the payload is malformed or the traverse is over (cancelled, timed out).
  bool data(const proto::Bytes& payload);
  // A client went away: its traverses end and every node kills its part (TRAVERSE_KILL).
  void client_gone(uint32_t client_id);
  // The client has read most of what it was sent: records held back for it go on.
  void client_drained(uint32_t client_id);

  // TRAVERSE_ALL(_EXT) from node `srcnode` (this one included): walks the local copy of the
  // database in a child and sends each record back as TRAVERSE_DATA. False if the database
  // is unknown or the child cannot be started.
  bool start_local(uint32_t db_id, uint32_t reqid, uint32_t srcnode, uint32_t client_reqid,
                   uint64_t srvid, bool with_empty);
  // TRAVERSE_KILL: stops this node's walk for that client traverse, if it still runs. False
  // if the database is unknown.
  bool kill_local(uint32_t db_id, uint32_t client_reqid, uint64_t srvid);
  // The database is detached: its walks stop.
  void db_detached(uint32_t db_id);

  size_t cluster_traverses() const { return cluster_.size(); }
  size_t local_traverses() const { return local_.size(); }

 private:
  struct ClusterTraverse;
  struct LocalTraverse;

  void on_child_readable(uint64_t id);
  // Stops watching a child whose part is over (or killed) and reaps it.
  void end_local(uint64_t id, bool kill_child);
  // Sends a record (or the end marker) of a walk to the node that asked for it.
  void forward(uint32_t srcnode, const proto::Bytes& rec);
  // Sends a message of traverse `reqid` to its client now, or holds it back while the client
  // has much unread. May close the client (and so end the traverse).
  void relay(uint32_t reqid, proto::Bytes msg);
  // Sends the end marker to the client; `kill` tells every node to stop its part.
  void finish(uint32_t reqid, bool kill);
  void on_timeout(uint32_t reqid);
  // TRAVERSE_KILL to every connected node (this one included) for that client traverse.
  void kill_everywhere(const ClusterTraverse& t);
  void reap(pid_t pid);
  void reap_pending();
  uint32_t new_reqid();

  ClusterHost& d_;
  DbRegistry& dbs_;
  std::map<uint32_t, std::unique_ptr<ClusterTraverse>> cluster_;  // by our reqid
  std::map<uint64_t, std::unique_ptr<LocalTraverse>> local_;      // by local id
  uint64_t next_local_id_ = 1;
  uint32_t next_reqid_ = 1;
  std::vector<pid_t> zombies_;  // children killed or finished, not reaped yet
  std::unique_ptr<Timer> reap_timer_;
};

}  // namespace ctdb::daemon
