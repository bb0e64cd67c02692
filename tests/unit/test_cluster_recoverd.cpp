// The recovery daemon logic (daemon/cluster/recoverd) as node 0 of a three-node cluster, with a
// fake daemon that answers the controls from a scripted model of the three nodes, on a real
// reactor: the election without a recovery lock, the first recovery and the controls it sends
// in order, failing and silent nodes with their ban credits and the ban, the pacing of
// recoveries (RerecoveryTimeout, RecoverInterval, SRVID_DISABLE_RECOVERIES), the leader's
// cluster check, and giving up leadership.
#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "daemon/cluster/recoverd.h"
#include "daemon/controls/dispatch.h"
#include "daemon/event_loop.h"
#include "daemon/takeover/public_ips.h"
#include "protocol/control.h"
#include "test_monitor_helpers.h"

namespace ctdb::daemon::cluster {
namespace {

using monitor::LogCapture;
using monitor::spin_until;

constexpr uint32_t kNodes = 3;

// This node's public addresses: none (no file), so they never ask for a takeover run.
class IpsHost : public takeover::PublicIpsHost {
 public:
  uint32_t pnn() const override { return 0; }
  Runstate runstate() const override { return RUNSTATE_RUNNING; }
  uint32_t own_flags() const override { return 0; }
  uint32_t recmode() const override { return RECOVERY_NORMAL; }
  void run_ip_event(uint32_t, std::vector<std::string>, std::function<void(int)> done) override {
    done(0);
  }
  void message_local_clients(uint64_t, const proto::Bytes&) override {}
  void send_control_noreply(uint32_t, uint32_t, const proto::Bytes&) override {}
  void send_message(uint32_t, uint64_t, const proto::Bytes&) override {}
  void ban_self() override {}
  uint32_t tickle_update_interval() const override { return 20; }
};

class NoNet : public takeover::SystemNet {
 public:
  bool have_ip(const proto::SockAddr&) override { return false; }
  bool iface_exists(const std::string&) override { return true; }
  int send_arp(const proto::SockAddr&, const std::string&) override { return 0; }
  int send_tcp(const proto::SockAddr&, const proto::SockAddr&, uint32_t, uint32_t, bool) override {
    return 0;
  }
};

struct SentControl {
  uint32_t dest;
  uint32_t opcode;
  proto::Bytes data;
  double timeout;
  uint32_t flags;
  double at;  // monotonic seconds
};

struct SentMessage {
  uint32_t dest;
  uint64_t srvid;
  proto::Bytes data;
  double at;
};

// What a node does with a control: answers it, refuses it (status -1) or never answers (the
// daemon then reports -1 when the control's timeout fires).
enum class Fault { kNone, kFail, kSilent };

// Node 0's daemon, and a model of what the three nodes answer.
class FakeCluster : public RecoverdHost {
 public:
  struct Model {
    uint32_t recmode = RECOVERY_ACTIVE;  // a daemon starts in recovery
    proto::VnnMap vnnmap;
    uint32_t caps = CAP_DEFAULT;
    std::optional<uint32_t> own_flags;  // what the node says of itself, when not node 0's view
  };

  explicit FakeCluster(EventLoop& loop)
      : loop_(loop), ips_(loop, ips_host_, net_, takeover::PublicIps::Settings{}) {
    for (uint32_t pnn = 0; pnn < kNodes; pnn++) {
      NodeInfo n;
      n.pnn = pnn;
      n.addr = *proto::SockAddr::parse("10.1.0." + std::to_string(pnn + 1), 4379);
      nodes_.push_back(n);
      Model m;
      m.vnnmap.generation = INVALID_GENERATION;
      m.vnnmap.map = {pnn};
      model_.push_back(m);
    }
    // The first look at the interfaces counts as a change (4.17): done here, so that no
    // takeover run request comes from this node's own address check.
    ips_.interfaces_changed();
  }

