// REQ_CALL across a three-node cluster (src/daemon/db/call_engine) as 4.17's
// ctdb_call.c runs it: records move to the caller through the lmaster, stale
// dmaster names are redirected, every hand-over raises the RSN, calls for a
// record already on its way wait for it, calls parked by a recovery complete
// after it, and peers that break the protocol are caught. Three engines with
// real tdb files in one process; the packets between them go through a queue
// the test drains (test_call_engine_helpers.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ctdb/protocol.h"
#include "daemon/db/call_engine.h"
#include "protocol/packet.h"
#include "test_call_engine_helpers.h"
#include "test_monitor_helpers.h"

namespace ctdb::daemon {
namespace {

using calltest::Cluster;
using calltest::key_with_lmaster;
using calltest::Node;
using calltest::WirePacket;

Bytes b(const std::string& s) { return Bytes(s.begin(), s.end()); }

// A client's answer as smbd decodes it.
struct Answer {
  uint32_t operation = 0;
  uint32_t reqid = 0;
  int32_t status = -1;
  Bytes data;
};

// A REQ_CALL the fake network carried, as the receiving node decodes it.
struct Hop {
  uint32_t from, to, srcnode, hopcount;
  bool operator==(const Hop& o) const {
    return from == o.from && to == o.to && srcnode == o.srcnode && hopcount == o.hopcount;
  }
};
std::ostream& operator<<(std::ostream& os, const Hop& h) {
  return os << "{" << h.from << "->" << h.to << " src " << h.srcnode << " hop " << h.hopcount
            << "}";
}

class CallEngineTest : public ::testing::Test {
 protected:
  CallEngineTest() { db_id_ = cluster_.attach_volatile("calls.tdb"); }

  Node& node(uint32_t pnn) { return cluster_.node(pnn); }

  // A client of `pnn` sends REQ_CALL (its reqid is client_id * 100).
  void call(uint32_t pnn, uint32_t client_id, const Bytes& key, uint32_t callid = FETCH_FUNC) {
    Bytes pkt = calltest::client_req_call(pnn, client_id * 100, db_id_, key, callid);
    EXPECT_TRUE(node(pnn).engine.client_call(client_id, pkt.data(), pkt.size()));
  }

  // What client `client_id` of `pnn` has received.
  std::vector<Answer> answers(uint32_t pnn, uint32_t client_id) {
    std::vector<Answer> out;
    for (const calltest::ClientPacket& p : node(pnn).host.to_clients) {
      if (p.client_id != client_id) continue;
      Answer a;
      proto::Header h;
      EXPECT_TRUE(proto::decode_header(p.pkt.data(), p.pkt.size(), &h));
      a.operation = h.operation;
      a.reqid = h.reqid;
      if (h.operation == REPLY_CALL) {
        proto::ReplyCall r;
        EXPECT_TRUE(proto::decode(p.pkt.data(), p.pkt.size(), &h, &r));
        a.status = r.status;
        a.data = r.data;
      }
      out.push_back(a);
    }
    return out;
  }

  // Runs the cluster until client `client_id` of `pnn` has an answer, then
  // until nothing is left to do.
  void wait_answer(uint32_t pnn, uint32_t client_id) {
    cluster_.run_until(
        [&] { return !answers(pnn, client_id).empty(); },
        "an answer for client " + std::to_string(client_id) + " of node " + std::to_string(pnn));
    cluster_.settle("the cluster to go quiet");
  }

  // A client call that must complete with status 0; returns its data.
  Bytes fetch(uint32_t pnn, uint32_t client_id, const Bytes& key) {
    call(pnn, client_id, key);
    wait_answer(pnn, client_id);
    std::vector<Answer> a = answers(pnn, client_id);
    EXPECT_EQ(a.size(), 1u);
    if (a.empty()) return {};
    EXPECT_EQ(a[0].operation, REPLY_CALL);
    EXPECT_EQ(a[0].status, 0);
    EXPECT_EQ(a[0].reqid, client_id * 100);
    return a[0].data;
  }

