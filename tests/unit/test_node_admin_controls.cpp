// The controls on this node as a whole and the administrative ones, run
// through the control table against a real NodeState with recorded effects:
// what they answer, and what they ask the daemon to set off.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "common/nodes_file.h"
#include "common/tunables.h"
#include "ctdb/protocol.h"
#include "daemon/clients/client_server.h"
#include "daemon/cluster/node_state.h"
#include "daemon/controls/dispatch.h"
#include "daemon/event_loop.h"
#include "protocol/types.h"
#include "test_node_state_helpers.h"

namespace ctdb::daemon {
namespace {

class NoClients : public ClientHandler {
 public:
  void on_client_packet(ClientConnection&, const uint8_t*, size_t) override {}
  void on_client_gone(ClientConnection&) override {}
};

class NodeAdminControls : public ::testing::Test {
 protected:
  void SetUp() override {
    load_as(state_, "10.0.0.1\n10.0.0.2\n", "10.0.0.2");
    register_node_controls(table_,
                           {state_, clients_, stats_, table_, "/nonexistent/nodes", "/run/reclock",
                            [] { return 0u; }, [this] { resets_++; }, [this] { shutdowns_++; },
                            [] { return std::string("report line\n"); }});
    register_admin_controls(table_,
                            {state_, tunables_, [this](uint32_t f) { flags_set_.push_back(f); },
                             [this](uint32_t s) { bans_.push_back(s); },
                             [this](uint32_t c) { state_.set_capabilities(c), caps_set_++; },
                             [this](std::string* e) {
                               *e = "reload refused";
                               return false;
                             },
                             [this](std::function<void()> then) {
                               if (!leading_) return false;
                               handovers_.push_back(std::move(then));
                               return true;
                             },
                             replies_});
  }
  ControlReply run(uint32_t opcode, proto::Bytes data = {}) {
    c_ = proto::ReqControl{};
    c_.opcode = opcode;
    c_.data = std::move(data);
    ControlRequest req{h_, c_, nullptr, 0, Responder{}};
    return table_.dispatch(req, 1.0);
  }

  // Records the replies of controls that answer later.
  struct Replies : ReplySink {
    void respond(const Responder&, const ControlReply& r) override { statuses.push_back(r.status); }
    std::vector<int32_t> statuses;
  };

