// Election ordering (daemon/cluster/election): who may lead, the message a
// node advertises, and every rule of 4.17's ctdb_election_win in order.
#include <gtest/gtest.h>

#include <vector>

#include "ctdb/protocol.h"
#include "daemon/cluster/election.h"

namespace ctdb::daemon::cluster {
namespace {

proto::Timeval tv(int64_t sec, int64_t usec = 0) { return proto::Timeval{sec, usec}; }

proto::NodeMap nodemap(const std::vector<uint32_t>& flags) {
  proto::NodeMap m;
  for (size_t i = 0; i < flags.size(); i++) {
    proto::NodeAndFlags n;
    n.pnn = static_cast<uint32_t>(i);
    n.flags = flags[i];
    m.nodes.push_back(n);
  }
  return m;
}

TEST(ClusterElection, CanBeLeader) {
  struct Case {
    uint32_t flags;
    uint32_t caps;
    bool expected;
  } cases[] = {
      {0, CAP_DEFAULT, true},
      {0, CAP_RECMASTER, true},
      {0, CAP_LMASTER, false},  // no RECMASTER capability
      {0, 0, false},
      {NODE_FLAGS_UNHEALTHY, CAP_DEFAULT, true},  // disabled nodes may lead
      {NODE_FLAGS_PERMANENTLY_DISABLED, CAP_DEFAULT, true},
      {NODE_FLAGS_BANNED, CAP_DEFAULT, false},
      {NODE_FLAGS_STOPPED, CAP_DEFAULT, false},
      {NODE_FLAGS_DISCONNECTED, CAP_DEFAULT, false},
      {NODE_FLAGS_DELETED, CAP_DEFAULT, false},
      {NODE_FLAGS_BANNED | NODE_FLAGS_UNHEALTHY, CAP_DEFAULT, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(can_be_leader(c.flags, c.caps), c.expected)
        << std::hex << "flags=0x" << c.flags << " caps=0x" << c.caps;
  }
}

TEST(ClusterElection, CompareTimeval) {
  EXPECT_EQ(compare_timeval(tv(1, 0), tv(1, 0)), 0);
  EXPECT_EQ(compare_timeval(tv(1, 0), tv(2, 0)), -1);
  EXPECT_EQ(compare_timeval(tv(2, 0), tv(1, 999999)), 1);
  EXPECT_EQ(compare_timeval(tv(5, 1), tv(5, 2)), -1);
  EXPECT_EQ(compare_timeval(tv(5, 3), tv(5, 2)), 1);
}

TEST(ClusterElection, MessageCountsConnectedNodes) {
  ElectionSelf self{1, tv(100, 5), 0, CAP_DEFAULT};
  auto m = nodemap({0, NODE_FLAGS_DISCONNECTED, NODE_FLAGS_BANNED, NODE_FLAGS_UNHEALTHY,
                    NODE_FLAGS_DISCONNECTED | NODE_FLAGS_DELETED});
  auto em = make_election_message(self, m, tv(999));
  EXPECT_EQ(em.pnn, 1u);
  EXPECT_EQ(em.num_connected, 3u);  // banned and unhealthy nodes are connected
  EXPECT_EQ(em.priority_time, tv(100, 5));
  EXPECT_EQ(em.node_flags, 0u);
}

TEST(ClusterElection, MessageOfNodeThatCannotLeadTriesToLose) {
  auto m = nodemap({0, 0, 0});
  for (auto self : {ElectionSelf{2, tv(100), NODE_FLAGS_BANNED, CAP_DEFAULT},
                    ElectionSelf{2, tv(100), NODE_FLAGS_STOPPED, CAP_DEFAULT},
                    ElectionSelf{2, tv(100), 0, CAP_LMASTER}}) {
    auto em = make_election_message(self, m, tv(999, 7));
    EXPECT_EQ(em.pnn, 2u);
    EXPECT_EQ(em.num_connected, 0u);
    EXPECT_EQ(em.priority_time, tv(999, 7));
    EXPECT_EQ(em.node_flags, self.node_flags);
  }
}

TEST(ClusterElection, WinRules) {
  struct Case {
    const char* what;
    ElectionSelf self;
    proto::ElectionMessage theirs;
    bool we_win;
  };
  auto msg = [](uint32_t pnn, proto::Timeval t, uint32_t flags) {
    proto::ElectionMessage em;
    em.pnn = pnn;
    em.priority_time = t;
    em.node_flags = flags;
    em.num_connected = 3;
    return em;
  };
  const Case cases[] = {
      {"we run longer", {1, tv(100), 0, CAP_DEFAULT}, msg(0, tv(200), 0), true},
      {"they run longer", {0, tv(200), 0, CAP_DEFAULT}, msg(1, tv(100), 0), false},
      {"usec decides", {0, tv(100, 1), 0, CAP_DEFAULT}, msg(1, tv(100, 2), 0), true},
      {"usec decides against us", {0, tv(100, 3), 0, CAP_DEFAULT}, msg(1, tv(100, 2), 0), false},
      {"tie: higher pnn wins (us)", {2, tv(100), 0, CAP_DEFAULT}, msg(1, tv(100), 0), true},
      {"tie: higher pnn wins (them)", {1, tv(100), 0, CAP_DEFAULT}, msg(2, tv(100), 0), false},
      {"they are banned", {0, tv(200), 0, CAP_DEFAULT}, msg(1, tv(100), NODE_FLAGS_BANNED), true},
      {"they are stopped", {0, tv(200), 0, CAP_DEFAULT}, msg(1, tv(100), NODE_FLAGS_STOPPED), true},
      {"they are disconnected",
       {0, tv(200), 0, CAP_DEFAULT},
       msg(1, tv(100), NODE_FLAGS_DISCONNECTED),
       true},
      {"they are only unhealthy",
       {0, tv(200), 0, CAP_DEFAULT},
       msg(1, tv(100), NODE_FLAGS_UNHEALTHY),
       false},
      {"we are banned", {0, tv(100), NODE_FLAGS_BANNED, CAP_DEFAULT}, msg(1, tv(200), 0), false},
      {"we are stopped, they banned",
       {0, tv(100), NODE_FLAGS_STOPPED, CAP_DEFAULT},
       msg(1, tv(200), NODE_FLAGS_BANNED),
       false},
      {"we lack RECMASTER", {0, tv(100), 0, CAP_LMASTER}, msg(1, tv(200), 0), false},
      {"we lack RECMASTER, they banned",
       {0, tv(100), 0, 0},
       msg(1, tv(200), NODE_FLAGS_BANNED),
       false},
      {"we are unhealthy but run longer",
       {0, tv(100), NODE_FLAGS_UNHEALTHY, CAP_DEFAULT},
       msg(1, tv(200), 0),
       true},
  };
  for (const auto& c : cases) {
    auto mine = make_election_message(c.self, nodemap({0, 0, 0}), tv(1000));
    EXPECT_EQ(election_win(c.self, mine, c.theirs), c.we_win) << c.what;
  }
}

TEST(ClusterElection, NumConnectedIsNotCompared) {
  // 4.17 carries num_connected but no longer ranks by it.
  ElectionSelf self{0, tv(100), 0, CAP_DEFAULT};
  auto mine = make_election_message(self, nodemap({0, NODE_FLAGS_DISCONNECTED}), tv(1000));
  proto::ElectionMessage theirs;
  theirs.pnn = 1;
  theirs.priority_time = tv(200);
  theirs.num_connected = 50;
  EXPECT_EQ(mine.num_connected, 1u);
  EXPECT_TRUE(election_win(self, mine, theirs));
}

TEST(ClusterElection, ExactlyOneWinnerAmongActiveNodes) {
  // Every pair of leader-capable nodes agrees on one winner: a node wins
  // against the other iff the other loses against it.
  std::vector<ElectionSelf> nodes = {
      {0, tv(100, 5), 0, CAP_DEFAULT}, {1, tv(100, 5), 0, CAP_DEFAULT},
      {2, tv(90), 0, CAP_DEFAULT},     {3, tv(90), NODE_FLAGS_BANNED, CAP_DEFAULT},
      {4, tv(80), 0, CAP_LMASTER},     {5, tv(100, 4), NODE_FLAGS_UNHEALTHY, CAP_DEFAULT},
  };
  auto m = nodemap({0, 0, 0, 0, 0, 0});
  std::vector<proto::ElectionMessage> msgs;
  for (const auto& n : nodes) msgs.push_back(make_election_message(n, m, tv(5000)));
  for (size_t a = 0; a < nodes.size(); a++) {
    for (size_t b = 0; b < nodes.size(); b++) {
      if (a == b) continue;
      bool a_wins = election_win(nodes[a], msgs[a], msgs[b]);
      bool b_wins = election_win(nodes[b], msgs[b], msgs[a]);
      bool both_can = can_be_leader(nodes[a].node_flags, nodes[a].capabilities) &&
                      can_be_leader(nodes[b].node_flags, nodes[b].capabilities);
      if (both_can) {
        EXPECT_NE(a_wins, b_wins) << a << " vs " << b;
      }
      if (a_wins) {
        EXPECT_FALSE(b_wins) << a << " vs " << b;
      }
    }
  }
  // Node 2 (earliest start among those that may lead) beats everyone.
  for (size_t b = 0; b < nodes.size(); b++) {
    if (b != 2) {
      EXPECT_TRUE(election_win(nodes[2], msgs[2], msgs[b])) << b;
    }
  }
}

}  // namespace
}  // namespace ctdb::daemon::cluster
