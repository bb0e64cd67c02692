// REQ_CALL across the cluster, as 4.17 runs it. A client's call runs here when
// this node is the record's dmaster. Otherwise it goes to the node the local
// header names; a node that is not dmaster redirects it to the key's lmaster,
// and the lmaster to the dmaster it has on record. The dmaster hands the
// record over: REQ_DMASTER to the lmaster, REPLY_DMASTER from the lmaster to
// the caller's node, which becomes dmaster and runs the call.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "common/tunables.h"
#include "daemon/db/db_registry.h"
#include "daemon/db/record_store.h"
#include "daemon/event_loop.h"
#include "protocol/packet.h"
#include "protocol/types.h"

namespace ctdb::daemon {

// What the call engine needs from the rest of the daemon.
class CallHost {
 public:
  virtual ~CallHost() = default;
  virtual uint32_t pnn() const = 0;
  virtual const proto::VnnMap& vnnmap() const = 0;
  // True while a recovery rebuilds the databases: records do not move.
  virtual bool calls_blocked() const = 0;
  // Sends a packet to another node; dropped when it is unreachable (the call
  // is resent after the recovery that follows).
  virtual void send_call_packet(uint32_t pnn, const proto::Bytes& pkt) = 0;
  virtual void send_client_packet(uint32_t client_id, const proto::Bytes& pkt) = 0;
  // Protocol violation between nodes (e.g. a REQ_DMASTER from a node that is
  // not dmaster): the databases need a recovery.
  virtual void calls_need_recovery(const char* why) = 0;
  virtual proto::Statistics& stats() = 0;
  // Current value of a tunable (HopcountMakeSticky, StickyDuration, ...).
  virtual uint32_t call_tunable(TunableId id) const = 0;
  // Sends UPDATE_RECORD with `recbuf` to `pnn` (revoking read-only copies);
  // done(true) when that node applied it.
  virtual void send_update_record(uint32_t pnn, const proto::Bytes& recbuf,
                                  std::function<void(bool ok)> done) = 0;
};

class CallEngine {
 public:
  CallEngine(CallHost& host, DbRegistry& dbs, EventLoop& loop);
  ~CallEngine();
  CallEngine(const CallEngine&) = delete;
  CallEngine& operator=(const CallEngine&) = delete;

  // A REQ_CALL from a local client. False if the packet is malformed (the
  // caller closes the client).
  bool client_call(uint32_t client_id, const uint8_t* pkt, size_t len);
  // REQ_CALL, REPLY_CALL, REPLY_ERROR, REQ_DMASTER or REPLY_DMASTER from a node.
  void node_packet(uint32_t srcnode, const uint8_t* pkt, size_t len);
  // Migrates a record to this node on the daemon's own behalf (vacuuming):
  // a NULL_FUNC call with `flags` (e.g. CALL_IMMEDIATE_MIGRATION |
  // CALL_FLAG_VACUUM_MIGRATION) that ends with done(status): 0 once the call
  // ran here as dmaster, else the error status.
  using DoneFn = std::function<void(int32_t status)>;
  void daemon_migrate(uint32_t db_id, const proto::Bytes& key, uint32_t flags, DoneFn done);
  // A recovery finished: calls in flight restart from this node with the new
  // generation, and work parked during the recovery runs again.
  void recovered();
  // Calls from this node still waiting for their record (statistics, tests).
  size_t pending_calls() const { return pending_.size(); }

 private:
  // A record: database and key.
  using RecKey = std::pair<uint32_t, proto::Bytes>;
  enum class Outcome { kDone, kBusy };
  // A packet that could not run yet (chain lock held by a client, database
  // frozen), kept raw and run again later in arrival order per record.
  struct Parked {
    bool from_client;
    uint32_t from;  // client id or node pnn
    proto::Bytes pkt;
    RecKey rec;
    double lock_wait_since = 0;  // monotonic time it first found the chain locked; 0: never
  };
  // A client's call that left this node, by the reqid we gave it.
  struct Pending {
    uint32_t client_id;
    proto::Header client_hdr;
    proto::Bytes client_pkt;  // to restart it after a recovery
    RecKey rec;
    bool vacuum = false;  // CALL_FLAG_VACUUM_MIGRATION
    // The client asked for FETCH with CALL_WANT_READONLY, which runs as
    // FETCH_WITH_HEADER: the header is cut off the answer again.
    bool strip_header = false;
    uint32_t callid_sent = 0;
    timeval started;
  };