  EventLoop loop_;
  Replies replies_;
  bool leading_ = false;
  std::vector<std::function<void()>> handovers_;
  NoClients no_clients_;
  ClientServer clients_{loop_, no_clients_, 1024};
  cluster::NodeState state_;
  Tunables tunables_;
  proto::Statistics stats_;
  ControlTable table_;
  proto::Header h_;
  proto::ReqControl c_;
  int resets_ = 0, shutdowns_ = 0, caps_set_ = 0;
  std::vector<uint32_t> flags_set_, bans_;
};

TEST_F(NodeAdminControls, IdentityAndMapsComeFromTheNodeState) {
  EXPECT_EQ(run(CONTROL_GET_PNN).status, 1);
  EXPECT_EQ(run(CONTROL_GET_RECMODE).status, static_cast<int32_t>(RECOVERY_ACTIVE));
  EXPECT_EQ(run(CONTROL_PING).status, 0) << "no clients";
  ControlReply r = run(CONTROL_GET_NODEMAP);
  proto::NodeMap map;
  ASSERT_TRUE(proto::from_bytes(r.data, &map));
  ASSERT_EQ(map.nodes.size(), 2u);
  EXPECT_EQ(map.nodes[0].flags, NODE_FLAGS_DISCONNECTED | NODE_FLAGS_UNHEALTHY);
  EXPECT_EQ(map.nodes[1].addr.to_string(), "10.0.0.2");
  state_.set_runstate(RUNSTATE_RUNNING);
  uint32_t v;
  ASSERT_TRUE(payload_u32(run(CONTROL_GET_RUNSTATE).data, &v));
  EXPECT_EQ(v, static_cast<uint32_t>(RUNSTATE_RUNNING));
  EXPECT_EQ(run(CONTROL_GET_RUNSTATE, u32_bytes(1)).status, -1) << "takes no payload";
}

TEST_F(NodeAdminControls, AMissingNodesFileIsAnErrorNotACrash) {
  EXPECT_EQ(run(CONTROL_GET_NODES_FILE).status, -1);
}

TEST_F(NodeAdminControls, StatisticsResetAndShutdownAreHandedToTheDaemon) {
  EXPECT_EQ(run(CONTROL_STATISTICS_RESET).status, 0);
  EXPECT_EQ(resets_, 1);
  EXPECT_EQ(run(CONTROL_SHUTDOWN).status, 0);
  EXPECT_EQ(shutdowns_, 1);
}

TEST_F(NodeAdminControls, DumpMemoryAnswersTheReportAsOneTerminatedString) {
  ControlReply r = run(CONTROL_DUMP_MEMORY);
  EXPECT_EQ(r.status, 0);
  std::string want = "report line\n";
  want.push_back('\0');
  EXPECT_EQ(std::string(r.data.begin(), r.data.end()), want);
}

TEST_F(NodeAdminControls, DisableStopAndTheirInversesChangeOnlyTheirFlag) {
  run(CONTROL_DISABLE_NODE);
  run(CONTROL_STOP_NODE);
  ASSERT_EQ(flags_set_.size(), 2u);
  EXPECT_EQ(flags_set_[0], NODE_FLAGS_UNHEALTHY | NODE_FLAGS_PERMANENTLY_DISABLED);
  EXPECT_EQ(flags_set_[1], NODE_FLAGS_UNHEALTHY | NODE_FLAGS_STOPPED);
  state_.set_own_flags(NODE_FLAGS_PERMANENTLY_DISABLED | NODE_FLAGS_STOPPED);
  run(CONTROL_ENABLE_NODE);
  run(CONTROL_CONTINUE_NODE);
  EXPECT_EQ(flags_set_[2], NODE_FLAGS_STOPPED);
  EXPECT_EQ(flags_set_[3], NODE_FLAGS_PERMANENTLY_DISABLED);
}

// On the leader, stop, ban and giving up the leader role wait until another
// node leads: the change and the reply come only then.
TEST_F(NodeAdminControls, TheLeaderHandsOverBeforeItStopsIsBannedOrGivesUpTheRole) {
  leading_ = true;
  EXPECT_TRUE(run(CONTROL_STOP_NODE).async);
  EXPECT_TRUE(run(CONTROL_SET_BAN_STATE, proto::to_bytes(proto::BanState{1, 30})).async);
  EXPECT_TRUE(run(CONTROL_SET_RECMASTERROLE, u32_bytes(0)).async);
  EXPECT_TRUE(flags_set_.empty());
  EXPECT_TRUE(bans_.empty());
  EXPECT_EQ(caps_set_, 0);
  EXPECT_TRUE(replies_.statuses.empty());
  ASSERT_EQ(handovers_.size(), 3u);
  for (auto& fn : handovers_) fn();
  ASSERT_EQ(flags_set_.size(), 1u);
  EXPECT_EQ(flags_set_[0], NODE_FLAGS_UNHEALTHY | NODE_FLAGS_STOPPED);
  EXPECT_EQ(bans_, std::vector<uint32_t>{30});
  EXPECT_EQ(caps_set_, 1);
  EXPECT_EQ(replies_.statuses, (std::vector<int32_t>{0, 0, 0}));
  // Lifting a ban or giving the role back never waits.
  EXPECT_FALSE(run(CONTROL_SET_BAN_STATE, proto::to_bytes(proto::BanState{1, 0})).async);
  EXPECT_FALSE(run(CONTROL_SET_RECMASTERROLE, u32_bytes(1)).async);
}

TEST_F(NodeAdminControls, ABanForAnotherNodeIsRefusedAndDisabledBansAreIgnored) {
  EXPECT_EQ(run(CONTROL_SET_BAN_STATE, proto::to_bytes(proto::BanState{0, 30})).status, -1);
  EXPECT_TRUE(bans_.empty());
  EXPECT_EQ(run(CONTROL_SET_BAN_STATE, proto::to_bytes(proto::BanState{1, 30})).status, 0);
  EXPECT_EQ(bans_, std::vector<uint32_t>{30});
  ASSERT_EQ(tunables_.set("EnableBans", 0), TunableSetResult::kOk);
  EXPECT_EQ(run(CONTROL_SET_BAN_STATE, proto::to_bytes(proto::BanState{1, 30})).status, 0);
  EXPECT_EQ(bans_.size(), 1u) << "bans are disabled";
  EXPECT_EQ(run(CONTROL_SET_BAN_STATE, proto::to_bytes(proto::BanState{1, 0})).status, 0);
  EXPECT_EQ(bans_.back(), 0u) << "lifting a ban still works";
}

TEST_F(NodeAdminControls, RoleChangesReachTheDaemonOnlyWhenTheyChangeSomething) {
  EXPECT_EQ(run(CONTROL_SET_LMASTERROLE, u32_bytes(1)).status, 0);
  EXPECT_EQ(caps_set_, 0) << "it had the role already";
  EXPECT_EQ(run(CONTROL_SET_LMASTERROLE, u32_bytes(0)).status, 0);
  EXPECT_EQ(caps_set_, 1);
  uint32_t caps;
  ASSERT_TRUE(payload_u32(run(CONTROL_GET_CAPABILITIES).data, &caps));
  EXPECT_EQ(caps, CAP_DEFAULT & ~CAP_LMASTER);
  EXPECT_EQ(run(CONTROL_SET_RECMASTERROLE, {}).status, -1) << "needs a u32";
}

TEST_F(NodeAdminControls, AFailedReloadAnswersWithItsReason) {
  ControlReply r = run(CONTROL_RELOAD_NODES_FILE);
  EXPECT_EQ(r.status, -1);
  EXPECT_EQ(r.errmsg, "reload refused");
}

}  // namespace
}  // namespace ctdb::daemon