  // RecoverdHost.
  uint32_t pnn() const override { return 0; }
  EventLoop& loop() override { return loop_; }
  const std::vector<NodeInfo>& nodes() const override { return nodes_; }
  const proto::VnnMap& vnnmap() const override { return model_[0].vnnmap; }
  uint32_t recmode() const override { return model_[0].recmode; }
  const Tunables& tunables() const override { return tunables_; }
  proto::Statistics& stats() override { return stats_; }
  std::vector<uint32_t> broadcast_targets(uint32_t dest) const override {
    std::vector<uint32_t> out;
    for (const NodeInfo& n : nodes_) {
      if (n.flags & NODE_FLAGS_DELETED) continue;
      if (dest != BROADCAST_ALL && (n.flags & NODE_FLAGS_DISCONNECTED)) continue;
      out.push_back(n.pnn);
    }
    return out;
  }
  void send_control(uint32_t dest, uint32_t opcode, uint64_t, const proto::Bytes& data,
                    double timeout, ControlCallback cb, uint32_t flags) override {
    EXPECT_TRUE(proto::check_request_payload(opcode, data))
        << "malformed " << proto::control_name(opcode) << " request to node " << dest;
    // The recovery mode every election sets on the nodes it reaches (4.17's force_election)
    // is kept apart: the tests follow the leader's own controls.
    if (opcode == CONTROL_SET_RECMODE && (flags & CTRL_FLAG_NOREPLY)) {
      election_recmodes_.push_back(dest);
    } else {
      sent_.push_back({dest, opcode, data, timeout, flags, monotonic_now()});
      if (on_control) on_control(sent_.back());
    }
    Fault fault = Fault::kNone;
    if (auto it = faults_.find({dest, opcode}); it != faults_.end()) {
      fault = it->second;
      auto left = fault_times_.find({dest, opcode});
      if (left != fault_times_.end() && --left->second == 0) {
        faults_.erase(it);
        fault_times_.erase(left);
      }
    }
    if (dest >= kNodes || (nodes_[dest].flags & NODE_FLAGS_DISCONNECTED)) fault = Fault::kFail;
    int32_t status = -1;
    proto::Bytes reply;
    if (fault == Fault::kNone) answer(dest, opcode, data, &status, &reply);
    if (!cb || (flags & CTRL_FLAG_NOREPLY)) return;
    if (fault == Fault::kSilent) {
      run_after(timeout, [this, cb, dest, opcode] {
        timed_out_.push_back({dest, opcode, {}, 10, 0, monotonic_now()});
        cb(dest, -1, {}, "timed out");
      });
      return;
    }
    std::string err = fault == Fault::kFail ? "scripted failure" : "";
    // As the daemon: a control to this node is answered at once, others from the reactor.
    if (dest == pnn()) {
      cb(dest, status, reply, err);
    } else {
      run_after(0, [cb, dest, status, reply, err] { cb(dest, status, reply, err); });
    }
  }
  void send_message(uint32_t dest, uint64_t srvid, const proto::Bytes& data) override {
    messages_.push_back({dest, srvid, data, monotonic_now()});
    if (dest == pnn()) deliver_message(srvid, data);
  }
  void deliver_message(uint64_t srvid, const proto::Bytes& data) override {
    if (auto it = handlers_.find(srvid); it != handlers_.end()) {
      MessageHandler h = it->second;
      h(data);
    }
  }
  void set_message_handler(uint64_t srvid, MessageHandler handler) override {
    handlers_[srvid] = std::move(handler);
  }
  void clear_message_handler(uint64_t srvid) override { handlers_.erase(srvid); }
  void run_after(double seconds, std::function<void()> fn) override {
    uint64_t id = next_oneshot_++;
    auto t = std::make_unique<Timer>(loop_, [this, id, fn = std::move(fn)] {
      auto keep = std::move(oneshots_[id]);  // destroyed after fn returns
      oneshots_.erase(id);
      fn();
    });
    t->start(seconds);
    oneshots_[id] = std::move(t);
  }
  uint32_t own_flags() const override { return nodes_[0].flags; }
  uint32_t capabilities() const override { return model_[0].caps; }
  const std::string& reclock_path() const override { return reclock_; }
  double reclock_recheck_interval() const override { return 1; }
  double leader_timeout() const override { return 5; }
  void learn_node_flags(uint32_t pnn, uint32_t flags) override {
    learned_.push_back({pnn, flags});
    nodes_[pnn].flags = (nodes_[pnn].flags & NODE_FLAGS_DISCONNECTED) | flags;
  }
  takeover::PublicIps& public_ips() override { return ips_; }

  // A message from another node (or a local client) to node 0.
  void receive(uint64_t srvid, const proto::Bytes& data) { deliver_message(srvid, data); }

  // The controls sent from index `from` on (up to `to`), each run of one control with one
  // payload folded into one step: "START_RECOVERY->0,1,2". SET_RECMODE shows its mode.
  std::string trace(size_t from = 0, size_t to = SIZE_MAX, uint32_t only = 0) const {
    std::string out;
    std::string last;
    for (size_t i = from; i < sent_.size() && i < to; i++) {
      const SentControl& c = sent_[i];
      if (only != 0 && c.opcode != only) continue;
      std::string step = proto::control_name(c.opcode);
      uint32_t mode;
      if (c.opcode == CONTROL_SET_RECMODE && payload_u32(c.data, &mode)) {
        step += mode == RECOVERY_ACTIVE ? "(ACTIVE)" : "(NORMAL)";
      }
      if (step == last) {
        out += "," + std::to_string(c.dest);
        continue;
      }
      if (!out.empty()) out += " ";
      out += step + "->" + std::to_string(c.dest);
      last = step;
    }
    return out;
  }
  size_t count(uint32_t opcode, uint32_t dest = UNKNOWN_PNN) const {
    size_t n = 0;
    for (const auto& c : sent_) n += c.opcode == opcode && (dest == UNKNOWN_PNN || c.dest == dest);
    return n;
  }
  // Index of the n-th (0-based) control `opcode` to node 0 with payload `data`
  // (any payload when empty); sent_.size() when there is none.
  size_t find(uint32_t opcode, size_t nth = 0, const proto::Bytes& data = {}) const {
    for (size_t i = 0; i < sent_.size(); i++) {
      const SentControl& c = sent_[i];
      if (c.opcode != opcode || c.dest != 0 || (!data.empty() && c.data != data)) continue;
      if (nth-- == 0) return i;
    }
    return sent_.size();
  }
  std::vector<SentMessage> messages(uint64_t srvid) const {
    std::vector<SentMessage> out;
    for (const auto& m : messages_) {
      if (m.srvid == srvid) out.push_back(m);
    }
    return out;
  }