  // The record as node `pnn`'s tdb file holds it; false if it has none.
  bool on_disk(uint32_t pnn, const Bytes& key, LtdbHeader* h, Bytes* data = nullptr) {
    Bytes d;
    return node(pnn).dbs.find(db_id_)->ltdb->fetch(key, h, data ? data : &d) == LtdbStatus::kOk;
  }
  LtdbHeader header_on(uint32_t pnn, const Bytes& key) {
    LtdbHeader h;
    EXPECT_TRUE(on_disk(pnn, key, &h)) << "node " << pnn << " has no record";
    return h;
  }

  // A client of `pnn` (the record's dmaster) changes the record under its
  // chain lock, as smbd does after a fetch: header as it is, new data.
  void client_store(uint32_t pnn, const Bytes& key, const std::string& value) {
    Database* db = node(pnn).dbs.find(db_id_);
    LtdbChainLock lock(db->ltdb.get(), key, LtdbChainLock::Mode::kBlocking);
    ASSERT_TRUE(lock.locked());
    LtdbHeader h;
    Bytes old;
    ASSERT_EQ(db->ltdb->fetch(key, &h, &old), LtdbStatus::kOk);
    ASSERT_EQ(h.dmaster, pnn);
    ASSERT_TRUE(db->ltdb->store(key, h, b(value)));
  }

  // The REQ_CALLs the network carried from packet `since` on.
  std::vector<Hop> req_calls(size_t since = 0) {
    std::vector<Hop> out;
    const std::vector<WirePacket>& sent = cluster_.net.sent;
    for (size_t i = since; i < sent.size(); i++) {
      if (sent[i].operation() != REQ_CALL) continue;
      proto::Header h;
      proto::ReqCall c;
      EXPECT_TRUE(proto::decode(sent[i].pkt.data(), sent[i].pkt.size(), &h, &c));
      out.push_back({sent[i].from, sent[i].to, h.srcnode, c.hopcount});
    }
    return out;
  }

  // The operations the network carried from packet `since` on, as
  // "FROM>TO OPERATION".
  std::vector<std::string> traffic(size_t since = 0) {
    std::vector<std::string> out;
    const std::vector<WirePacket>& sent = cluster_.net.sent;
    for (size_t i = since; i < sent.size(); i++) {
      out.push_back(std::to_string(sent[i].from) + ">" + std::to_string(sent[i].to) + " " +
                    proto::operation_name(sent[i].operation()));
    }
    return out;
  }

