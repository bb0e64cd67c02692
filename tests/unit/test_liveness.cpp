// Keepalives between nodes: every connected peer gets one each interval, a
// peer that stays silent for KeepaliveLimit intervals is cut off, and any
// packet from a peer (or its links coming up again) clears its count.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "daemon/event_loop.h"
#include "daemon/transport/liveness.h"
#include "test_monitor_helpers.h"

namespace ctdb::daemon {
namespace {

using monitor::spin_until;

class LivenessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Liveness::Host host;
    host.connected_peers = [this] { return peers_; };
    host.send_keepalive = [this](uint32_t pnn) {
      keepalives_[pnn]++;
      if (on_keepalive_) on_keepalive_(pnn);
    };
    host.cut = [this](uint32_t pnn) {
      cut_.push_back(pnn);
      peers_.erase(std::remove(peers_.begin(), peers_.end(), pnn), peers_.end());
    };
    host.interval = [] { return 0.02; };
    host.limit = [] { return 3u; };
    liveness_ = std::make_unique<Liveness>(loop_, std::move(host));
  }

  EventLoop loop_;
  std::unique_ptr<Liveness> liveness_;
  std::vector<uint32_t> peers_{1, 2};
  std::map<uint32_t, int> keepalives_;
  std::function<void(uint32_t)> on_keepalive_;
  std::vector<uint32_t> cut_;
};

TEST_F(LivenessTest, ASilentPeerIsCutAfterTheLimitAndOneThatTalksIsNot) {
  // Node 2 answers every keepalive; node 1 says nothing.
  on_keepalive_ = [this](uint32_t pnn) {
    if (pnn == 2) liveness_->heard_from(2);
  };
  liveness_->start(false);
  ASSERT_TRUE(spin_until(
      loop_, [this] { return !cut_.empty(); }, 10, "a peer cut"));
  EXPECT_EQ(cut_, std::vector<uint32_t>{1});
  // Rounds 1 and 2 sent it a keepalive; the third silent round cut it.
  EXPECT_EQ(keepalives_[1], 2);
  ASSERT_TRUE(spin_until(
      loop_, [this] { return keepalives_[2] >= 6; }, 10, "more rounds"));
  EXPECT_EQ(cut_, std::vector<uint32_t>{1}) << "node 2 talks, so it stays";
}

TEST_F(LivenessTest, APeerWhoseLinksCameBackStartsWithACleanCount) {
  peers_ = {1};
  liveness_->start(false);
  // Its links come back up right after the second keepalive.
  on_keepalive_ = [this](uint32_t pnn) {
    if (keepalives_[pnn] == 2) liveness_->connected(pnn);
  };
  ASSERT_TRUE(spin_until(
      loop_, [this] { return !cut_.empty(); }, 10, "a peer cut"));
  EXPECT_GE(keepalives_[1], 4) << "the count started again after connected()";
}

TEST_F(LivenessTest, APeerNeverSeenBeforeCanBeHeardFrom) {
  liveness_->heard_from(40);  // a node added by reloadnodes
  liveness_->connected(41);
  peers_ = {40};
  liveness_->start(false);
  ASSERT_TRUE(spin_until(
      loop_, [this] { return keepalives_[40] >= 1; }, 10, "a keepalive"));
}

// 4.17's version rule: the same version never conflicts; otherwise the node
// that has been up for less time leaves, and on a tie the lower version does.
TEST(KeepaliveVersion, TheYoungerNodeOfAnotherVersionLeaves) {
  const uint32_t v417 = (4u << 16) | 17u, v418 = (4u << 16) | 18u;
  EXPECT_EQ(keepalive_version_conflict(true, v417, 100, v417, 5, 1), "");
  EXPECT_EQ(keepalive_version_conflict(true, v417, 100, v418, 5, 1),
            "Keepalive version mismatch 0x00040012 != 0x00040011 from node 1");
  // The older node keeps going; the peer will leave when it hears from us.
  EXPECT_EQ(keepalive_version_conflict(true, v417, 5, v418, 100, 1), "");
  EXPECT_EQ(keepalive_version_conflict(true, v418, 7, v417, 7, 2),
            "Keepalive version mismatch 0x00040011 != 0x00040012 from node 2");
  EXPECT_EQ(keepalive_version_conflict(true, v417, 7, v418, 7, 2), "");
  EXPECT_EQ(keepalive_version_conflict(false, 0, 0, v417, 7, 3),
            "Keepalive version missing from node 3");
}

}  // namespace
}  // namespace ctdb::daemon