  EventLoop& loop_;
  std::vector<NodeInfo> nodes_;  // node 0's view
  std::vector<Model> model_;     // what each node answers
  Tunables tunables_;
  proto::Statistics stats_;
  std::string reclock_;
  std::map<std::pair<uint32_t, uint32_t>, Fault> faults_;     // (dest, opcode)
  std::map<std::pair<uint32_t, uint32_t>, int> fault_times_;  // a fault ends after so many
  bool apply_bans_ = false;  // a banned node is flagged BANNED in node 0's view at once
  std::function<void(const SentControl&)> on_control;
  std::vector<SentControl> sent_;
  std::vector<uint32_t> election_recmodes_;  // SET_RECMODE(ACTIVE) sent by elections
  std::vector<SentControl> timed_out_;       // dest, opcode, when the timeout fired
  std::vector<SentMessage> messages_;
  std::vector<std::pair<uint32_t, uint32_t>> learned_;
  std::vector<uint32_t> unexpected_;  // opcodes the model does not know

 private:
  void answer(uint32_t dest, uint32_t opcode, const proto::Bytes& data, int32_t* status,
              proto::Bytes* reply) {
    Model& m = model_[dest];
    *status = 0;
    switch (opcode) {
      case CONTROL_GET_NODEMAP: {
        proto::NodeMap map;
        for (const NodeInfo& n : nodes_) {
          uint32_t flags = n.flags;
          if (n.pnn == dest && m.own_flags) flags = *m.own_flags;
          map.nodes.push_back({n.pnn, flags, n.addr});
        }
        *reply = proto::to_bytes(map);
        break;
      }
      case CONTROL_GET_CAPABILITIES:
        *reply = u32_bytes(m.caps);
        break;
      case CONTROL_GET_DBMAP:
        *reply = proto::to_bytes(proto::DbIdMap{});
        break;
      case CONTROL_GETVNNMAP:
        *reply = proto::to_bytes(m.vnnmap);
        break;
      case CONTROL_SETVNNMAP:
        EXPECT_TRUE(proto::from_bytes(data, &m.vnnmap));
        break;
      case CONTROL_SET_RECMODE:
        EXPECT_TRUE(payload_u32(data, &m.recmode));
        break;
      case CONTROL_GET_RECMODE:
        *status = static_cast<int32_t>(m.recmode);
        break;
      case CONTROL_START_RECOVERY:
      case CONTROL_END_RECOVERY:
      case CONTROL_IPREALLOCATED:
      case CONTROL_MODIFY_FLAGS:
        break;
      case CONTROL_GET_PUBLIC_IPS:
        *reply = proto::to_bytes(proto::PublicIpList{});
        break;
      case CONTROL_SET_BAN_STATE: {
        proto::BanState ban;
        EXPECT_TRUE(proto::from_bytes(data, &ban));
        if (apply_bans_ && ban.pnn < kNodes) nodes_[ban.pnn].flags |= NODE_FLAGS_BANNED;
        break;
      }
      default:
        unexpected_.push_back(opcode);
        *status = -1;
        return;
    }
    EXPECT_TRUE(reply->empty() || proto::check_reply_payload(opcode, *reply))
        << "the fake's own " << proto::control_name(opcode) << " reply is malformed";
  }

  IpsHost ips_host_;
  NoNet net_;
  takeover::PublicIps ips_;
  std::map<uint64_t, MessageHandler> handlers_;
  std::map<uint64_t, std::unique_ptr<Timer>> oneshots_;
  uint64_t next_oneshot_ = 0;
};

proto::Bytes disable_message(uint32_t pnn, uint64_t srvid, uint32_t timeout) {
  proto::DisableMessage m;
  m.pnn = pnn;
  m.srvid = srvid;
  m.timeout = timeout;
  return proto::to_bytes(m);
}

int32_t reply_i32(const proto::Bytes& data) {
  int32_t v = 12345;
  proto::Reader r(data);
  EXPECT_TRUE(data.size() == 4 && r.i32(&v));
  return v;
}

const char* kFirstRecovery =
    "SET_RECMODE(ACTIVE)->0,1,2 START_RECOVERY->0,1,2 GET_CAPABILITIES->0,1,2 GET_DBMAP->0,1,2 "
    "SETVNNMAP->0,1,2 SET_RECMODE(NORMAL)->0,1,2 END_RECOVERY->0,1,2";
// The takeover run after each recovery: no node has public addresses.
const char* kTakeoverRun = "GET_PUBLIC_IPS->0,1,2 IPREALLOCATED->0,1,2";

class RecoverdTest : public ::testing::Test {
 protected:
  RecoverdTest() : host_(loop_) {
    host_.tunables_.set("RecoverTimeout", 2);
    host_.tunables_.set("RecoverInterval", 1);
    host_.tunables_.set("RerecoveryTimeout", 1);
    host_.tunables_.set("ElectionTimeout", 1);
    host_.tunables_.set("RecoveryBanPeriod", 77);
  }
  void TearDown() override {
    EXPECT_TRUE(host_.unexpected_.empty())
        << "first unexpected control: " << proto::control_name(host_.unexpected_[0]);
    rec_.reset();
  }