  monitor::LogCapture log_;
  Cluster cluster_;
  uint32_t db_id_ = 0;
};

TEST_F(CallEngineTest, MissingRecordMigratesToTheCallerThroughItsLmaster) {
  Bytes key = key_with_lmaster(0, "fresh");
  EXPECT_EQ(fetch(1, 7, key), Bytes{});
  // Node 1 asks the lmaster, which creates the record (RSN 1) and, being its
  // dmaster, hands it straight back.
  EXPECT_EQ(traffic(), (std::vector<std::string>{"1>0 REQ_CALL", "0>1 REPLY_DMASTER"}));
  LtdbHeader on1 = header_on(1, key);
  EXPECT_EQ(on1.dmaster, 1u);
  // The arrival is stored as dmaster (RSN 2), the call writes it back (3).
  EXPECT_EQ(on1.rsn, 3u);
  EXPECT_EQ(on1.flags, 0u);
  LtdbHeader on0 = header_on(0, key);
  EXPECT_EQ(on0.dmaster, 1u);
  EXPECT_EQ(on0.rsn, 1u);
  LtdbHeader on2;
  EXPECT_FALSE(on_disk(2, key, &on2));
  EXPECT_EQ(node(1).engine.pending_calls(), 0u);
  EXPECT_EQ(node(1).host.stats().total_calls, 1u);
  EXPECT_EQ(node(1).host.stats().pending_calls, 0u);
  EXPECT_TRUE(node(0).host.to_clients.empty());
  for (uint32_t pnn = 0; pnn < 3; pnn++) EXPECT_TRUE(node(pnn).host.recovery_requests.empty());
}

TEST_F(CallEngineTest, StaleDmasterRedirectsThroughTheLmasterAndTheHopCountGrows) {
  Bytes key = key_with_lmaster(0, "stale");
  // The record (with data, so that the copies left behind are kept) goes
  // 1 -> 2 -> 0: node 1's copy still names node 2.
  fetch(1, 1, key);
  client_store(1, key, "v");
  fetch(2, 2, key);
  EXPECT_EQ(req_calls().back(), (Hop{0, 1, 2, 1}));  // the lmaster sent node 2's call on
  size_t mark = cluster_.net.sent.size();
  fetch(0, 3, key);
  // The lmaster asked node 2 directly and took the record back itself.
  EXPECT_EQ(traffic(mark), (std::vector<std::string>{"0>2 REQ_CALL", "2>0 REQ_DMASTER"}));
  EXPECT_EQ(header_on(0, key).dmaster, 0u);
  EXPECT_EQ(header_on(2, key).dmaster, 0u);
  ASSERT_EQ(header_on(1, key).dmaster, 2u);  // stale
  // Node 2's own copy names node 1, a leftover that is wrong as well: a node
  // that is not the lmaster does not follow its copy but asks the lmaster.
  {
    Database* db = node(2).dbs.find(db_id_);
    LtdbHeader h;
    Bytes v;
    ASSERT_EQ(db->ltdb->fetch(key, &h, &v), LtdbStatus::kOk);
    h.dmaster = 1;
    ASSERT_TRUE(db->ltdb->store(key, h, v));
  }
  uint32_t bucket1 = node(0).host.stats().hop_count_bucket[1];
  EXPECT_EQ(node(0).host.stats().max_hop_count, 0u);

  mark = cluster_.net.sent.size();
  EXPECT_EQ(fetch(1, 4, key), b("v"));
  // Node 1 asks the node its copy names; that one is not dmaster and sends
  // the call to the lmaster, one hop further, which is dmaster and answers.
  EXPECT_EQ(req_calls(mark), (std::vector<Hop>{{1, 2, 1, 0}, {2, 0, 1, 1}}));
  EXPECT_EQ(traffic(mark),
            (std::vector<std::string>{"1>2 REQ_CALL", "2>0 REQ_CALL", "0>1 REPLY_DMASTER"}));
  EXPECT_EQ(node(0).host.stats().max_hop_count, 1u);
  EXPECT_EQ(node(0).host.stats().hop_count_bucket[1], bucket1 + 1);
  EXPECT_EQ(header_on(1, key).dmaster, 1u);
  EXPECT_EQ(header_on(0, key).dmaster, 1u);
  EXPECT_EQ(node(1).engine.pending_calls(), 0u);
  for (uint32_t pnn = 0; pnn < 3; pnn++) EXPECT_TRUE(node(pnn).host.recovery_requests.empty());
}

TEST_F(CallEngineTest, EveryMigrationRaisesTheRsnAndCarriesTheStoredData) {
  Bytes key = key_with_lmaster(0, "rsn");
  fetch(1, 1, key);
  ASSERT_EQ(header_on(1, key).rsn, 3u);
  client_store(1, key, "hello");

  // 1 -> 2: node 2 asks the lmaster, which sends the call on to node 1; node
  // 1 gives the record (RSN 3) to the lmaster for node 2.
  size_t mark = cluster_.net.sent.size();
  EXPECT_EQ(fetch(2, 2, key), b("hello"));
  EXPECT_EQ(traffic(mark), (std::vector<std::string>{"2>0 REQ_CALL", "0>1 REQ_CALL",
                                                     "1>0 REQ_DMASTER", "0>2 REPLY_DMASTER"}));
  proto::Header h;
  proto::ReqDmaster d;
  const WirePacket& req_dmaster = cluster_.net.sent[mark + 2];
  ASSERT_TRUE(proto::decode(req_dmaster.pkt.data(), req_dmaster.pkt.size(), &h, &d));
  EXPECT_EQ(d.rsn, 3u);
  EXPECT_EQ(d.dmaster, 2u);
  EXPECT_EQ(d.data, b("hello"));
  EXPECT_EQ(d.record_flags & REC_FLAG_MIGRATED_WITH_DATA, REC_FLAG_MIGRATED_WITH_DATA);
  Bytes data;
  LtdbHeader on2;
  ASSERT_TRUE(on_disk(2, key, &on2, &data));
  EXPECT_EQ(on2.dmaster, 2u);
  EXPECT_EQ(on2.rsn, 5u);  // arrival 4, the call's write-back 5
  EXPECT_EQ(data, b("hello"));
  LtdbHeader on1;
  ASSERT_TRUE(on_disk(1, key, &on1, &data));  // kept: it migrated with data
  EXPECT_EQ(on1.dmaster, 2u);
  EXPECT_EQ(on1.rsn, 3u);
  EXPECT_EQ(data, b("hello"));
  LtdbHeader on0 = header_on(0, key);
  EXPECT_EQ(on0.dmaster, 2u);
  EXPECT_EQ(on0.rsn, 3u);
  EXPECT_EQ(on0.flags, REC_FLAG_MIGRATED_WITH_DATA);
  client_store(2, key, "world");

  // 2 -> 1: node 1's copy names node 2, which it asks directly.
  mark = cluster_.net.sent.size();
  EXPECT_EQ(fetch(1, 3, key), b("world"));
  EXPECT_EQ(traffic(mark),
            (std::vector<std::string>{"1>2 REQ_CALL", "2>0 REQ_DMASTER", "0>1 REPLY_DMASTER"}));
  ASSERT_TRUE(on_disk(1, key, &on1, &data));
  EXPECT_EQ(on1.dmaster, 1u);
  EXPECT_EQ(on1.rsn, 7u);
  EXPECT_GT(on1.rsn, on2.rsn);
  EXPECT_EQ(data, b("world"));
  ASSERT_TRUE(on_disk(2, key, &on2, &data));
  EXPECT_EQ(on2.dmaster, 1u);
  EXPECT_EQ(on2.rsn, 5u);
  EXPECT_EQ(data, b("world"));
  on0 = header_on(0, key);
  EXPECT_EQ(on0.dmaster, 1u);
  EXPECT_EQ(on0.rsn, 5u);
  for (uint32_t pnn = 0; pnn < 3; pnn++) EXPECT_TRUE(node(pnn).host.recovery_requests.empty());
}

TEST_F(CallEngineTest, TwoClientsAskingForOneRemoteRecordSendOneRequest) {
  ASSERT_EQ(node(1).host.call_tunable(kFetchCollapse), 1u);
  Bytes key = key_with_lmaster(0, "collapse");
  fetch(2, 1, key);
  client_store(2, key, "shared");
  size_t mark = cluster_.net.sent.size();

  call(1, 2, key);
  call(1, 3, key);
  EXPECT_EQ(node(1).engine.pending_calls(), 1u);  // the second waits for the first
  EXPECT_EQ(node(1).host.stats().pending_calls, 2u);
  cluster_.run_until([&] { return !answers(1, 2).empty() && !answers(1, 3).empty(); },
                     "answers for both clients of node 1");
  cluster_.settle("the cluster to go quiet");
  // One request left node 1 and the lmaster sent it on to node 2.
  EXPECT_EQ(req_calls(mark), (std::vector<Hop>{{1, 0, 1, 0}, {0, 2, 1, 1}}));
  for (uint32_t client : {2u, 3u}) {
    std::vector<Answer> a = answers(1, client);
    ASSERT_EQ(a.size(), 1u) << "client " << client;
    EXPECT_EQ(a[0].operation, REPLY_CALL);
    EXPECT_EQ(a[0].reqid, client * 100);
    EXPECT_EQ(a[0].status, 0);
    EXPECT_EQ(a[0].data, b("shared"));
  }
  EXPECT_EQ(header_on(1, key).dmaster, 1u);
  // Arrival, the first call, the second call: one write-back each.
  EXPECT_EQ(header_on(1, key).rsn, header_on(0, key).rsn + 3);
  EXPECT_EQ(node(1).engine.pending_calls(), 0u);
  EXPECT_EQ(node(1).host.stats().pending_calls, 0u);
}

TEST_F(CallEngineTest, WithoutFetchCollapseEveryClientSendsItsOwnRequest) {
  node(1).host.tunables.set("FetchCollapse", 0);
  Bytes key = key_with_lmaster(0, "nocollapse");
  fetch(2, 1, key);
  client_store(2, key, "shared");
  size_t mark = cluster_.net.sent.size();

  call(1, 2, key);
  call(1, 3, key);
  EXPECT_EQ(node(1).engine.pending_calls(), 2u);
  cluster_.run_until([&] { return !answers(1, 2).empty() && !answers(1, 3).empty(); },
                     "answers for both clients of node 1");
  cluster_.settle("the cluster to go quiet");
  size_t from1 = 0;
  for (const Hop& h : req_calls(mark)) from1 += h.from == 1;
  EXPECT_EQ(from1, 2u);
  for (uint32_t client : {2u, 3u}) {
    std::vector<Answer> a = answers(1, client);
    ASSERT_EQ(a.size(), 1u) << "client " << client;
    EXPECT_EQ(a[0].operation, REPLY_CALL);
    EXPECT_EQ(a[0].reqid, client * 100);
    EXPECT_EQ(a[0].status, 0);
    EXPECT_EQ(a[0].data, b("shared"));
  }
  EXPECT_EQ(header_on(1, key).dmaster, 1u);
  EXPECT_EQ(node(1).engine.pending_calls(), 0u);
}

TEST_F(CallEngineTest, CallsBlockedByRecoveryCompleteAfterRecovered) {
  Bytes in_flight = key_with_lmaster(0, "inflight");
  Bytes parked = key_with_lmaster(0, "parked");
  fetch(2, 1, in_flight);
  client_store(2, in_flight, "a");
  fetch(2, 2, parked);
  client_store(2, parked, "b");
  LtdbHeader before_a = header_on(2, in_flight);
  LtdbHeader before_b = header_on(2, parked);
  size_t mark = cluster_.net.sent.size();

  // One call leaves node 1, then a recovery starts and a second call comes.
  call(1, 3, in_flight);
  ASSERT_EQ(cluster_.net.queue.size(), 1u);
  cluster_.set_blocked(true);
  call(1, 4, parked);
  EXPECT_EQ(cluster_.net.queue.size(), 1u);  // the second one did not leave
  ASSERT_TRUE(cluster_.settle("the blocked cluster to go quiet"));
  // The first call reached the lmaster, which holds it: nothing moved.
  EXPECT_EQ(traffic(mark), (std::vector<std::string>{"1>0 REQ_CALL"}));
  EXPECT_TRUE(answers(1, 3).empty());
  EXPECT_TRUE(answers(1, 4).empty());
  EXPECT_EQ(header_on(2, in_flight).dmaster, 2u);
  EXPECT_EQ(header_on(2, in_flight).rsn, before_a.rsn);
  EXPECT_EQ(header_on(2, parked).dmaster, 2u);
  EXPECT_EQ(header_on(2, parked).rsn, before_b.rsn);
  EXPECT_EQ(header_on(0, in_flight).dmaster, 2u);
  EXPECT_EQ(node(1).engine.pending_calls(), 1u);

  // The recovery ends with a new generation everywhere.
  cluster_.set_generation(Cluster::kGeneration + 1);
  cluster_.set_blocked(false);
  for (uint32_t pnn = 0; pnn < 3; pnn++) node(pnn).engine.recovered();
  cluster_.run_until([&] { return !answers(1, 3).empty() && !answers(1, 4).empty(); },
                     "both calls of node 1 after the recovery");
  cluster_.settle("the cluster to go quiet");
  std::vector<Answer> a = answers(1, 3);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].status, 0);
  EXPECT_EQ(a[0].reqid, 300u);
  EXPECT_EQ(a[0].data, b("a"));
  a = answers(1, 4);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].status, 0);
  EXPECT_EQ(a[0].reqid, 400u);
  EXPECT_EQ(a[0].data, b("b"));
  EXPECT_EQ(header_on(1, in_flight).dmaster, 1u);
  EXPECT_EQ(header_on(1, parked).dmaster, 1u);
  EXPECT_GT(header_on(1, in_flight).rsn, before_a.rsn);
  EXPECT_GT(header_on(1, parked).rsn, before_b.rsn);
  // Everything after the recovery is of the new generation: the old request
  // the lmaster held was dropped, not sent on.
  for (size_t i = mark + 1; i < cluster_.net.sent.size(); i++) {
    proto::Header h;
    const WirePacket& p = cluster_.net.sent[i];
    ASSERT_TRUE(proto::decode_header(p.pkt.data(), p.pkt.size(), &h));
    EXPECT_EQ(h.generation, Cluster::kGeneration + 1) << "packet " << i;
  }
  EXPECT_EQ(req_calls(mark).size(), 5u);  // the lost one, then 1>0, 0>2 for each
  EXPECT_EQ(node(1).engine.pending_calls(), 0u);
  EXPECT_EQ(node(1).host.stats().pending_calls, 0u);
}

