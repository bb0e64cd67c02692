// Record migration between nodes (REQ_CALL, REQ_DMASTER, REPLY_DMASTER,
// REPLY_CALL, REPLY_ERROR); see call_engine.h for the route a call takes.
#include "daemon/db/call_engine.h"

#include <sys/time.h>

#include <algorithm>
#include <iterator>
#include <utility>

#include "common/logging.h"
#include "common/ltdb.h"
#include "ctdb/protocol.h"
#include "daemon/db/record_store.h"

namespace ctdb::daemon {
namespace {

// Retries of work that found a chain lock taken start fast and back off, so a
// client holding a lock for long does not keep the reactor busy.
constexpr double kFirstRetry = 0.0005;
constexpr double kMaxRetry = 0.02;

// The answer to FETCH asked with CALL_WANT_READONLY, which ran as
// FETCH_WITH_HEADER: the record data without its header.
void strip_ltdb_header(proto::ReplyCall* r) {
  if (r->data.size() >= kLtdbHeaderSize) {
    r->data.erase(r->data.begin(), r->data.begin() + kLtdbHeaderSize);
  }
}

// 4.17's lock latency buckets: under 1 ms, 10 ms, 100 ms, 1 s, then doubling to 64 s, and above.
size_t lock_bucket(double seconds) {
  static const double kBounds[] = {0.001, 0.01, 0.1, 1, 2, 4, 8, 16, 32, 64};
  size_t i = 0;
  while (i < std::size(kBounds) && seconds >= kBounds[i]) i++;
  return i;
}

double seconds_since(const timeval& t) {
  timeval n;
  gettimeofday(&n, nullptr);
  return (n.tv_sec - t.tv_sec) + (n.tv_usec - t.tv_usec) / 1e6;
}

}  // namespace

CallEngine::CallEngine(CallHost& host, DbRegistry& dbs, EventLoop& loop)
    : host_(host), dbs_(dbs), loop_(loop) {
  retry_timer_ = std::make_unique<Timer>(loop_, [this] { retry_parked(); });
  loopback_timer_ = std::make_unique<Timer>(loop_, [this] { run_loopback(); });
}

CallEngine::~CallEngine() = default;

proto::Header CallEngine::header_to(uint32_t dest, uint32_t reqid) const {
  proto::Header h;
  h.generation = host_.vnnmap().generation;
  h.srcnode = host_.pnn();
  h.destnode = dest;
  h.reqid = reqid;
  return h;
}

uint32_t CallEngine::lmaster(const proto::Bytes& key) const {
  return lmaster_of(host_.vnnmap(), key).value_or(host_.pnn());
}

void CallEngine::send(uint32_t dest, const proto::Bytes& pkt) {
  if (dest == host_.pnn()) {
    loopback_.push_back(pkt);
    if (!loopback_timer_->pending()) loopback_timer_->start(0);
    return;
  }
  host_.send_call_packet(dest, pkt);
}

void CallEngine::run_loopback() {
  std::deque<proto::Bytes> pkts = std::move(loopback_);
  loopback_.clear();
  for (const proto::Bytes& p : pkts) node_packet(host_.pnn(), p.data(), p.size());
  std::deque<RecKey> arrived = std::move(arrived_);
  arrived_.clear();
  for (const RecKey& rec : arrived) release_waiters(rec);
}

// ---- client side ----

void CallEngine::deliver(uint32_t client_id, const proto::Bytes& pkt) {
  auto it = internal_.find(client_id);
  if (it == internal_.end()) {
    host_.send_client_packet(client_id, pkt);
    return;
  }
  DoneFn done = std::move(it->second);
  internal_.erase(it);
  proto::Header h;
  int32_t status = -1;
  if (proto::decode_header(pkt.data(), pkt.size(), &h) && h.operation == REPLY_CALL) {
    proto::ReplyCall r;
    if (proto::decode(pkt.data(), pkt.size(), &h, &r)) status = r.status;
  }
  done(status);
}

void CallEngine::daemon_migrate(uint32_t db_id, const proto::Bytes& key, uint32_t flags,
                                DoneFn done) {
  uint32_t id = next_internal_++;
  if (next_internal_ == 0) next_internal_ = 0x80000000u;
  internal_[id] = std::move(done);
  proto::Header h;
  h.srcnode = host_.pnn();
  h.destnode = host_.pnn();
  proto::ReqCall c;
  c.flags = flags;
  c.db_id = db_id;
  c.callid = NULL_FUNC;
  c.key = key;
  proto::Bytes pkt = proto::encode(h, c);
  client_call(id, pkt.data(), pkt.size());
}

bool CallEngine::client_call(uint32_t client_id, const uint8_t* pkt, size_t len) {
  proto::Header h;
  proto::ReqCall c;
  if (!proto::decode(pkt, len, &h, &c)) return false;
  proto::Statistics& st = host_.stats();
  st.total_calls++;
  st.pending_calls++;
  RecKey rec;
  if (run_client_call(client_id, pkt, len, &rec) == Outcome::kBusy) {
    park(true, client_id, pkt, len, std::move(rec));
  }
  return true;
}

CallEngine::Outcome CallEngine::run_client_call(uint32_t client_id, const uint8_t* pkt, size_t len,
                                                RecKey* rec) {
  proto::Header h;
  proto::ReqCall c;
  proto::decode(pkt, len, &h, &c);  // checked by client_call
  chain_busy_ = false;
  *rec = RecKey(c.db_id, c.key);
  if (parked_count_.count(*rec)) return Outcome::kBusy;  // keep arrival order

  ClientCall call{client_id, h, c, pkt, len, header_to(h.srcnode, h.reqid)};
  Database* db = dbs_.find(c.db_id);
  if (db == nullptr) {
    char msg[80];
    snprintf(msg, sizeof(msg), "Unknown database in request. db_id==0x%08x", c.db_id);
    fail_call(call, msg);
    return Outcome::kDone;
  }
  if (host_.calls_blocked() || db->freezing()) return Outcome::kBusy;

  if (!db->volatile_db()) {
    // Persistent and replicated records never migrate: every node has them.
    proto::ReplyCall reply;
    std::string err;
    switch (dbs_.local_call(c, host_.pnn(), &reply, &err)) {
      case DbRegistry::CallResult::kBusy:
        return Outcome::kBusy;
      case DbRegistry::CallResult::kError:
        fail_call(call, err);
        return Outcome::kDone;
      case DbRegistry::CallResult::kOk:
        answer_call(call, proto::encode(call.rh, reply));
        return Outcome::kDone;
    }
  }

  // Like 4.17, calls collapse only while the FetchCollapse tunable is 1; with
  // 0 every client's call sends its own request (the tunable was ignored).
  const bool collapse = host_.call_tunable(kFetchCollapse) == 1;
  if (auto it = inflight_.find(*rec); collapse && it != inflight_.end()) {
    // This node already asked for the record: wait for it.
    it->second.emplace_back(client_id, proto::Bytes(pkt, pkt + len));
    return Outcome::kDone;
  }
  return volatile_call(call, *db, *rec, collapse);
}

void CallEngine::answer_call(const ClientCall& call, const proto::Bytes& out) {
  deliver(call.client_id, out);
  proto::Statistics& st = host_.stats();
  if (st.pending_calls > 0) st.pending_calls--;
}

void CallEngine::fail_call(const ClientCall& call, const std::string& msg) {
  CTDB_LOGF(kLogError, "call on db 0x%08x failed: %s", call.c.db_id, msg.c_str());
  proto::ReplyError e;
  e.status = -1;
  e.msg.assign(msg.begin(), msg.end());
  e.msg.push_back(0);
  answer_call(call, proto::encode(call.rh, e));
}

CallEngine::Outcome CallEngine::volatile_call(const ClientCall& call, Database& db,
                                              const RecKey& rec, bool collapse) {
  const proto::ReqCall& c = call.c;
  RecordPlace at{host_.pnn(), lmaster(c.key)};
  LtdbHeader header;
  proto::Bytes data;
  std::string err;
  // A read-only fetch runs as FETCH_WITH_HEADER, so that a read-only copy
  // can be kept here; a plain FETCH gets the header cut off again.
  bool want_ro = (c.flags & CALL_WANT_READONLY) && (db.flags & DB_FLAGS_READONLY);
  uint32_t callid = want_ro ? FETCH_WITH_HEADER_FUNC : c.callid;
  bool strip = want_ro && c.callid == FETCH_FUNC;
  {
    LtdbChainLock lock(db.ltdb.get(), c.key, LtdbChainLock::Mode::kNonBlocking);
    if (!lock.locked()) return chain_busy();
    if (!fetch_record(db, c.key, at, &header, &data, &err)) {
      fail_call(call, err);
      return Outcome::kDone;
    }
    if (ro_must_wait(db, rec, &header, data, want_ro, at)) return Outcome::kBusy;
    if (header.dmaster == at.pnn) {
      proto::ReplyCall reply;
      if (!call_local(db, callid, c.key, &header, data, at, &reply, &err)) {
        fail_call(call, err);
      } else {
        if (strip) strip_ltdb_header(&reply);
        answer_call(call, proto::encode(call.rh, reply));
        host_.stats().call_latency.add(0);
      }
      return Outcome::kDone;
    }
  }

  // The record is elsewhere: ask the node our copy names (or the lmaster if
  // that name is no node at all), and wait for the record or an answer.
  uint32_t dest = header.dmaster;
  if (dest >= CURRENT_NODE || dest == at.pnn) dest = at.lmaster;
  uint32_t reqid = next_reqid_++;
  if (next_reqid_ == 0) next_reqid_ = 1;
  Pending p;
  p.client_id = call.client_id;
  p.client_hdr = call.h;
  p.client_pkt.assign(call.pkt, call.pkt + call.len);
  p.rec = rec;
  p.vacuum = (c.flags & CALL_FLAG_VACUUM_MIGRATION) != 0;
  p.strip_header = strip;
  p.callid_sent = callid;
  gettimeofday(&p.started, nullptr);
  pending_.emplace(reqid, std::move(p));
  if (collapse) inflight_[rec];

  proto::Header fh = header_to(dest, reqid);
  proto::ReqCall fc = c;
  fc.hopcount = 0;
  fc.callid = callid;
  if (!want_ro) fc.flags &= ~CALL_WANT_READONLY;
  send(dest, proto::encode(fh, fc));
  return Outcome::kDone;
}

void CallEngine::release_waiters(const RecKey& rec) {
  auto it = inflight_.find(rec);
  if (it == inflight_.end()) return;
  auto waiters = std::move(it->second);
  inflight_.erase(it);
  for (auto& [client_id, pkt] : waiters) {
    RecKey r;
    if (run_client_call(client_id, pkt.data(), pkt.size(), &r) == Outcome::kBusy) {
      park(true, client_id, pkt.data(), pkt.size(), std::move(r));
    }
  }
}

// ---- node side ----

void CallEngine::node_packet(uint32_t srcnode, const uint8_t* pkt, size_t len) {
  RecKey rec;
  if (run_node_packet(srcnode, pkt, len, &rec) == Outcome::kBusy) {
    park(false, srcnode, pkt, len, std::move(rec));
  }
}

CallEngine::Outcome CallEngine::run_node_packet(uint32_t srcnode, const uint8_t* pkt, size_t len,
                                                RecKey* rec) {
  chain_busy_ = false;
  proto::Header h;
  if (!proto::decode_header(pkt, len, &h)) return Outcome::kDone;
  // A packet of another generation belongs to a cluster layout that a
  // recovery has since replaced; its call is resent by its origin.
  if (h.generation != host_.vnnmap().generation) {
    CTDB_LOGF(kLogDebug, "dropping %s from node %u of generation %u (ours %u)",
              proto::operation_name(h.operation), srcnode, h.generation, host_.vnnmap().generation);
    return Outcome::kDone;
  }
  switch (h.operation) {
    case REQ_CALL: {
      proto::ReqCall c;
      if (!proto::decode(pkt, len, &h, &c)) break;
      *rec = RecKey(c.db_id, c.key);
      if (parked_count_.count(*rec)) return Outcome::kBusy;
      return req_call(h, c);
    }
    case REQ_DMASTER: {
      proto::ReqDmaster d;
      if (!proto::decode(pkt, len, &h, &d)) break;
      *rec = RecKey(d.db_id, d.key);
      if (parked_count_.count(*rec)) return Outcome::kBusy;
      return req_dmaster(h, d);
    }
    case REPLY_DMASTER: {
      proto::ReplyDmaster d;
      if (!proto::decode(pkt, len, &h, &d)) break;
      *rec = RecKey(d.db_id, d.key);
      if (parked_count_.count(*rec)) return Outcome::kBusy;
      return reply_dmaster(h, d);
    }
    case REPLY_CALL: {
      proto::ReplyCall r;
      if (!proto::decode(pkt, len, &h, &r)) break;
      return reply_call(h, r, rec);
    }
    case REPLY_ERROR: {
      proto::ReplyError e;
      if (!proto::decode(pkt, len, &h, &e)) break;
      reply_error(h, e);
      return Outcome::kDone;
    }
    default:
      return Outcome::kDone;
  }
  CTDB_LOGF(kLogError, "malformed %s from node %u dropped", proto::operation_name(h.operation),
            srcnode);
  return Outcome::kDone;
}

void CallEngine::send_error(const proto::Header& to, int32_t status, const std::string& msg) {
  proto::Header rh = header_to(to.srcnode, to.reqid);
  proto::ReplyError e;
  e.status = status;
  e.msg.assign(msg.begin(), msg.end());
  e.msg.push_back(0);
  send(to.srcnode, proto::encode(rh, e));
}

CallEngine::Outcome CallEngine::req_call(const proto::Header& h, proto::ReqCall& c) {
  Database* db = dbs_.find(c.db_id);
  if (db == nullptr) {
    char msg[80];
    snprintf(msg, sizeof(msg), "Unknown database in request. db_id==0x%08x", c.db_id);
    send_error(h, -1, msg);
    return Outcome::kDone;
  }
  if (host_.calls_blocked() || db->freezing()) return Outcome::kBusy;
  if (!db->volatile_db()) {
    send_error(h, -1, "calls between nodes are for volatile databases only");
    return Outcome::kDone;
  }
  RecKey rec(c.db_id, c.key);
  if (pinned_down(*db, rec)) return Outcome::kBusy;
  LtdbChainLock lock(db->ltdb.get(), c.key, LtdbChainLock::Mode::kNonBlocking);
  if (!lock.locked()) return chain_busy();
  RecordPlace at{host_.pnn(), lmaster(c.key)};
  LtdbHeader header;
  proto::Bytes data;
  std::string err;
  if (!fetch_record(*db, c.key, at, &header, &data, &err)) {
    CTDB_LOGF(kLogError, "REQ_CALL on db %s: %s", db->name.c_str(), err.c_str());
    send_error(h, -1, "ltdb fetch failed in ctdb_request_call");
    return Outcome::kDone;
  }
  bool want_ro = (c.flags & CALL_WANT_READONLY) && (db->flags & DB_FLAGS_READONLY);
  if (!want_ro) c.flags &= ~CALL_WANT_READONLY;
  if (ro_must_wait(*db, rec, &header, data, want_ro, at)) return Outcome::kBusy;

  if (header.dmaster != at.pnn && !(header.flags & REC_RO_HAVE_DELEGATIONS)) {
    forward_call(*db, h, c, header, at);
    return Outcome::kDone;
  }
  count_hops(*db, rec, c.hopcount);
  if (want_ro && c.callid == FETCH_WITH_HEADER_FUNC) {
    grant_readonly(*db, rec, h, header, data, at);
    return Outcome::kDone;
  }

  if (h.srcnode != at.pnn) {
    // A fetch costs the caller as much as a migration, so the record always
    // moves to the node that asked.
    send_dmaster(*db, h, c.key, header, data);
    return Outcome::kDone;
  }

  // Our own call came back to us after the record arrived here.
  proto::ReplyCall reply;
  if (!call_local(*db, c.callid, c.key, &header, data, at, &reply, &err)) {
    send_error(h, -1, err);
    return Outcome::kDone;
  }
  proto::Header rh = header_to(h.srcnode, h.reqid);
  send(h.srcnode, proto::encode(rh, reply));
  return Outcome::kDone;
}

// Not ours: the lmaster knows who has the record; everyone else asks the lmaster.
void CallEngine::forward_call(const Database& db, const proto::Header& h, proto::ReqCall& c,
                              const LtdbHeader& header, const RecordPlace& at) {
  uint32_t dest = at.pnn == at.lmaster ? header.dmaster : at.lmaster;
  c.hopcount++;
  if (c.hopcount % 100 > 95) {
    CTDB_LOGF(kLogWarning,
              "High hopcount %u dbid:%s key:0x%08x reqid=%08x pnn:%u src:%u lmaster:%u "
              "header->dmaster:%u dst:%u",
              c.hopcount, db.name.c_str(), ctdb_hash(c.key), h.reqid, at.pnn, h.srcnode, at.lmaster,
              header.dmaster, dest);
  }
  proto::Header fh = h;
  fh.destnode = dest;
  send(dest, proto::encode(fh, c));
}

// A call reached the dmaster after `hopcount` redirects: statistics, and
// sticky records for databases that ask for them.
void CallEngine::count_hops(Database& db, const RecKey& rec, uint32_t hopcount) {
  proto::Statistics& st = host_.stats();
  st.max_hop_count = std::max(st.max_hop_count, hopcount);
  uint32_t bucket = 0;
  for (uint32_t n = hopcount; n != 0; n >>= 1) bucket++;
  bucket = std::min<uint32_t>(bucket, MAX_COUNT_BUCKETS - 1);
  st.hop_count_bucket[bucket]++;
  db.stats.hop_count_bucket[bucket]++;
  note_hopcount(db, rec, hopcount);
}

// A read-only copy instead of the record: this node stays dmaster and
// remembers who has copies, to revoke them before the next write.
void CallEngine::grant_readonly(Database& db, const RecKey& rec, const proto::Header& h,
                                LtdbHeader header, const proto::Bytes& data,
                                const RecordPlace& at) {
  if (!(header.flags & REC_RO_HAVE_DELEGATIONS)) {
    header.rsn += 3;
    header.flags |= REC_RO_HAVE_DELEGATIONS;
    std::string err;
    if (!store_record(db, rec.second, &header, data, at, &err)) {
      send_error(h, -1, err);
      return;
    }
  }
  std::vector<uint32_t>& holders = delegations_[rec];
  if (std::find(holders.begin(), holders.end(), h.srcnode) == holders.end()) {
    holders.push_back(h.srcnode);
  }
  LtdbHeader copy = header;
  copy.rsn -= 2;
  copy.flags |= REC_RO_HAVE_READONLY;
  copy.flags &= ~REC_RO_HAVE_DELEGATIONS;
  proto::ReplyCall reply;
  proto::Writer w(&reply.data);
  proto::encode(w, copy);
  w.bytes(data);
  send(h.srcnode, proto::encode(header_to(h.srcnode, h.reqid), reply));
  host_.stats().total_ro_delegations++;
  db.stats.db_ro_delegations++;
}

void CallEngine::send_dmaster(Database& db, const proto::Header& call_hdr, const proto::Bytes& key,
                              LtdbHeader header, const proto::Bytes& data) {
  RecordPlace at{host_.pnn(), lmaster(key)};
  if (!data.empty()) header.flags |= REC_FLAG_MIGRATED_WITH_DATA;
  if (at.lmaster == at.pnn) {
    send_dmaster_reply(db, key, header, data, call_hdr.srcnode, call_hdr.reqid);
    return;
  }
  proto::ReqDmaster d;
  d.db_id = db.db_id;
  d.rsn = header.rsn;
  d.dmaster = call_hdr.srcnode;
  d.key = key;
  d.data = data;
  d.record_flags = header.flags;
  proto::Header rh = header_to(at.lmaster, call_hdr.reqid);
  // Our copy now points at the new dmaster (an empty one is dropped).
  header.dmaster = call_hdr.srcnode;
  std::string err;
  if (!store_record(db, key, &header, data, at, &err)) {
    CTDB_LOGF(kLogError, "migrating a record of %s away: %s", db.name.c_str(), err.c_str());
  }
  send(at.lmaster, proto::encode(rh, d));
}

void CallEngine::send_dmaster_reply(Database& db, const proto::Bytes& key, LtdbHeader header,
                                    const proto::Bytes& data, uint32_t new_dmaster,
                                    uint32_t reqid) {
  RecordPlace at{host_.pnn(), lmaster(key)};
  header.dmaster = new_dmaster;
  std::string err;
  if (!store_record(db, key, &header, data, at, &err)) {
    CTDB_LOGF(kLogError, "lmaster cannot record the new dmaster in %s: %s", db.name.c_str(),
              err.c_str());
  }
  proto::ReplyDmaster r;
  r.db_id = db.db_id;
  r.rsn = header.rsn;
  r.key = key;
  r.data = data;
  r.record_flags = header.flags;
  proto::Header rh = header_to(new_dmaster, reqid);
  send(new_dmaster, proto::encode(rh, r));
}

CallEngine::Outcome CallEngine::req_dmaster(const proto::Header& h, const proto::ReqDmaster& d) {
  Database* db = dbs_.find(d.db_id);
  if (db == nullptr) {
    char msg[80];
    snprintf(msg, sizeof(msg), "Unknown database in request. db_id==0x%08x", d.db_id);
    send_error(h, -1, msg);
    return Outcome::kDone;
  }
  if (host_.calls_blocked() || db->freezing()) return Outcome::kBusy;
  LtdbChainLock lock(db->ltdb.get(), d.key, LtdbChainLock::Mode::kNonBlocking);
  if (!lock.locked()) return chain_busy();
  RecordPlace at{host_.pnn(), lmaster(d.key)};
  if (at.lmaster != at.pnn) {
    CTDB_LOGF(kLogError, "dmaster request to non-lmaster db=%s lmaster=%u gen=%u", db->name.c_str(),
              at.lmaster, h.generation);
    host_.calls_need_recovery("REQ_DMASTER reached a node that is not lmaster");
    return Outcome::kDone;
  }
  LtdbHeader header;
  proto::Bytes old;
  std::string err;
  if (!fetch_record(*db, d.key, at, &header, &old, &err)) {
    CTDB_LOGF(kLogError, "REQ_DMASTER on db %s: %s", db->name.c_str(), err.c_str());
    return Outcome::kDone;
  }
  if (header.dmaster != h.srcnode) {
    CTDB_LOGF(kLogError,
              "pnn %u dmaster request for new-dmaster %u from non-master %u real-dmaster=%u "
              "key %08x dbid 0x%08x rsn=%llu header.rsn=%llu",
              at.pnn, d.dmaster, h.srcnode, header.dmaster, ctdb_hash(d.key), d.db_id,
              static_cast<unsigned long long>(d.rsn), static_cast<unsigned long long>(header.rsn));
    if (header.rsn != 0 || header.dmaster != at.pnn) {
      host_.calls_need_recovery("dmaster request from a node that is not dmaster");
      return Outcome::kDone;
    }
  }
  header.rsn = d.rsn;
  header.flags = d.record_flags;
  if (d.dmaster == at.pnn) {
    become_dmaster(*db, h.reqid, d.key, d.data, d.rsn, d.record_flags);
  } else {
    send_dmaster_reply(*db, d.key, header, d.data, d.dmaster, h.reqid);
  }
  return Outcome::kDone;
}

CallEngine::Outcome CallEngine::reply_dmaster(const proto::Header& h,
                                              const proto::ReplyDmaster& d) {
  Database* db = dbs_.find(d.db_id);
  if (db == nullptr) {
    CTDB_LOGF(kLogError, "Unknown db_id 0x%x in REPLY_DMASTER", d.db_id);
    return Outcome::kDone;
  }
  if (host_.calls_blocked() || db->freezing()) return Outcome::kBusy;
  LtdbChainLock lock(db->ltdb.get(), d.key, LtdbChainLock::Mode::kNonBlocking);
  if (!lock.locked()) return chain_busy();
  become_dmaster(*db, h.reqid, d.key, d.data, d.rsn, d.record_flags);
  return Outcome::kDone;
}

void CallEngine::become_dmaster(Database& db, uint32_t reqid, const proto::Bytes& key,
                                const proto::Bytes& data, uint64_t rsn, uint32_t flags) {
  RecordPlace at{host_.pnn(), lmaster(key)};
  LtdbHeader header;
  header.rsn = rsn;
  header.dmaster = at.pnn;
  header.flags = flags;
  auto it = pending_.find(reqid);
  bool ours = it != pending_.end() && it->second.rec.second == key;
  if (ours && it->second.vacuum) {
    // Lets store_record() drop an empty record that vacuuming pulled back.
    header.flags |= REC_FLAG_VACUUM_MIGRATED;
  }
  std::string err;
  if (!store_record(db, key, &header, data, at, &err)) {
    // This node cannot keep the record (its disk full, say): the node that sent it still
    // has its data, under the same RSN, and a recovery brings that copy back as the
    // record's; the call fails for its client. (4.17 aborts the daemon here.)
    CTDB_LOGF(kLogError, "cannot store a migrated record of %s: %s", db.name.c_str(), err.c_str());
    if (ours) fail_pending(it, "cannot store the record here: " + err);
    host_.calls_need_recovery("A migrated record could not be stored");
    return;
  }
  pin_down_on_arrival(db, RecKey(db.db_id, key));
  if (!ours) {
    CTDB_LOGF(kLogInfo, "record of %s arrived for reqid %u, which no call waits for",
              db.name.c_str(), reqid);
    return;
  }
  db.hot_keys.migrated(key, monotonic_now(), db.name);
  Pending p = std::move(it->second);
  pending_.erase(it);
  proto::Header ch;
  proto::ReqCall c;
  proto::decode(p.client_pkt.data(), p.client_pkt.size(), &ch, &c);
  proto::Header rh = header_to(ch.srcnode, ch.reqid);
  proto::Statistics& st = host_.stats();
  proto::ReplyCall reply;
  if (call_local(db, p.callid_sent, key, &header, data, at, &reply, &err)) {
    if (p.strip_header) strip_ltdb_header(&reply);
    deliver(p.client_id, proto::encode(rh, reply));
  } else {
    proto::ReplyError e;
    e.status = -1;
    e.msg.assign(err.begin(), err.end());
    e.msg.push_back(0);
    deliver(p.client_id, proto::encode(rh, e));
  }
  if (st.pending_calls > 0) st.pending_calls--;
  st.call_latency.add(seconds_since(p.started));
  // Calls that waited for this record run once the chain lock is dropped.
  arrived_.push_back(p.rec);
  if (!loopback_timer_->pending()) loopback_timer_->start(0);
}

// Answers a pending client call with an error and forgets it.
void CallEngine::fail_pending(std::map<uint32_t, Pending>::iterator it, const std::string& why) {
  Pending p = std::move(it->second);
  pending_.erase(it);
  proto::Header ch;
  proto::ReqCall c;
  proto::decode(p.client_pkt.data(), p.client_pkt.size(), &ch, &c);
  proto::ReplyError e;
  e.status = -1;
  e.msg.assign(why.begin(), why.end());
  e.msg.push_back(0);
  deliver(p.client_id, proto::encode(header_to(ch.srcnode, ch.reqid), e));
  proto::Statistics& st = host_.stats();
  if (st.pending_calls > 0) st.pending_calls--;
}

CallEngine::Outcome CallEngine::reply_call(const proto::Header& h, const proto::ReplyCall& r,
                                           RecKey* rec) {
  auto it = pending_.find(h.reqid);
  if (it == pending_.end()) {
    CTDB_LOGF(kLogInfo, "dropping REPLY_CALL for reqid %u, which no call waits for", h.reqid);
    return Outcome::kDone;
  }
  *rec = it->second.rec;
  proto::ReplyCall out = r;
  if (it->second.callid_sent == FETCH_WITH_HEADER_FUNC && r.data.size() >= kLtdbHeaderSize) {
    // A read-only copy from the dmaster: keep it here unless ours is newer.
    proto::Reader rd(r.data);
    LtdbHeader header;
    Database* db = dbs_.find(rec->first);
    if (proto::decode(rd, &header) && (header.flags & REC_RO_HAVE_READONLY) && db != nullptr) {
      if (host_.calls_blocked() || db->freezing()) return Outcome::kBusy;
      LtdbChainLock lock(db->ltdb.get(), rec->second, LtdbChainLock::Mode::kNonBlocking);
      if (!lock.locked()) return chain_busy();
      LtdbHeader old;
      proto::Bytes old_data;
      LtdbStatus st = db->ltdb->fetch(rec->second, &old, &old_data);
      if (st != LtdbStatus::kOk || header.rsn > old.rsn) {
        proto::Bytes value(r.data.begin() + kLtdbHeaderSize, r.data.end());
        RecordPlace at{host_.pnn(), lmaster(rec->second)};
        std::string err;
        if (!store_record(*db, rec->second, &header, value, at, &err)) {
          CTDB_LOGF(kLogError, "cannot keep a read-only copy in %s: %s", db->name.c_str(),
                    err.c_str());
        }
      }
    }
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  if (p.strip_header) strip_ltdb_header(&out);
  proto::Header rh = header_to(p.client_hdr.srcnode, p.client_hdr.reqid);
  deliver(p.client_id, proto::encode(rh, out));
  proto::Statistics& st = host_.stats();
  if (st.pending_calls > 0) st.pending_calls--;
  st.call_latency.add(seconds_since(p.started));
  release_waiters(p.rec);
  return Outcome::kDone;
}

void CallEngine::reply_error(const proto::Header& h, const proto::ReplyError& e) {
  auto it = pending_.find(h.reqid);
  if (it == pending_.end()) {
    CTDB_LOGF(kLogInfo, "dropping REPLY_ERROR for reqid %u, which no call waits for", h.reqid);
    return;
  }
  Pending p = std::move(it->second);
  pending_.erase(it);
  proto::Header rh = header_to(p.client_hdr.srcnode, p.client_hdr.reqid);
  deliver(p.client_id, proto::encode(rh, e));
  proto::Statistics& st = host_.stats();
  if (st.pending_calls > 0) st.pending_calls--;
  release_waiters(p.rec);
}

// ---- parked work, recovery ----

CallEngine::Outcome CallEngine::chain_busy() {
  chain_busy_ = true;
  return Outcome::kBusy;
}

// ctdb statistics' "locks" (and dbstatistics'): a call that found its chain locked by a client
// waits, as 4.17's lock helper does; counted from the first refusal until it runs.
void CallEngine::lock_wait_begins(Parked* p) {
  if (!std::exchange(chain_busy_, false) || p->lock_wait_since != 0) return;
  p->lock_wait_since = monotonic_now();
  host_.stats().locks.num_pending++;
  if (Database* db = dbs_.find(p->rec.first)) db->stats.locks.num_pending++;
}

void CallEngine::lock_wait_ends(const Parked& p) {
  if (p.lock_wait_since == 0) return;
  double waited = monotonic_now() - p.lock_wait_since;
  size_t bucket = lock_bucket(waited);
  auto count = [&](auto& locks) {
    if (locks.num_pending > 0) locks.num_pending--;
    locks.num_calls++;
    locks.latency.add(waited);
    locks.buckets[bucket]++;
  };
  count(host_.stats().locks);
  if (Database* db = dbs_.find(p.rec.first)) count(db->stats.locks);
}

void CallEngine::park(bool from_client, uint32_t from, const uint8_t* pkt, size_t len, RecKey rec) {
  parked_count_[rec]++;
  parked_.push_back({from_client, from, proto::Bytes(pkt, pkt + len), std::move(rec)});
  lock_wait_begins(&parked_.back());
  schedule_retry();
}

void CallEngine::schedule_retry() {
  if (host_.calls_blocked() || retry_timer_->pending()) return;
  if (retry_delay_ == 0) retry_delay_ = kFirstRetry;
  retry_timer_->start(retry_delay_);
}

void CallEngine::retry_parked() {
  if (host_.calls_blocked()) return;  // recovered() starts us again
  auto revokes = std::move(revokes_to_finish_);
  revokes_to_finish_.clear();
  for (auto& [rec, ok] : revokes) finish_revoke(rec.first, rec.second, ok);
  std::deque<Parked> todo = std::move(parked_);
  parked_.clear();
  parked_count_.clear();
  size_t before = todo.size();
  for (Parked& p : todo) {
    RecKey rec;
    Outcome o = p.from_client ? run_client_call(p.from, p.pkt.data(), p.pkt.size(), &rec)
                              : run_node_packet(p.from, p.pkt.data(), p.pkt.size(), &rec);
    if (o == Outcome::kBusy) {
      parked_count_[p.rec]++;
      parked_.push_back(std::move(p));
      lock_wait_begins(&parked_.back());
    } else {
      lock_wait_ends(p);
    }
  }
  if (parked_.empty() && revokes_to_finish_.empty()) {
    retry_delay_ = 0;
    return;
  }
  // Back off while nothing moves; start fast again once something did.
  retry_delay_ = parked_.size() < before ? kFirstRetry : std::min(retry_delay_ * 2, kMaxRetry);
  schedule_retry();
}

void CallEngine::recovered() {
  // Calls that left this node may have been lost with the old generation:
  // start them again from here, with new reqids (late answers are dropped).
  std::map<uint32_t, Pending> pending = std::move(pending_);
  pending_.clear();
  auto waiting = std::move(inflight_);
  inflight_.clear();
  // A recovery revokes every read-only copy and forgets pinned records.
  delegations_.clear();
  revokes_to_finish_.clear();
  sticky_.clear();
  size_t resent = pending.size();
  for (auto& [reqid, p] : pending) {
    RecKey rec;
    const proto::Bytes& pkt = p.client_pkt;
    if (run_client_call(p.client_id, pkt.data(), pkt.size(), &rec) == Outcome::kBusy) {
      park(true, p.client_id, pkt.data(), pkt.size(), std::move(rec));
    }
  }
  for (auto& [rec, waiters] : waiting) {
    for (auto& [client_id, pkt] : waiters) {
      RecKey r;
      if (run_client_call(client_id, pkt.data(), pkt.size(), &r) == Outcome::kBusy) {
        park(true, client_id, pkt.data(), pkt.size(), std::move(r));
      }
    }
  }
  if (resent > 0) CTDB_LOGF(kLogNotice, "Resent %zu calls after recovery", resent);
  retry_delay_ = 0;
  if (!parked_.empty()) schedule_retry();
}

// ---- read-only delegations ----

bool CallEngine::ro_must_wait(Database& db, const RecKey& rec, LtdbHeader* header,
                              const proto::Bytes& data, bool want_readonly, const RecordPlace& at) {
  if (!(header->flags & REC_RO_FLAGS)) return false;
  std::string err;
  if (header->flags & REC_RO_REVOKE_COMPLETE) {
    header->flags &= ~REC_RO_FLAGS;
    host_.stats().total_ro_revokes++;
    db.stats.db_ro_revokes++;
    if (!store_record(db, rec.second, header, data, at, &err)) {
      CTDB_LOGF(kLogError, "clearing a finished revoke in %s: %s", db.name.c_str(), err.c_str());
    }
    delegations_.erase(rec);
    return false;
  }
  if (header->flags & REC_RO_REVOKING_READONLY) return true;
  if (header->dmaster == at.pnn && !want_readonly &&
      (header->flags & (REC_RO_HAVE_DELEGATIONS | REC_RO_HAVE_READONLY))) {
    header->flags |= REC_RO_REVOKING_READONLY;
    if (!store_record(db, rec.second, header, data, at, &err)) {
      CTDB_LOGF(kLogError, "starting a revoke in %s: %s", db.name.c_str(), err.c_str());
      return true;
    }
    start_revoke(db, rec, *header, data);
    return true;
  }
  return false;
}

void CallEngine::start_revoke(Database& db, const RecKey& rec, LtdbHeader header,
                              const proto::Bytes& data) {
  // Every copy becomes a plain, slightly older copy of the record.
  header.flags &= ~(REC_RO_REVOKING_READONLY | REC_RO_HAVE_DELEGATIONS | REC_RO_HAVE_READONLY);
  header.flags |= REC_FLAG_MIGRATED_WITH_DATA;
  header.rsn -= 1;
  proto::RecBuffer recs;
  recs.db_id = db.db_id;
  recs.add(0, &header, rec.second, data);
  proto::Bytes payload = proto::to_bytes(recs);
  std::vector<uint32_t> holders = delegations_[rec];
  holders.erase(std::remove(holders.begin(), holders.end(), host_.pnn()), holders.end());
  if (holders.empty()) {
    revokes_to_finish_.emplace_back(rec, true);
    retry_delay_ = 0;
    schedule_retry();
    return;
  }
  struct State {
    size_t remaining;
    bool ok = true;
  };
  auto state = std::make_shared<State>(State{holders.size()});
  for (uint32_t pnn : holders) {
    host_.send_update_record(pnn, payload, [this, state, rec](bool ok) {
      if (!ok) state->ok = false;
      if (--state->remaining == 0) finish_revoke(rec.first, rec.second, state->ok);
    });
  }
}

void CallEngine::finish_revoke(uint32_t db_id, const proto::Bytes& key, bool ok) {
  Database* db = dbs_.find(db_id);
  if (db == nullptr) return;
  RecKey rec(db_id, key);
  LtdbChainLock lock(db->ltdb.get(), key, LtdbChainLock::Mode::kNonBlocking);
  if (host_.calls_blocked() || db->freezing() || !lock.locked()) {
    revokes_to_finish_.emplace_back(rec, ok);
    schedule_retry();
    return;
  }
  LtdbHeader header;
  proto::Bytes data;
  if (db->ltdb->fetch(key, &header, &data) != LtdbStatus::kOk) return;
  const uint32_t revoking = REC_RO_REVOKING_READONLY | REC_RO_HAVE_DELEGATIONS;
  if ((header.flags & revoking) != revoking) return;  // a recovery got there first
  if (ok) {
    header.rsn++;
    header.flags |= REC_RO_REVOKE_COMPLETE;
  } else {
    // Try again with the next call that wants to write.
    header.flags &= ~REC_RO_REVOKING_READONLY;
    CTDB_LOGF(kLogWarning, "revoking read-only copies of a record in %s failed", db->name.c_str());
  }
  RecordPlace at{host_.pnn(), lmaster(key)};
  std::string err;
  if (!store_record(*db, key, &header, data, at, &err)) {
    CTDB_LOGF(kLogError, "finishing a revoke in %s: %s", db->name.c_str(), err.c_str());
  }
  retry_delay_ = 0;
  schedule_retry();
}

// ---- sticky records ----

bool CallEngine::pinned_down(const Database& db, const RecKey& rec) {
  if (!(db.flags & DB_FLAGS_STICKY)) return false;
  auto it = sticky_.find(rec);
  if (it == sticky_.end()) return false;
  double now = monotonic_now();
  if (it->second.until <= now) {
    sticky_.erase(it);
    return false;
  }
  return it->second.pinned_until > now;
}

void CallEngine::note_hopcount(const Database& db, const RecKey& rec, uint32_t hopcount) {
  if (!(db.flags & DB_FLAGS_STICKY)) return;
  if (hopcount < host_.call_tunable(kHopcountMakeSticky)) return;
  if (sticky_.count(rec)) return;
  CTDB_LOGF(kLogNotice, "Make record sticky for %u seconds in db %s key:0x%08x",
            host_.call_tunable(kStickyDuration), db.name.c_str(), ctdb_hash(rec.second));
  sticky_[rec].until = monotonic_now() + host_.call_tunable(kStickyDuration);
}

void CallEngine::pin_down_on_arrival(const Database& db, const RecKey& rec) {
  if (!(db.flags & DB_FLAGS_STICKY)) return;
  auto it = sticky_.find(rec);
  if (it == sticky_.end()) return;
  double now = monotonic_now();
  if (it->second.until <= now) {
    sticky_.erase(it);
    return;
  }
  if (it->second.pinned_until <= now) {
    it->second.pinned_until = now + host_.call_tunable(kStickyPindown) / 1000.0;
  }
}

}  // namespace ctdb::daemon