  void start() {
    rec_ = std::make_unique<Recoverd>(host_);
    rec_->start();
  }
  bool idle_leader() {
    return rec_->leader() == 0 && !rec_->recovery_running() && !rec_->takeover_running();
  }
  // Starts node 0, which wins the election and runs its first recovery and takeover run.
  void lead_and_recover() {
    start();
    ASSERT_TRUE(spin_until(
        loop_, [&] { return idle_leader() && host_.stats_.num_recoveries == 1; }, 10,
        "node 0 leads and has recovered once"));
    ASSERT_EQ(host_.trace(), std::string(kFirstRecovery) + " " + kTakeoverRun);
  }
  // Runs the reactor for `seconds` (to show that nothing happens meanwhile).
  void run_for(double seconds) {
    bool done = false;
    Timer t(loop_, [&] { done = true; });
    t.start(seconds);
    spin_until(
        loop_, [&] { return done; }, seconds + 5, "run_for");
  }
  size_t failures() const { return log_.count("Recovery failed"); }

  LogCapture log_;
  EventLoop loop_;
  FakeCluster host_;
  std::unique_ptr<Recoverd> rec_;
};

TEST_F(RecoverdTest, WinsElectionAndRunsFirstRecovery) {
  start();
  EXPECT_EQ(rec_->leader(), UNKNOWN_PNN);
  ASSERT_TRUE(spin_until(
      loop_, [&] { return idle_leader() && host_.stats_.num_recoveries == 1; }, 10,
      "node 0 leads and has recovered once"));
  EXPECT_TRUE(rec_->is_leader());

  // The election puts every active node it reaches in recovery mode (4.17), itself included.
  EXPECT_EQ(host_.election_recmodes_, (std::vector<uint32_t>{0, 1, 2}));
  // The election: no leader yet, every other node hears that, and node 0's candidacy.
  auto leader_msgs = host_.messages(SRVID_LEADER);
  ASSERT_GE(leader_msgs.size(), 2u);
  for (size_t i = 0; i < 2; i++) {
    uint32_t who;
    EXPECT_EQ(leader_msgs[i].dest, i + 1);
    ASSERT_TRUE(payload_u32(leader_msgs[i].data, &who));
    EXPECT_EQ(who, UNKNOWN_PNN);
  }
  auto election = host_.messages(SRVID_ELECTION);
  ASSERT_EQ(election.size(), 2u);
  for (size_t i = 0; i < 2; i++) {
    proto::ElectionMessage em;
    EXPECT_EQ(election[i].dest, i + 1);
    ASSERT_TRUE(proto::from_bytes(election[i].data, &em));
    EXPECT_EQ(em.pnn, 0u);
    EXPECT_EQ(em.num_connected, 3u);
    EXPECT_EQ(em.node_flags, 0u);
  }
  // Then the leader broadcast, to every connected node (itself included).
  ASSERT_GE(leader_msgs.size(), 5u);
  for (size_t i = 2; i < 5; i++) {
    uint32_t who;
    EXPECT_EQ(leader_msgs[i].dest, i - 2);
    ASSERT_TRUE(payload_u32(leader_msgs[i].data, &who));
    EXPECT_EQ(who, 0u);
  }
  // No control goes out before node 0 leads; the recovery is the first thing it does.
  EXPECT_GE(host_.sent_.front().at, leader_msgs[2].at);
  EXPECT_EQ(host_.trace(), std::string(kFirstRecovery) + " " + kTakeoverRun);
  for (size_t i = host_.find(CONTROL_SET_RECMODE); i < host_.find(CONTROL_GET_PUBLIC_IPS); i++) {
    EXPECT_EQ(host_.sent_[i].timeout, 2.0) << "RecoverTimeout";
  }

  // Every node got the same new vnnmap, with a new generation, and is out of recovery.
  const proto::VnnMap& map = host_.model_[0].vnnmap;
  EXPECT_NE(map.generation, INVALID_GENERATION);
  EXPECT_EQ(map.map, (std::vector<uint32_t>{0, 1, 2}));
  for (uint32_t pnn = 0; pnn < kNodes; pnn++) {
    EXPECT_EQ(host_.model_[pnn].vnnmap.generation, map.generation) << "node " << pnn;
    EXPECT_EQ(host_.model_[pnn].vnnmap.map, map.map) << "node " << pnn;
    EXPECT_EQ(host_.model_[pnn].recmode, RECOVERY_NORMAL) << "node " << pnn;
  }
  EXPECT_EQ(host_.stats_.num_recoveries, 1u);
  EXPECT_TRUE(rec_->recoveries_disabled()) << "RerecoveryTimeout";

  // The takeover run asked the other nodes to hold their own requests for 60 s, then let go.
  auto disable = host_.messages(SRVID_DISABLE_TAKEOVER_RUNS);
  ASSERT_EQ(disable.size(), 4u);
  std::vector<std::pair<uint32_t, uint32_t>> got;
  for (const auto& m : disable) {
    proto::DisableMessage dm;
    ASSERT_TRUE(proto::from_bytes(m.data, &dm));
    got.push_back({m.dest, dm.timeout});
  }
  EXPECT_EQ(got, (std::vector<std::pair<uint32_t, uint32_t>>{{1, 60}, {2, 60}, {1, 0}, {2, 0}}));
  EXPECT_TRUE(host_.messages(SRVID_TAKEOVER_RUN).empty());
}

TEST_F(RecoverdTest, ClusterCheckFindsNothingToDoThenAStaleVnnmap) {
  lead_and_recover();
  uint32_t generation = host_.model_[0].vnnmap.generation;
  size_t mark = host_.sent_.size();
  // Once RerecoveryTimeout is over, the main loop checks flags, lmasters, vnnmaps, recmodes
  // (before that, a check only reads the nodemaps).
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.count(CONTROL_GET_RECMODE) >= 6 && idle_leader(); }, 10,
      "two full cluster checks"));
  size_t first = host_.find(CONTROL_GET_RECMODE);
  ASSERT_GE(first, mark + 9);
  EXPECT_EQ(host_.trace(first - 9, first + 3),
            "GET_NODEMAP->0,1,2 GET_CAPABILITIES->0,1,2 GETVNNMAP->0,1,2 GET_RECMODE->0,1,2");
  EXPECT_EQ(host_.trace(mark, first - 9),
            std::string(first - 9 > mark ? "GET_NODEMAP->0,1,2" : ""));
  EXPECT_EQ(host_.stats_.num_recoveries, 1u);
  EXPECT_EQ(host_.count(CONTROL_SET_RECMODE), 6u);
  EXPECT_EQ(host_.count(CONTROL_MODIFY_FLAGS), 0u);

  // Node 2 somehow has another generation: the next check recovers.
  host_.model_[2].vnnmap.generation = generation + 1;
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.stats_.num_recoveries == 2 && idle_leader(); }, 10,
      "a second recovery"));
  EXPECT_EQ(log_.count("Recovery needed: node 2 has a different vnnmap"), 1u) << log_.all();
  size_t second = host_.find(CONTROL_SET_RECMODE, 2);
  EXPECT_EQ(host_.trace(second - 6, second), "GET_CAPABILITIES->0,1,2 GETVNNMAP->0,1,2");
  EXPECT_EQ(host_.trace(second), std::string(kFirstRecovery) + " " + kTakeoverRun);
  EXPECT_NE(host_.model_[2].vnnmap.generation, generation + 1);
  EXPECT_EQ(host_.model_[2].vnnmap.generation, host_.model_[0].vnnmap.generation);
  EXPECT_NE(host_.model_[0].vnnmap.generation, generation) << "a new generation";
}