TEST_F(CallEngineTest, DmasterRequestFromANodeThatIsNotDmasterAsksForRecovery) {
  Bytes key = key_with_lmaster(0, "hostile");
  fetch(1, 1, key);
  client_store(1, key, "mine");
  LtdbHeader on0 = header_on(0, key);
  ASSERT_EQ(on0.dmaster, 1u);
  size_t mark = cluster_.net.sent.size();

  // Node 2 claims to hand over a record node 1 masters.
  proto::Header h;
  h.generation = Cluster::kGeneration;
  h.srcnode = 2;
  h.destnode = 0;
  h.reqid = 99;
  proto::ReqDmaster d;
  d.db_id = db_id_;
  d.rsn = 1000;
  d.dmaster = 2;
  d.key = key;
  d.data = b("stolen");
  Bytes pkt = proto::encode(h, d);
  node(0).engine.node_packet(2, pkt.data(), pkt.size());
  cluster_.settle("the cluster to go quiet");
  EXPECT_EQ(node(0).host.recovery_requests,
            (std::vector<std::string>{"dmaster request from a node that is not dmaster"}));
  EXPECT_EQ(traffic(mark), std::vector<std::string>{});
  LtdbHeader now = header_on(0, key);
  EXPECT_EQ(now.dmaster, 1u);
  EXPECT_EQ(now.rsn, on0.rsn);
  Bytes data;
  LtdbHeader on1;
  ASSERT_TRUE(on_disk(1, key, &on1, &data));
  EXPECT_EQ(on1.dmaster, 1u);
  EXPECT_EQ(data, b("mine"));

  // The same request to a node that is not the key's lmaster.
  h.destnode = 1;
  pkt = proto::encode(h, d);
  node(1).engine.node_packet(2, pkt.data(), pkt.size());
  cluster_.settle("the cluster to go quiet");
  EXPECT_EQ(node(1).host.recovery_requests,
            (std::vector<std::string>{"REQ_DMASTER reached a node that is not lmaster"}));
  EXPECT_EQ(traffic(mark), std::vector<std::string>{});
  ASSERT_TRUE(on_disk(1, key, &on1, &data));
  EXPECT_EQ(on1.dmaster, 1u);
  EXPECT_EQ(data, b("mine"));
  EXPECT_TRUE(node(2).host.recovery_requests.empty());
}

