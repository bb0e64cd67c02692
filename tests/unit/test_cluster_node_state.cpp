// This node's view of the cluster: picking this node from the nodes file, the
// flag rules (who is the authority on what), broadcast targets, reloading the
// nodes file, and the recovery mode's time stamps.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/nodes_file.h"
#include "ctdb/protocol.h"
#include "daemon/cluster/node_state.h"
#include "test_node_state_helpers.h"

namespace ctdb::daemon::cluster {
namespace {

NodeState loaded(const std::string& text, const char* me) {
  NodeState s;
  load_as(s, text, me);
  return s;
}

TEST(NodeState, ThisNodeIsTheFirstLiveEntryThatIsMeAndOthersStartDisconnectedAndUnhealthy) {
  NodeState s = loaded("#10.0.0.2\n10.0.0.2\n10.0.0.3\n", "10.0.0.2");
  EXPECT_EQ(s.pnn(), 1u);
  ASSERT_EQ(s.nodes().size(), 3u);
  EXPECT_EQ(s.nodes()[0].flags, NODE_FLAGS_DELETED);
  EXPECT_EQ(s.own_flags(), NODE_FLAGS_UNHEALTHY);
  EXPECT_EQ(s.nodes()[2].flags, NODE_FLAGS_DISCONNECTED | NODE_FLAGS_UNHEALTHY);
  EXPECT_TRUE(s.connected(1));
  EXPECT_FALSE(s.connected(2));
  EXPECT_FALSE(s.connected(3));
  EXPECT_EQ(s.generation(), INVALID_GENERATION);
  EXPECT_EQ(s.recmode(), RECOVERY_ACTIVE);
}

TEST(NodeState, LoadFailsWhenNoNodeIsThisHost) {
  NodeState s;
  EXPECT_FALSE(s.load(nodes_from("10.0.0.1\n10.0.0.2\n"), address_is("10.0.0.9")));
  EXPECT_EQ(s.pnn(), UNKNOWN_PNN);
}

TEST(NodeState, AnotherNodesFlagsAreItsOwnButWhetherItsLinkIsUpIsOurs) {
  NodeState s = loaded("10.0.0.1\n10.0.0.2\n", "10.0.0.1");
  uint32_t old = 0;
  // It says it is connected and healthy; we have no link to it yet.
  EXPECT_TRUE(s.learn_flags(1, 0, &old));
  EXPECT_EQ(old, NODE_FLAGS_DISCONNECTED | NODE_FLAGS_UNHEALTHY);
  EXPECT_EQ(s.nodes()[1].flags, NODE_FLAGS_DISCONNECTED);
  s.mark_connected(1);
  EXPECT_TRUE(s.learn_flags(1, NODE_FLAGS_DISCONNECTED | NODE_FLAGS_PERMANENTLY_DISABLED, &old));
  EXPECT_EQ(s.nodes()[1].flags, NODE_FLAGS_PERMANENTLY_DISABLED);
  EXPECT_FALSE(s.learn_flags(1, NODE_FLAGS_PERMANENTLY_DISABLED, &old)) << "nothing changed";
  EXPECT_FALSE(s.learn_flags(0, NODE_FLAGS_BANNED, &old)) << "this node's flags are its own";
  EXPECT_EQ(s.own_flags(), NODE_FLAGS_UNHEALTHY);
  EXPECT_FALSE(s.learn_flags(7, 0, &old)) << "unknown node";
}

TEST(NodeState, ANodeWhoseLinkWentDownIsAlsoUnhealthy) {
  NodeState s = loaded("10.0.0.1\n10.0.0.2\n", "10.0.0.1");
  uint32_t old;
  s.mark_connected(1);
  s.learn_flags(1, 0, &old);
  EXPECT_EQ(s.nodes()[1].flags, 0u);
  EXPECT_TRUE(s.mark_disconnected(1));
  EXPECT_EQ(s.nodes()[1].flags, NODE_FLAGS_DISCONNECTED | NODE_FLAGS_UNHEALTHY);
  EXPECT_FALSE(s.mark_disconnected(1)) << "it was down already";
  EXPECT_FALSE(s.mark_disconnected(9));
}

TEST(NodeState, BroadcastTargetsLeaveOutDeletedDownAndOutsideTheVnnmap) {
  NodeState s = loaded("10.0.0.1\n#10.0.0.2\n10.0.0.3\n10.0.0.4\n", "10.0.0.1");
  s.mark_connected(2);
  proto::VnnMap map;
  map.generation = 7;
  map.map = {0, 3};
  s.set_vnnmap(map);
  EXPECT_EQ(s.broadcast_targets(BROADCAST_ALL), (std::vector<uint32_t>{0, 2, 3}));
  EXPECT_EQ(s.broadcast_targets(BROADCAST_CONNECTED), (std::vector<uint32_t>{0, 2}));
  EXPECT_EQ(s.broadcast_targets(BROADCAST_ACTIVE), (std::vector<uint32_t>{0}));
  EXPECT_EQ(s.generation(), 7u);
  proto::NodeMap nm = s.nodemap();
  ASSERT_EQ(nm.nodes.size(), 4u);
  EXPECT_EQ(nm.nodes[1].flags, NODE_FLAGS_DELETED);
  EXPECT_EQ(nm.nodes[3].addr.to_string(), "10.0.0.4");
}

TEST(NodeState, AReloadThatRemovesDeletesThisNodeOrMovesANodeChangesNothing) {
  NodeState s = loaded("10.0.0.1\n10.0.0.2\n10.0.0.3\n", "10.0.0.2");
  std::vector<uint32_t> dropped;
  std::string error;
  EXPECT_FALSE(s.apply_nodes_file(nodes_from("10.0.0.1\n10.0.0.2\n"), &dropped, &error));
  EXPECT_NE(error.find("cannot be removed"), std::string::npos) << error;
  EXPECT_FALSE(
      s.apply_nodes_file(nodes_from("#10.0.0.3\n#10.0.0.2\n10.0.0.3\n"), &dropped, &error));
  EXPECT_EQ(error, "this node (1) cannot be deleted");
  EXPECT_FALSE(s.apply_nodes_file(nodes_from("10.0.0.1\n10.0.0.2\n10.0.0.9\n"), &dropped, &error));
  EXPECT_EQ(error, "the address of node 2 changed");
  EXPECT_TRUE(dropped.empty());
  ASSERT_EQ(s.nodes().size(), 3u);
  EXPECT_EQ(s.nodes()[0].flags, NODE_FLAGS_DISCONNECTED | NODE_FLAGS_UNHEALTHY);
  EXPECT_EQ(s.nodes()[2].addr.to_string(), "10.0.0.3");
}

TEST(NodeState, AReloadAddsDeletesAndUndeletesNodes) {
  NodeState s = loaded("10.0.0.1\n10.0.0.2\n10.0.0.3\n", "10.0.0.1");
  s.mark_connected(1);
  std::vector<uint32_t> dropped;
  std::string error;
  ASSERT_TRUE(s.apply_nodes_file(nodes_from("10.0.0.1\n#10.0.0.2\n#10.0.0.3\n10.0.0.4\n"), &dropped,
                                 &error))
      << error;
  EXPECT_EQ(dropped, std::vector<uint32_t>{1}) << "only node 1 was connected";
  ASSERT_EQ(s.nodes().size(), 4u);
  EXPECT_EQ(s.nodes()[1].flags, NODE_FLAGS_DELETED | NODE_FLAGS_DISCONNECTED);
  EXPECT_EQ(s.nodes()[1].addr.to_string(), "0.0.0.0");
  EXPECT_EQ(s.nodes()[3].flags, NODE_FLAGS_DISCONNECTED);
  EXPECT_EQ(s.nodes()[3].addr.to_string(), "10.0.0.4");

  dropped.clear();
  ASSERT_TRUE(
      s.apply_nodes_file(nodes_from("10.0.0.1\n10.0.0.5\n#10.0.0.3\n10.0.0.4\n"), &dropped, &error))
      << error;
  EXPECT_TRUE(dropped.empty());
  EXPECT_EQ(s.nodes()[1].flags, NODE_FLAGS_DISCONNECTED) << "undeleted, at a new address";
  EXPECT_EQ(s.nodes()[1].addr.to_string(), "10.0.0.5");
  EXPECT_EQ(s.nodes()[2].flags, NODE_FLAGS_DELETED | NODE_FLAGS_DISCONNECTED);
}

TEST(NodeState, EnteringAndLeavingRecoveryStampTheRecoveryTimes) {
  NodeState s = loaded("10.0.0.1\n", "10.0.0.1");
  EXPECT_GT(s.start_time().tv_sec, 0);
  EXPECT_FALSE(s.set_recmode(RECOVERY_ACTIVE)) << "it starts in recovery";
  EXPECT_EQ(s.last_recovery_started().tv_sec, 0);
  EXPECT_TRUE(s.set_recmode(RECOVERY_NORMAL));
  EXPECT_GT(s.last_recovery_finished().tv_sec, 0);
  EXPECT_EQ(s.last_recovery_started().tv_sec, 0);
  EXPECT_TRUE(s.set_recmode(RECOVERY_ACTIVE));
  EXPECT_GT(s.last_recovery_started().tv_sec, 0);
  EXPECT_EQ(s.recmode(), RECOVERY_ACTIVE);
}

}  // namespace
}  // namespace ctdb::daemon::cluster