TEST_F(RecoverdTest, NodeLeftInRecoveryModeIsRecovered) {
  lead_and_recover();
  host_.model_[1].recmode = RECOVERY_ACTIVE;  // `ctdb setrecmode` or a restart
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.stats_.num_recoveries == 2 && idle_leader(); }, 10,
      "a second recovery"));
  EXPECT_EQ(log_.count("Recovery needed: a node is in recovery mode"), 1u) << log_.all();
  size_t second = host_.find(CONTROL_SET_RECMODE, 2);
  EXPECT_EQ(host_.trace(second - 3, second), "GET_RECMODE->0,1,2");
  EXPECT_EQ(host_.model_[1].recmode, RECOVERY_NORMAL);
}

TEST_F(RecoverdTest, FlagCheckSpreadsEachNodesOwnFlags) {
  lead_and_recover();
  // Node 1 says it is disabled; node 0 and node 2 do not know yet.
  host_.model_[1].own_flags = NODE_FLAGS_PERMANENTLY_DISABLED;
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.count(CONTROL_MODIFY_FLAGS) >= 1; }, 10, "a flag correction"));
  ASSERT_EQ(host_.learned_.size(), 1u);
  EXPECT_EQ(host_.learned_[0], (std::pair<uint32_t, uint32_t>{1, NODE_FLAGS_PERMANENTLY_DISABLED}));
  ASSERT_EQ(host_.count(CONTROL_MODIFY_FLAGS), 1u);
  size_t at = 0;
  while (host_.sent_[at].opcode != CONTROL_MODIFY_FLAGS) at++;
  const SentControl& fix = host_.sent_[at];
  // Sent right after the nodemaps are in, before the rest of the check.
  EXPECT_EQ(host_.trace(at - 3, at + 1), "GET_NODEMAP->0,1,2 MODIFY_FLAGS->2");
  EXPECT_EQ(fix.dest, 2u);
  EXPECT_EQ(fix.flags, CTRL_FLAG_NOREPLY);
  proto::NodeFlagChange fc;
  ASSERT_TRUE(proto::from_bytes(fix.data, &fc));
  EXPECT_EQ(fc.pnn, 1u);
  EXPECT_EQ(fc.new_flags, NODE_FLAGS_PERMANENTLY_DISABLED);
  EXPECT_EQ(fc.old_flags, 0u);
}