TEST_F(CallEngineTest, MalformedAndStalePacketsAreDroppedWithoutSideEffects) {
  Bytes key = key_with_lmaster(0, "garbage");
  fetch(1, 1, key);
  LtdbHeader on0 = header_on(0, key);
  LtdbHeader on1 = header_on(1, key);
  size_t mark = cluster_.net.sent.size();

  proto::Header h;
  h.generation = Cluster::kGeneration;
  h.srcnode = 2;
  h.destnode = 0;
  h.reqid = 5;
  proto::ReqCall c;
  c.db_id = db_id_;
  c.callid = FETCH_FUNC;
  c.key = key;
  Bytes good = proto::encode(h, c);
  // A key length that runs past the end of the packet.
  Bytes long_key = good;
  long_key[48] = 0xff;
  long_key[49] = 0x7f;
  node(0).engine.node_packet(2, long_key.data(), long_key.size());
  // A header cut short, and a packet with another magic.
  node(0).engine.node_packet(2, good.data(), 20);
  Bytes bad_magic = good;
  bad_magic[4] ^= 0xff;
  node(0).engine.node_packet(2, bad_magic.data(), bad_magic.size());
  // A REPLY_DMASTER whose data length runs past the end.
  proto::ReplyDmaster rd;
  rd.db_id = db_id_;
  rd.rsn = 500;
  rd.key = key;
  rd.data = b("x");
  Bytes reply = proto::encode(h, rd);
  Bytes short_reply(reply.begin(), reply.begin() + 48);
  short_reply[0] = 48;  // the length field says so too
  node(0).engine.node_packet(2, short_reply.data(), short_reply.size());
  // A well-formed call of a generation the cluster has left behind.
  h.generation = Cluster::kGeneration - 1;
  Bytes stale = proto::encode(h, c);
  node(0).engine.node_packet(2, stale.data(), stale.size());
  cluster_.settle("the cluster to go quiet");

  EXPECT_EQ(traffic(mark), std::vector<std::string>{});
  EXPECT_EQ(log_.count("malformed REQ_CALL from node 2 dropped"), 1u) << log_.all();
  EXPECT_EQ(log_.count("malformed REPLY_DMASTER from node 2 dropped"), 1u) << log_.all();
  LtdbHeader now = header_on(0, key);
  EXPECT_EQ(now.dmaster, on0.dmaster);
  EXPECT_EQ(now.rsn, on0.rsn);
  now = header_on(1, key);
  EXPECT_EQ(now.dmaster, 1u);
  EXPECT_EQ(now.rsn, on1.rsn);
  for (uint32_t pnn = 0; pnn < 3; pnn++) EXPECT_TRUE(node(pnn).host.recovery_requests.empty());

  // A client's malformed call is refused (the daemon closes that client).
  Bytes client = calltest::client_req_call(1, 600, db_id_, key, FETCH_FUNC);
  client[48] = 0xff;
  uint32_t calls_before = node(1).host.stats().total_calls;
  EXPECT_FALSE(node(1).engine.client_call(6, client.data(), client.size()));
  EXPECT_TRUE(answers(1, 6).empty());
  EXPECT_EQ(node(1).host.stats().total_calls, calls_before);

  // The well-formed call still works afterwards.
  h.generation = Cluster::kGeneration;
  Bytes again = proto::encode(h, c);
  node(0).engine.node_packet(2, again.data(), again.size());
  cluster_.settle("the cluster to go quiet");
  EXPECT_EQ(traffic(mark),
            (std::vector<std::string>{"0>1 REQ_CALL", "1>0 REQ_DMASTER", "0>2 REPLY_DMASTER"}));
  // No call of node 2 waited for it: the record is kept, nobody answered.
  EXPECT_EQ(header_on(2, key).dmaster, 2u);
  EXPECT_TRUE(node(2).host.to_clients.empty());
}

}  // namespace
}  // namespace ctdb::daemon
