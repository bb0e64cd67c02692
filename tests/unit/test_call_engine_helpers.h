// A three-node cluster inside one process for the call engine tests
// (src/daemon/db/call_engine): per node a fake CallHost, a DbRegistry in its
// own temp dir and a CallEngine, all on one EventLoop. Packets between nodes
// go through one FIFO queue that the test drains, so every run takes the same
// route; what the engines hand to clients is recorded per node.
#pragma once

#include <event2/event.h>
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/ltdb.h"
#include "common/tunables.h"
#include "ctdb/protocol.h"
#include "daemon/db/call_engine.h"
#include "daemon/db/db_registry.h"
#include "daemon/event_loop.h"
#include "protocol/packet.h"
#include "test_common_helpers.h"

namespace ctdb::daemon::calltest {

// One packet the fake network carries.
struct WirePacket {
  uint32_t from = 0;
  uint32_t to = 0;
  proto::Bytes pkt;
  uint32_t operation() const {
    proto::Header h;
    return proto::decode_header(pkt.data(), pkt.size(), &h) ? h.operation : ~0u;
  }
};

// What a client of a node received.
struct ClientPacket {
  uint32_t client_id = 0;
  proto::Bytes pkt;
};

class Network {
 public:
  std::deque<WirePacket> queue;  // not yet delivered, in sending order
  std::vector<WirePacket> sent;  // everything ever sent, in order
  void carry(uint32_t from, uint32_t to, const proto::Bytes& pkt) {
    queue.push_back({from, to, pkt});
    sent.push_back({from, to, pkt});
  }
};

class FakeCallHost : public CallHost {
 public:
  FakeCallHost(uint32_t pnn, Network& net) : pnn_(pnn), net_(net) {}

  uint32_t pnn() const override { return pnn_; }
  const proto::VnnMap& vnnmap() const override { return map; }
  bool calls_blocked() const override { return blocked; }
  void send_call_packet(uint32_t pnn, const proto::Bytes& pkt) override {
    net_.carry(pnn_, pnn, pkt);
  }
  void send_client_packet(uint32_t client_id, const proto::Bytes& pkt) override {
    to_clients.push_back({client_id, pkt});
  }
  void calls_need_recovery(const char* why) override { recovery_requests.emplace_back(why); }
  proto::Statistics& stats() override { return stats_; }
  uint32_t call_tunable(TunableId id) const override { return tunables[id]; }
  void send_update_record(uint32_t pnn, const proto::Bytes&,
                          std::function<void(bool ok)>) override {
    // Only read-only databases revoke copies; these tests use none.
    ADD_FAILURE() << "node " << pnn_ << " sent UPDATE_RECORD to node " << pnn;
  }

  proto::VnnMap map;
  bool blocked = false;
  std::vector<ClientPacket> to_clients;
  std::vector<std::string> recovery_requests;
  Tunables tunables;  // the defaults unless a test sets one

 private:
  uint32_t pnn_;
  Network& net_;
  proto::Statistics stats_;
};

struct Node {
  Node(uint32_t pnn, Network& net, EventLoop& loop)
      : host(pnn, net), dbs(dir.path(), dir.path(), dir.path(), pnn), engine(host, dbs, loop) {}
  unit::TempDir dir;
  FakeCallHost host;
  DbRegistry dbs;
  CallEngine engine;
};

class Cluster {
 public:
  static constexpr uint32_t kNodes = 3;
  static constexpr uint32_t kGeneration = 0x1234;

  Cluster() {
    for (uint32_t pnn = 0; pnn < kNodes; pnn++) {
      nodes_.push_back(std::make_unique<Node>(pnn, net, loop));
    }
    set_generation(kGeneration);
  }

  Node& node(uint32_t pnn) { return *nodes_.at(pnn); }

  // Every node gets the vnnmap {generation, [0, 1, 2]}.
  void set_generation(uint32_t generation) {
    for (auto& n : nodes_) {
      n->host.map.generation = generation;
      n->host.map.map = {0, 1, 2};
    }
  }
  void set_blocked(bool blocked) {
    for (auto& n : nodes_) n->host.blocked = blocked;
  }

  // Attaches the volatile database `name` on every node; its db_id (the same
  // everywhere, derived from the name).
  uint32_t attach_volatile(const std::string& name) {
    uint32_t db_id = 0;
    for (auto& n : nodes_) {
      std::string err;
      Database* db = n->dbs.attach(name, 0, 1000, 5, &err);
      EXPECT_NE(db, nullptr) << err;
      if (db == nullptr) return 0;
      EXPECT_TRUE(db_id == 0 || db_id == db->db_id);
      db_id = db->db_id;
    }
    return db_id;
  }

  // Delivers the oldest packet on the network; false if there is none.
  bool deliver_one() {
    if (net.queue.empty()) return false;
    WirePacket p = std::move(net.queue.front());
    net.queue.pop_front();
    node(p.to).engine.node_packet(p.from, p.pkt.data(), p.pkt.size());
    return true;
  }

  // Delivers packets and runs the loop's due timers until cond() holds;
  // false (and a test failure naming `what`) after `limit` seconds.
  bool run_until(const std::function<bool()>& cond, const std::string& what, double limit = 10) {
    double deadline = monotonic_now() + limit;
    while (!cond()) {
      if (monotonic_now() > deadline) {
        ADD_FAILURE() << "timed out after " << limit << " s waiting for: " << what;
        return false;
      }
      if (!deliver_one()) event_base_loop(loop.base(), EVLOOP_ONCE | EVLOOP_NONBLOCK);
    }
    return true;
  }

  // Runs until nothing is left to do: no packet on the network and no timer
  // of any engine pending (a call parked while calls are blocked waits for
  // recovered() and arms no timer).
  bool settle(const std::string& what, double limit = 10) {
    return run_until(
        [&] {
          return net.queue.empty() &&
                 event_base_get_num_events(loop.base(),
                                           EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_ACTIVE) == 0;
        },
        what, limit);
  }

  EventLoop loop;
  Network net;

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
};

// A key (prefix + number) whose lmaster under the map [0, 1, 2] is `lmaster`.
inline proto::Bytes key_with_lmaster(uint32_t lmaster, const std::string& prefix) {
  for (int i = 0;; i++) {
    std::string s = prefix + std::to_string(i);
    proto::Bytes key(s.begin(), s.end());
    if (ctdb_hash(key) % Cluster::kNodes == lmaster) return key;
  }
}

// A client's REQ_CALL as smbd sends it to its local daemon.
inline proto::Bytes client_req_call(uint32_t pnn, uint32_t reqid, uint32_t db_id,
                                    const proto::Bytes& key, uint32_t callid, uint32_t flags = 0) {
  proto::Header h;
  h.srcnode = pnn;
  h.destnode = pnn;
  h.reqid = reqid;
  proto::ReqCall c;
  c.flags = flags;
  c.db_id = db_id;
  c.callid = callid;
  c.key = key;
  return proto::encode(h, c);
}

}  // namespace ctdb::daemon::calltest