TEST_F(RecoverdTest, FailedControlFailsRecoveryAndNextAttemptSucceeds) {
  host_.faults_[{2, CONTROL_START_RECOVERY}] = Fault::kFail;
  start();
  ASSERT_TRUE(spin_until(
      loop_, [&] { return failures() == 1 && !rec_->recovery_running(); }, 10,
      "a failed recovery"));
  EXPECT_EQ(rec_->leader(), 0u);
  EXPECT_EQ(host_.trace(), "SET_RECMODE(ACTIVE)->0,1,2 START_RECOVERY->0,1,2");
  EXPECT_EQ(log_.count("failed on node 2"), 1u) << log_.all();
  EXPECT_EQ(host_.stats_.num_recoveries, 0u);
  EXPECT_FALSE(rec_->recoveries_disabled()) << "no pause after a failure";

  host_.faults_.clear();
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.stats_.num_recoveries == 1 && idle_leader(); }, 10,
      "a successful recovery"));
  size_t second = host_.find(CONTROL_SET_RECMODE, 1);
  EXPECT_EQ(host_.trace(second), std::string(kFirstRecovery) + " " + kTakeoverRun);
  // Attempts are RecoverInterval apart.
  EXPECT_GE(host_.sent_[second].at - host_.sent_[0].at, 1.0 - 0.02);
  EXPECT_EQ(failures(), 1u);
  EXPECT_EQ(host_.count(CONTROL_SET_BAN_STATE), 0u) << "one credit does not ban";
  for (uint32_t pnn = 0; pnn < kNodes; pnn++) {
    EXPECT_EQ(host_.model_[pnn].recmode, RECOVERY_NORMAL) << "node " << pnn;
  }
}

TEST_F(RecoverdTest, SilentNodeFailsRecoveryAfterRecoverTimeout) {
  host_.tunables_.set("RecoverTimeout", 1);
  // Node 1 does not answer its first GET_DBMAP; it answers the next recovery's.
  host_.faults_[{1, CONTROL_GET_DBMAP}] = Fault::kSilent;
  host_.fault_times_[{1, CONTROL_GET_DBMAP}] = 1;
  start();
  ASSERT_TRUE(spin_until(
      loop_, [&] { return failures() == 1 && host_.stats_.num_recoveries == 1 && idle_leader(); },
      6, "a recovery that times out, then one that succeeds"));
  size_t dbmap = host_.find(CONTROL_GET_DBMAP);
  ASSERT_LT(dbmap, host_.sent_.size());
  EXPECT_EQ(host_.trace(0, host_.find(CONTROL_SET_RECMODE, 1)),
            "SET_RECMODE(ACTIVE)->0,1,2 START_RECOVERY->0,1,2 GET_CAPABILITIES->0,1,2 "
            "GET_DBMAP->0,1,2");
  EXPECT_EQ(host_.sent_[dbmap + 1].timeout, 1.0);
  ASSERT_EQ(host_.timed_out_.size(), 1u);
  EXPECT_EQ(host_.timed_out_[0].dest, 1u);
  EXPECT_GE(host_.timed_out_[0].at - host_.sent_[dbmap + 1].at, 1.0 - 0.02);
  EXPECT_EQ(log_.count("failed on node 1: timed out"), 1u) << log_.all();
  size_t second = host_.find(CONTROL_SET_RECMODE, 1);
  EXPECT_GE(host_.sent_[second].at, host_.timed_out_[0].at) << "one recovery at a time";
  EXPECT_EQ(host_.trace(second), std::string(kFirstRecovery) + " " + kTakeoverRun);
  EXPECT_EQ(host_.count(CONTROL_SET_BAN_STATE), 0u);
}