  Outcome run_client_call(uint32_t client_id, const uint8_t* pkt, size_t len, RecKey* rec);
  // A client's call being run: who asked, the request, and the header of the answer.
  struct ClientCall {
    uint32_t client_id;
    const proto::Header& h;
    const proto::ReqCall& c;
    const uint8_t* pkt;
    size_t len;
    proto::Header rh;
  };
  void answer_call(const ClientCall& call, const proto::Bytes& out);
  void fail_call(const ClientCall& call, const std::string& msg);
  // A call on a volatile database: answered here when this node is the
  // record's dmaster, else sent on towards it.
  Outcome volatile_call(const ClientCall& call, Database& db, const RecKey& rec, bool collapse);
  Outcome run_node_packet(uint32_t srcnode, const uint8_t* pkt, size_t len, RecKey* rec);
  Outcome req_call(const proto::Header& h, proto::ReqCall& c);
  void forward_call(const Database& db, const proto::Header& h, proto::ReqCall& c,
                    const LtdbHeader& header, const RecordPlace& at);
  void count_hops(Database& db, const RecKey& rec, uint32_t hopcount);
  void grant_readonly(Database& db, const RecKey& rec, const proto::Header& h, LtdbHeader header,
                      const proto::Bytes& data, const RecordPlace& at);
  Outcome reply_call(const proto::Header& h, const proto::ReplyCall& r, RecKey* rec);
  void reply_error(const proto::Header& h, const proto::ReplyError& e);
  Outcome req_dmaster(const proto::Header& h, const proto::ReqDmaster& d);
  Outcome reply_dmaster(const proto::Header& h, const proto::ReplyDmaster& d);
  // This node takes the record (rsn, data, flags) and, if the reqid is one of
  // its calls, runs the call and answers the client.
  void become_dmaster(Database& db, uint32_t reqid, const proto::Bytes& key,
                      const proto::Bytes& data, uint64_t rsn, uint32_t flags);
  // Gives the record to `new_dmaster` through the lmaster.
  void send_dmaster(Database& db, const proto::Header& call_hdr, const proto::Bytes& key,
                    LtdbHeader header, const proto::Bytes& data);
  void send_dmaster_reply(Database& db, const proto::Bytes& key, LtdbHeader header,
                          const proto::Bytes& data, uint32_t new_dmaster, uint32_t reqid);
  void send_error(const proto::Header& to, int32_t status, const std::string& msg);
  void park(bool from_client, uint32_t from, const uint8_t* pkt, size_t len, RecKey rec);
  void retry_parked();
  // Returns kBusy for a chain lock a client holds, noting it for the lock statistics.
  Outcome chain_busy();
  void lock_wait_begins(Parked* p);
  void lock_wait_ends(const Parked& p);
  void schedule_retry();
  void release_waiters(const RecKey& rec);
  uint32_t lmaster(const proto::Bytes& key) const;
  // A packet header from this node in the current generation.
  proto::Header header_to(uint32_t dest, uint32_t reqid) const;
  // Read-only delegations (databases with DB_FLAGS_READONLY). Under the
  // chain lock: applies a finished revoke, or returns true when the call has
  // to wait (a revoke runs, or is started here because the call wants to
  // write a record that has read-only copies out).
  bool ro_must_wait(Database& db, const RecKey& rec, LtdbHeader* header, const proto::Bytes& data,
                    bool want_readonly, const RecordPlace& at);
  void start_revoke(Database& db, const RecKey& rec, LtdbHeader header, const proto::Bytes& data);
  void finish_revoke(uint32_t db_id, const proto::Bytes& key, bool ok);
  // Sticky records (databases with DB_FLAGS_STICKY): a record that needed
  // many hops is sticky for StickyDuration; when it arrives here it stays for
  // StickyPindown ms before another node may take it.
  bool pinned_down(const Database& db, const RecKey& rec);
  void note_hopcount(const Database& db, const RecKey& rec, uint32_t hopcount);
  void pin_down_on_arrival(const Database& db, const RecKey& rec);
  void send(uint32_t dest, const proto::Bytes& pkt);
  // Hands a call's answer to the client, or to the daemon_migrate() caller.
  void deliver(uint32_t client_id, const proto::Bytes& pkt);
  void fail_pending(std::map<uint32_t, Pending>::iterator it, const std::string& why);
  void run_loopback();

  CallHost& host_;
  DbRegistry& dbs_;
  EventLoop& loop_;
  std::deque<Parked> parked_;
  std::map<RecKey, uint32_t> parked_count_;
  bool chain_busy_ = false;  // the last run returned kBusy because of a locked chain
  std::unique_ptr<Timer> retry_timer_;
  double retry_delay_ = 0;
  std::map<uint32_t, Pending> pending_;
  uint32_t next_reqid_ = 1;
  // Records this node is fetching for a client: further client calls on the
  // same record wait here instead of sending their own request (4.17's
  // FetchCollapse), and run once the record has arrived.
  std::map<RecKey, std::vector<std::pair<uint32_t, proto::Bytes>>> inflight_;
  // daemon_migrate() callers, by the pseudo client id their call carries
  // (from 0x80000000 up; real client ids count up from 1).
  std::map<uint32_t, DoneFn> internal_;
  uint32_t next_internal_ = 0x80000000u;
  // Nodes holding a read-only copy, per record this node delegated.
  std::map<RecKey, std::vector<uint32_t>> delegations_;
  // Revokes whose chain lock was busy when their last answer came.
  std::vector<std::pair<RecKey, bool>> revokes_to_finish_;
  struct Sticky {
    double until = 0;         // sticky until (monotonic seconds)
    double pinned_until = 0;  // pinned down here until
  };
  std::map<RecKey, Sticky> sticky_;
  // Packets this node addressed to itself, and records that arrived for
  // waiting calls; both run from the reactor after the current packet.
  std::deque<proto::Bytes> loopback_;
  std::deque<RecKey> arrived_;
  std::unique_ptr<Timer> loopback_timer_;
};

}  // namespace ctdb::daemon