TEST_F(RecoverdTest, NodeFailingEveryRecoveryIsBannedThenLeftOut) {
  host_.apply_bans_ = true;
  host_.faults_[{2, CONTROL_START_RECOVERY}] = Fault::kFail;
  start();
  // One credit per failed recovery; a ban at twice as many credits as there are nodes.
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.count(CONTROL_SET_BAN_STATE) == 1; }, 10, "a ban"));
  EXPECT_EQ(failures(), 6u);
  EXPECT_EQ(host_.count(CONTROL_SET_RECMODE, 0), 6u) << "six attempts";
  EXPECT_EQ(host_.count(CONTROL_START_RECOVERY, 2), 6u);
  const SentControl& ban = host_.sent_.back();
  ASSERT_EQ(ban.opcode, static_cast<uint32_t>(CONTROL_SET_BAN_STATE));
  EXPECT_EQ(ban.dest, 2u);
  proto::BanState state;
  ASSERT_TRUE(proto::from_bytes(ban.data, &state));
  EXPECT_EQ(state.pnn, 2u);
  EXPECT_EQ(state.time, 77u) << "RecoveryBanPeriod";
  EXPECT_EQ(host_.stats_.num_recoveries, 0u);

  // Node 2 is banned now: the next recovery leaves it out and succeeds.
  size_t mark = host_.sent_.size();
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.stats_.num_recoveries == 1 && idle_leader(); }, 10,
      "a recovery without node 2"));
  EXPECT_EQ(host_.trace(mark),
            "SET_RECMODE(ACTIVE)->0,1 START_RECOVERY->0,1 GET_CAPABILITIES->0,1 GET_DBMAP->0,1 "
            "SETVNNMAP->0,1 SET_RECMODE(NORMAL)->0,1 END_RECOVERY->0,1 GET_PUBLIC_IPS->0,1,2 "
            "IPREALLOCATED->0,1,2");
  EXPECT_EQ(host_.model_[0].vnnmap.map, (std::vector<uint32_t>{0, 1}));
  EXPECT_EQ(host_.count(CONTROL_SET_BAN_STATE), 1u);
}

TEST_F(RecoverdTest, RequestedRecoveryWaitsForRerecoveryTimeout) {
  host_.tunables_.set("RerecoveryTimeout", 2);
  lead_and_recover();
  double end = host_.sent_[host_.find(CONTROL_END_RECOVERY)].at;
  ASSERT_TRUE(rec_->recoveries_disabled());
  rec_->request_recovery("test");
  run_for(0.5);
  EXPECT_FALSE(rec_->recovery_running());
  EXPECT_EQ(host_.count(CONTROL_SET_RECMODE), 6u);
  EXPECT_EQ(log_.count("Unable to begin - recoveries are disabled"), 1u) << log_.all();

  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.stats_.num_recoveries == 2 && idle_leader(); }, 10,
      "the requested recovery"));
  size_t second = host_.find(CONTROL_SET_RECMODE, 2);
  double waited = host_.sent_[second].at - end;
  EXPECT_GE(waited, 2.0 - 0.02);
  EXPECT_EQ(host_.trace(second), std::string(kFirstRecovery) + " " + kTakeoverRun);
  // Nothing else came between: no cluster check either, it could only ask for a recovery.
  EXPECT_EQ(host_.trace(0, second), std::string(kFirstRecovery) + " " + kTakeoverRun);
}

TEST_F(RecoverdTest, DisableRecoveriesMessageHoldsRecoveriesOff) {
  lead_and_recover();
  ASSERT_TRUE(spin_until(
      loop_, [&] { return !rec_->recoveries_disabled(); }, 10, "RerecoveryTimeout over"));
  host_.receive(SRVID_DISABLE_RECOVERIES, disable_message(1, 0x1234, 30));
  auto replies = host_.messages(0x1234);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].dest, 1u);
  EXPECT_EQ(reply_i32(replies[0].data), 0) << "node 0 answers with its pnn";
  EXPECT_TRUE(rec_->recoveries_disabled());

  rec_->request_recovery("test");
  run_for(1.5);
  EXPECT_EQ(host_.stats_.num_recoveries, 1u);
  EXPECT_EQ(host_.count(CONTROL_SET_RECMODE), 6u);

  // Enabled again (timeout 0): the recovery that waited runs.
  host_.receive(SRVID_DISABLE_RECOVERIES, disable_message(1, 0x1234, 0));
  EXPECT_FALSE(rec_->recoveries_disabled());
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.stats_.num_recoveries == 2 && idle_leader(); }, 10,
      "the recovery that waited"));
  replies = host_.messages(0x1234);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(reply_i32(replies[1].data), 0);
}

TEST_F(RecoverdTest, DisableRecoveriesRefusedWhileOneRuns) {
  host_.faults_[{2, CONTROL_START_RECOVERY}] = Fault::kSilent;
  start();
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.count(CONTROL_START_RECOVERY, 2) == 1; }, 10,
      "a recovery under way"));
  ASSERT_TRUE(rec_->recovery_running());
  host_.receive(SRVID_DISABLE_RECOVERIES, disable_message(2, 0x77, 30));
  auto replies = host_.messages(0x77);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].dest, 2u);
  EXPECT_EQ(reply_i32(replies[0].data), -EAGAIN);
  EXPECT_FALSE(rec_->recoveries_disabled());
  // A malformed request gets no answer.
  host_.receive(SRVID_DISABLE_RECOVERIES, u32_bytes(30));
  EXPECT_EQ(host_.messages(0x77).size(), 1u);
  EXPECT_FALSE(rec_->recoveries_disabled());
}

TEST_F(RecoverdTest, LeaderBroadcastFromAnotherNodeEndsLeadership) {
  lead_and_recover();
  host_.receive(SRVID_LEADER, u32_bytes(1));
  EXPECT_EQ(rec_->leader(), 1u);
  EXPECT_FALSE(rec_->is_leader());
  EXPECT_EQ(log_.count("Giving up leadership: another node is leader"), 1u) << log_.all();
  // The former leader neither checks nor broadcasts any more.
  size_t controls = host_.sent_.size();
  size_t broadcasts = host_.messages(SRVID_LEADER).size();
  for (int i = 0; i < 3; i++) {
    run_for(0.5);
    host_.receive(SRVID_LEADER, u32_bytes(1));  // node 1's broadcasts keep it leader
  }
  EXPECT_EQ(host_.sent_.size(), controls);
  EXPECT_EQ(host_.messages(SRVID_LEADER).size(), broadcasts);
  EXPECT_EQ(rec_->leader(), 1u);
}

TEST_F(RecoverdTest, LeadershipLostDuringRecoveryAbandonsIt) {
  host_.faults_[{2, CONTROL_START_RECOVERY}] = Fault::kSilent;
  start();
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.count(CONTROL_START_RECOVERY, 2) == 1; }, 10,
      "a recovery under way"));
  host_.receive(SRVID_LEADER, u32_bytes(1));
  EXPECT_EQ(rec_->leader(), 1u);
  EXPECT_FALSE(rec_->recovery_running());
  EXPECT_EQ(log_.count("Recovery failed: leadership lost"), 1u) << log_.all();
  // The late timeout of node 2's reply changes nothing; node 0 starts nothing as follower.
  size_t controls = host_.sent_.size();
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.timed_out_.size() == 1; }, 10, "node 2's timeout"));
  run_for(0.2);
  host_.receive(SRVID_LEADER, u32_bytes(1));
  EXPECT_EQ(host_.sent_.size(), controls);
  EXPECT_EQ(host_.stats_.num_recoveries, 0u);
  EXPECT_EQ(host_.count(CONTROL_SET_BAN_STATE), 0u);
  EXPECT_EQ(failures(), 1u);
}

TEST_F(RecoverdTest, StoppedLeaderStepsDown) {
  lead_and_recover();
  host_.nodes_[0].flags |= NODE_FLAGS_STOPPED;
  rec_->node_changed(0);
  EXPECT_EQ(rec_->leader(), UNKNOWN_PNN);
  EXPECT_EQ(log_.count("Giving up leadership: this node is stopped or banned"), 1u) << log_.all();
  // A stopped node does not lead again: no recovery, no leader broadcast naming itself.
  size_t controls = host_.sent_.size();
  size_t broadcasts = host_.messages(SRVID_LEADER).size();
  run_for(1.5);
  EXPECT_EQ(rec_->leader(), UNKNOWN_PNN);
  EXPECT_EQ(host_.sent_.size(), controls);
  auto leader_msgs = host_.messages(SRVID_LEADER);
  for (size_t i = broadcasts; i < leader_msgs.size(); i++) {
    uint32_t who;
    ASSERT_TRUE(payload_u32(leader_msgs[i].data, &who));
    EXPECT_NE(who, 0u);
  }
  EXPECT_EQ(host_.stats_.num_recoveries, 1u);
}

TEST_F(RecoverdTest, StoppedLeaderStepsDownAtItsNextMainLoop) {
  lead_and_recover();
  // Nobody calls node_changed: the main loop or the leader broadcast notices.
  host_.nodes_[0].flags |= NODE_FLAGS_STOPPED;
  ASSERT_TRUE(spin_until(
      loop_, [&] { return rec_->leader() == UNKNOWN_PNN; }, 10, "node 0 steps down"));
  EXPECT_EQ(host_.stats_.num_recoveries, 1u);
}

TEST_F(RecoverdTest, LosesElectionToALongerRunningNode) {
  start();
  ASSERT_TRUE(spin_until(
      loop_, [&] { return host_.messages(SRVID_ELECTION).size() == 2; }, 10, "node 0's candidacy"));
  proto::ElectionMessage em;
  em.pnn = 1;
  em.num_connected = 3;
  em.priority_time = {1, 0};  // running since long before node 0
  host_.receive(SRVID_ELECTION, proto::to_bytes(em));
  ASSERT_TRUE(spin_until(
      loop_, [&] { return rec_->leader() == 1; }, 10, "node 1 leads"));
  EXPECT_FALSE(rec_->is_leader());
  EXPECT_TRUE(host_.sent_.empty()) << host_.trace();
  EXPECT_EQ(host_.messages(SRVID_ELECTION).size(), 2u) << "node 0 does not insist";
}

}  // namespace
}  // namespace ctdb::daemon::cluster
