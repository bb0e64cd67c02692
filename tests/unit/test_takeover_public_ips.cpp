// This node's public addresses (src/daemon/takeover/public_ips) with a fake daemon and a fake
// network stack: the lists and their 4.17 order, TAKEOVER_IP / RELEASE_IP with their events,
// messages, interface references and announcements, availability, link states, deletes,
// tickle lists, the checks that ask for a takeover run, and reloads.
#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "daemon/event_loop.h"
#include "daemon/takeover/public_ips.h"
#include "test_common_helpers.h"

namespace ctdb::daemon::takeover {
namespace {

proto::SockAddr ip(const std::string& s, uint16_t port = 0) {
  return *proto::SockAddr::parse(s, port);
}

struct Event {
  uint32_t event;
  std::vector<std::string> args;
};

class FakeHost : public PublicIpsHost {
 public:
  uint32_t pnn() const override { return pnn_; }
  Runstate runstate() const override { return runstate_; }
  uint32_t own_flags() const override { return flags_; }
  uint32_t recmode() const override { return recmode_; }
  void run_ip_event(uint32_t event, std::vector<std::string> args,
                    std::function<void(int)> done) override {
    events_.push_back({event, args});
    if (on_event) on_event(events_.back());
    if (defer_) {
      int status = event_status_;
      deferred_.push_back([done, status] { done(status); });
      return;
    }
    done(event_status_);
  }
  // Ends the oldest deferred event.
  void finish_one() {
    std::function<void()> f = std::move(deferred_.front());
    deferred_.erase(deferred_.begin());
    f();
  }
  void message_local_clients(uint64_t srvid, const proto::Bytes& data) override {
    messages_.push_back({srvid, std::string(data.begin(), data.end())});
  }
  void send_control_noreply(uint32_t dest, uint32_t opcode, const proto::Bytes& data) override {
    controls_.push_back({dest, opcode, data});
  }
  void send_message(uint32_t dest, uint64_t srvid, const proto::Bytes&) override {
    sent_messages_.push_back({dest, srvid});
  }
  void ban_self() override { bans_++; }
  uint32_t tickle_update_interval() const override { return 20; }

  struct Control {
    uint32_t dest;
    uint32_t opcode;
    proto::Bytes data;
  };
  uint32_t pnn_ = 1;
  Runstate runstate_ = RUNSTATE_RUNNING;
  uint32_t flags_ = 0;
  uint32_t recmode_ = RECOVERY_NORMAL;
  int event_status_ = 0;
  std::vector<Event> events_;
  std::vector<std::pair<uint64_t, std::string>> messages_;
  std::vector<Control> controls_;
  std::vector<std::pair<uint32_t, uint64_t>> sent_messages_;
  int bans_ = 0;
  std::function<void(const Event&)> on_event;
  bool defer_ = false;  // events end only when finish_one() says so
  std::vector<std::function<void()>> deferred_;
};

class FakeNet : public SystemNet {
 public:
  bool have_ip(const proto::SockAddr& a) override { return held_.count(a.to_string()) != 0; }
  bool iface_exists(const std::string& name) override { return name != "nosuch0"; }
  int send_arp(const proto::SockAddr& a, const std::string& iface) override {
    arps_.push_back(a.to_string() + "@" + iface);
    return 0;
  }
  int send_tcp(const proto::SockAddr& src, const proto::SockAddr& dst, uint32_t seq, uint32_t ack,
               bool rst) override {
    tcps_.push_back(src.to_string_with_port() + ">" + dst.to_string_with_port() +
                    (seq == 0 && ack == 0 && !rst ? " tickle" : " other"));
    return 0;
  }
  std::map<std::string, bool> held_;
  std::vector<std::string> arps_;
  std::vector<std::string> tcps_;
};

class PublicIpsTest : public ::testing::Test {
 protected:
  // Three addresses: two on eth1 (the second may also use eth2), one IPv6 on eth2.
  void load(bool check_host, const std::string& text =
                                 "10.0.0.1/24 eth1\n"
                                 "10.0.0.2/24 eth1,eth2\n"
                                 "fd00::3/64 eth2\n") {
    PublicIps::Settings s;
    s.file = dir_.write("public_addresses", text);
    s.check_host = check_host;
    ips_ = std::make_unique<PublicIps>(loop_, host_, net_, s);
    std::string err;
    ASSERT_TRUE(ips_->load(&err)) << err;
  }
  int32_t take(const std::string& a, uint32_t pnn) {
    int32_t status = 99;
    ips_->takeover_ip({pnn, ip(a)}, [&](int32_t s) { status = s; });
    return status;
  }
  int32_t release(const std::string& a, uint32_t to) {
    int32_t status = 99;
    ips_->release_ip({to, ip(a)}, [&](int32_t s) { status = s; });
    return status;
  }
  uint32_t pnn_of(const std::string& a) {
    for (const auto& p : ips_->public_ips(false).ips) {
      if (p.addr.to_string() == a) return p.pnn;
    }
    return 12345;
  }
  std::vector<std::string> listed(bool only_available) {
    std::vector<std::string> out;
    for (const auto& p : ips_->public_ips(only_available).ips) out.push_back(p.addr.to_string());
    return out;
  }
  uint32_t refs(const std::string& iface) {
    for (const auto& i : ips_->ifaces().ifaces) {
      if (i.name == iface) return i.references;
    }
    return 999;
  }

  unit::TempDir dir_;
  EventLoop loop_;
  FakeHost host_;
  FakeNet net_;
  std::unique_ptr<PublicIps> ips_;
};

TEST_F(PublicIpsTest, ListsAreNewestFirstAsIn417) {
  load(false);
  EXPECT_EQ(listed(false), (std::vector<std::string>{"fd00::3", "10.0.0.2", "10.0.0.1"}));
  std::vector<std::string> ifaces;
  for (const auto& i : ips_->ifaces().ifaces) ifaces.push_back(i.name);
  EXPECT_EQ(ifaces, (std::vector<std::string>{"eth2", "eth1"}));
  for (const auto& p : ips_->public_ips(false).ips) EXPECT_EQ(p.pnn, UNKNOWN_PNN);
}

TEST_F(PublicIpsTest, BadFilesAreRefusedWithFileAndLine) {
  PublicIps::Settings s;
  s.file = dir_.write("pa", "10.0.0.1/24 eth1\n10.0.0.2/24 nosuch0\n");
  PublicIps bad(loop_, host_, net_, s);
  std::string err;
  EXPECT_FALSE(bad.load(&err));
  EXPECT_NE(err.find("pa:2: unknown interface nosuch0"), std::string::npos) << err;
  s.file = dir_.write("dup", "10.0.0.1/24 eth1\n10.0.0.1/24 eth1\n");
  PublicIps dup(loop_, host_, net_, s);
  EXPECT_FALSE(dup.load(&err));
  EXPECT_NE(err.find("dup:2:"), std::string::npos) << err;
  // A missing file is a node without public addresses.
  s.file = dir_.file("absent");
  PublicIps none(loop_, host_, net_, s);
  EXPECT_TRUE(none.load(&err));
  EXPECT_TRUE(none.empty());
}

TEST_F(PublicIpsTest, TakeoverRunsTakeipAndTellsClients) {
  load(false);
  EXPECT_EQ(take("10.0.0.1", 1), 0);
  ASSERT_EQ(host_.events_.size(), 1u);
  EXPECT_EQ(host_.events_[0].event, static_cast<uint32_t>(EVENT_TAKE_IP));
  EXPECT_EQ(host_.events_[0].args, (std::vector<std::string>{"eth1", "10.0.0.1", "24"}));
  EXPECT_EQ(pnn_of("10.0.0.1"), 1u);
  EXPECT_EQ(refs("eth1"), 1u);
  ASSERT_EQ(host_.messages_.size(), 1u);
  EXPECT_EQ(host_.messages_[0].first, SRVID_TAKE_IP);
  EXPECT_EQ(host_.messages_[0].second, std::string("10.0.0.1") + '\0');
  // Test mode: nothing is announced on the network.
  EXPECT_TRUE(net_.arps_.empty());
  // The least used interface wins: 10.0.0.2 may use eth1 or eth2 and goes to eth2.
  EXPECT_EQ(take("10.0.0.2", 1), 0);
  EXPECT_EQ(host_.events_[1].args[0], "eth2");
}

TEST_F(PublicIpsTest, TakeoverForAnotherNodeOrAnUnknownAddress) {
  load(false);
  EXPECT_EQ(take("10.0.0.1", 2), -1) << "names another node";
  EXPECT_EQ(take("10.9.9.9", 1), 0) << "not public here: nothing to do";
  EXPECT_TRUE(host_.events_.empty());
}

TEST_F(PublicIpsTest, AFailedTakeipFailsTheControl) {
  load(false);
  host_.event_status_ = -1;
  EXPECT_EQ(take("10.0.0.1", 1), -1);
  EXPECT_TRUE(host_.messages_.empty());
  EXPECT_EQ(host_.bans_, 0);
  host_.event_status_ = -ETIMEDOUT;
  EXPECT_EQ(take("10.0.0.1", 1), -ETIMEDOUT);
  EXPECT_EQ(host_.bans_, 1) << "a hung takeip bans the node, as 4.17";
}

TEST_F(PublicIpsTest, ReleaseRunsReleaseipOnlyWhereHeld) {
  load(false);
  // Not held: a redundant release only records where the address went.
  EXPECT_EQ(release("10.0.0.1", 2), 0);
  EXPECT_TRUE(host_.events_.empty());
  EXPECT_EQ(pnn_of("10.0.0.1"), 2u);
  ASSERT_EQ(take("10.0.0.1", 1), 0);
  host_.events_.clear();
  host_.messages_.clear();
  EXPECT_EQ(release("10.0.0.1", 0), 0);
  ASSERT_EQ(host_.events_.size(), 1u);
  EXPECT_EQ(host_.events_[0].event, static_cast<uint32_t>(EVENT_RELEASE_IP));
  EXPECT_EQ(host_.events_[0].args, (std::vector<std::string>{"eth1", "10.0.0.1", "24"}));
  ASSERT_EQ(host_.messages_.size(), 1u);
  EXPECT_EQ(host_.messages_[0].first, SRVID_RELEASE_IP);
  EXPECT_EQ(pnn_of("10.0.0.1"), 0u);
  EXPECT_EQ(refs("eth1"), 0u);
}

TEST_F(PublicIpsTest, RealHostAnnouncesAndTicklesAfterTakeover) {
  load(true);
  // A connection to 10.0.0.1 another node recorded for us.
  proto::Connection conn{ip("10.1.1.1", 40000), ip("10.0.0.1", 445)};
  EXPECT_EQ(ips_->tcp_add(conn, false), 0);
  EXPECT_EQ(take("10.0.0.1", 1), 0);
  ASSERT_FALSE(net_.arps_.empty());
  EXPECT_EQ(net_.arps_[0], "10.0.0.1@eth1");
  // The tickle goes from the public address to the client.
  ASSERT_EQ(net_.tcps_.size(), 1u);
  EXPECT_EQ(net_.tcps_[0], "10.0.0.1:445>10.1.1.1:40000 tickle");
  // The list starts afresh on the new host.
  proto::TickleList list;
  EXPECT_EQ(ips_->get_tickles(ip("10.0.0.1"), &list), 0);
  EXPECT_TRUE(list.conns.empty());
}

TEST_F(PublicIpsTest, RealHostChecks) {
  load(true);
  // Held by the host although the plan gives it to another node: ban, as 4.17.
  ASSERT_EQ(release("10.0.0.1", 2), 0);
  net_.held_["10.0.0.1"] = true;
  EXPECT_EQ(take("10.0.0.1", 1), -1);
  EXPECT_EQ(host_.bans_, 1);
  // Held and ours already: a redundant takeover runs nothing.
  net_.held_.clear();
  ASSERT_EQ(take("10.0.0.2", 1), 0);
  net_.held_["10.0.0.2"] = true;
  host_.events_.clear();
  EXPECT_EQ(take("10.0.0.2", 1), 0);
  EXPECT_TRUE(host_.events_.empty());
  // A release that leaves the address on the host fails.
  EXPECT_EQ(release("10.0.0.2", 0), -1);
}

TEST_F(PublicIpsTest, OnlyARunningActiveHealthyNodeOffersAddresses) {
  load(false);
  EXPECT_EQ(listed(true).size(), 3u);
  host_.runstate_ = RUNSTATE_STARTUP;
  EXPECT_TRUE(listed(true).empty()) << "not RUNNING";
  host_.runstate_ = RUNSTATE_RUNNING;
  host_.flags_ = NODE_FLAGS_UNHEALTHY;
  EXPECT_TRUE(listed(true).empty()) << "unhealthy";
  host_.flags_ = NODE_FLAGS_STOPPED;
  EXPECT_TRUE(listed(true).empty()) << "stopped";
  host_.flags_ = 0;
  host_.recmode_ = RECOVERY_ACTIVE;
  EXPECT_TRUE(listed(true).empty()) << "in recovery";
  host_.recmode_ = RECOVERY_NORMAL;
  // eth2 down: fd00::3 (eth2 only) goes, 10.0.0.2 (eth1 or eth2) stays.
  EXPECT_EQ(ips_->set_iface_link({"eth2", 0, 0}), 0);
  EXPECT_EQ(listed(true), (std::vector<std::string>{"10.0.0.2", "10.0.0.1"}));
}

TEST_F(PublicIpsTest, LinkStateRequestsAreChecked) {
  load(false);
  EXPECT_TRUE(ips_->interfaces_changed()) << "the first look counts as a change";
  EXPECT_FALSE(ips_->interfaces_changed());
  EXPECT_EQ(ips_->set_iface_link({"eth9", 1, 0}), -1) << "unknown interface";
  EXPECT_EQ(ips_->set_iface_link({"eth1", 2, 0}), -1) << "bad link state";
  EXPECT_EQ(ips_->set_iface_link({"eth1", 1, 5}), -1) << "references must be 0";
  EXPECT_EQ(ips_->set_iface_link({"eth1", 1, 0}), 0);
  EXPECT_FALSE(ips_->interfaces_changed()) << "already up";
  EXPECT_EQ(ips_->set_iface_link({"eth1", 0, 0}), 0);
  EXPECT_TRUE(ips_->interfaces_changed());
}

TEST_F(PublicIpsTest, DeletingAHostedAddressWaitsForItsRelease) {
  load(false);
  ASSERT_EQ(take("fd00::3", 1), 0);
  proto::AddrInfo info;
  info.addr = ip("fd00::3");
  EXPECT_EQ(ips_->del_public_ip(info), 0);
  EXPECT_EQ(listed(false).size(), 3u) << "still listed until released";
  EXPECT_EQ(listed(true).size(), 2u) << "but no longer offered";
  EXPECT_EQ(release("fd00::3", UNKNOWN_PNN), 0);
  EXPECT_EQ(listed(false), (std::vector<std::string>{"10.0.0.2", "10.0.0.1"}));
  // Not hosted: gone at once; an interface nothing uses any more goes too.
  info.addr = ip("10.0.0.2");
  EXPECT_EQ(ips_->del_public_ip(info), 0);
  EXPECT_EQ(listed(false), std::vector<std::string>{"10.0.0.1"});
  ASSERT_EQ(ips_->ifaces().ifaces.size(), 1u);
  EXPECT_EQ(ips_->ifaces().ifaces[0].name, "eth1");
  info.addr = ip("10.0.0.2");
  EXPECT_EQ(ips_->del_public_ip(info), -1) << "unknown now";
}

TEST_F(PublicIpsTest, AddPublicIpChecksItsInput) {
  load(false);
  proto::AddrInfo info;
  info.addr = ip("10.0.0.9");
  info.mask = 24;
  info.iface = "eth3";
  EXPECT_EQ(ips_->add_public_ip(info), 0);
  EXPECT_EQ(listed(false).front(), "10.0.0.9");
  EXPECT_EQ(ips_->add_public_ip(info), -1) << "duplicate";
  info.addr = ip("10.0.0.10");
  info.iface = "nosuch0";
  EXPECT_EQ(ips_->add_public_ip(info), -1) << "no such interface";
  info.iface = "eth1";
  info.mask = 33;
  EXPECT_EQ(ips_->add_public_ip(info), -1) << "bad mask";
}

TEST_F(PublicIpsTest, TcpClientsAndTickleLists) {
  load(false);
  proto::Connection conn{ip("10.1.1.1", 40000), ip("10.0.0.1", 445)};
  EXPECT_EQ(ips_->tcp_client(7, conn), -1) << "an address we do not hold";
  ASSERT_EQ(take("10.0.0.1", 1), 0);
  EXPECT_EQ(ips_->tcp_client(7, conn), 0);
  ASSERT_EQ(host_.controls_.size(), 1u);
  EXPECT_EQ(host_.controls_[0].dest, BROADCAST_CONNECTED);
  EXPECT_EQ(host_.controls_[0].opcode, static_cast<uint32_t>(CONTROL_TCP_ADD));
  // The broadcast reaches this node too.
  EXPECT_EQ(ips_->tcp_add(conn, false), 0);
  EXPECT_EQ(ips_->tcp_add(conn, false), 0) << "a repeat is not added twice";
  proto::TickleList list;
  EXPECT_EQ(ips_->get_tickles(ip("10.0.0.1"), &list), 0);
  EXPECT_EQ(list.conns.size(), 1u);
  EXPECT_EQ(ips_->get_tickles(ip("10.0.0.1", 139), &list), 0);
  EXPECT_TRUE(list.conns.empty()) << "filtered by the server port";
  EXPECT_EQ(ips_->get_tickles(ip("10.9.9.9"), &list), 1) << "not a public address";
  // Loopback connections are not a public address's business.
  EXPECT_EQ(ips_->tcp_client(7, {ip("127.0.0.1", 1), ip("127.0.0.1", 445)}), 0);
  // The client goes away: the address is held here, so its connection is forgotten.
  ips_->client_gone(7);
  EXPECT_EQ(ips_->get_tickles(ip("10.0.0.1"), &list), 0);
  EXPECT_TRUE(list.conns.empty());
}

TEST_F(PublicIpsTest, TickleListsFromTheHostReplaceOurs) {
  load(false);
  proto::TickleList list;
  list.addr = ip("10.0.0.2");
  list.conns = {{ip("10.1.1.1", 1), ip("10.0.0.2", 445)}, {ip("10.1.1.2", 2), ip("10.0.0.2", 445)}};
  EXPECT_EQ(ips_->set_tickles(list), 0);
  proto::TickleList got;
  ASSERT_EQ(ips_->get_tickles(ip("10.0.0.2"), &got), 0);
  EXPECT_EQ(got.conns.size(), 2u);
  // Once we host it, our own list is the authority.
  ASSERT_EQ(take("10.0.0.2", 1), 0);
  list.conns.clear();
  EXPECT_EQ(ips_->set_tickles(list), 0);
  list.addr = ip("10.9.9.9");
  EXPECT_EQ(ips_->set_tickles(list), 1);
}

TEST_F(PublicIpsTest, WhenATakeoverRunIsNeeded) {
  load(true);
  EXPECT_TRUE(ips_->needs_takeover_run()) << "first look at the interfaces";
  // Every address unassigned and this node can serve them.
  EXPECT_TRUE(ips_->needs_takeover_run());
  for (const char* a : {"10.0.0.1", "10.0.0.2", "fd00::3"}) ASSERT_EQ(release(a, 2), 0);
  EXPECT_FALSE(ips_->needs_takeover_run()) << "all placed elsewhere, none here";
  // Present on the host against the plan.
  net_.held_["10.0.0.1"] = true;
  EXPECT_TRUE(ips_->needs_takeover_run());
  net_.held_.clear();
  // Ours by the plan but missing from the host.
  ASSERT_EQ(take("10.0.0.2", 1), 0);
  EXPECT_TRUE(ips_->needs_takeover_run());
  net_.held_["10.0.0.2"] = true;
  EXPECT_FALSE(ips_->needs_takeover_run());
}

TEST_F(PublicIpsTest, ReloadAddsAndDeletesAndAsksForRebalancing) {
  load(false);
  dir_.write("public_addresses", "10.0.0.1/24 eth1\n10.0.0.4/24 eth1\n");
  int32_t status = 99;
  ips_->reload([&](int32_t s) { status = s; });
  EXPECT_EQ(status, 0);
  EXPECT_EQ(listed(false), (std::vector<std::string>{"10.0.0.4", "10.0.0.1"}));
  ASSERT_EQ(host_.sent_messages_.size(), 1u);
  EXPECT_EQ(host_.sent_messages_[0], std::make_pair(BROADCAST_CONNECTED, SRVID_REBALANCE_NODE));
  dir_.write("public_addresses", "10.0.0.1/24 nosuch0\n");
  ips_->reload([&](int32_t s) { status = s; });
  EXPECT_EQ(status, -1) << "an address on an interface the host lacks";
  EXPECT_EQ(listed(false), (std::vector<std::string>{"10.0.0.4", "10.0.0.1"}))
      << "a file that cannot be used changes nothing";
}

TEST_F(PublicIpsTest, ReleaseAllDropsWhatTheHostHolds) {
  load(true);
  ASSERT_EQ(take("10.0.0.1", 1), 0);
  ASSERT_EQ(take("10.0.0.2", 1), 0);
  net_.held_["10.0.0.1"] = true;  // only this one really made it onto the host
  host_.events_.clear();
  // The releaseip event takes the address off the host.
  host_.on_event = [this](const Event& e) {
    if (e.event == EVENT_RELEASE_IP) net_.held_.erase(e.args[1]);
  };
  bool done = false;
  ips_->release_all([&] { done = true; });
  EXPECT_TRUE(done);
  ASSERT_EQ(host_.events_.size(), 1u);
  EXPECT_EQ(host_.events_[0].args[1], "10.0.0.1");
  EXPECT_EQ(pnn_of("10.0.0.2"), UNKNOWN_PNN) << "not on the host: just unassigned";
}

TEST_F(PublicIpsTest, AReleaseDuringReleaseAllWaitsForItInsteadOfFailing) {
  // A stopped node drops all its addresses while the leader's takeover run sends RELEASE_IP
  // for them: the control must succeed once the address is gone, not fail the run.
  load(true);
  ASSERT_EQ(take("10.0.0.1", 1), 0);
  net_.held_["10.0.0.1"] = true;
  host_.events_.clear();
  host_.messages_.clear();
  host_.defer_ = true;
  bool all_done = false;
  ips_->release_all([&] { all_done = true; });
  ASSERT_EQ(host_.deferred_.size(), 1u);
  int32_t status = 99;
  ips_->release_ip({2, ip("10.0.0.1")}, [&](int32_t s) { status = s; });
  EXPECT_EQ(status, 99) << "answered before the release in flight ended";
  EXPECT_EQ(host_.events_.size(), 1u) << "a second releaseip for the same address";
  net_.held_.erase("10.0.0.1");  // the releaseip event took it off
  host_.finish_one();
  EXPECT_TRUE(all_done);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(pnn_of("10.0.0.1"), 2u);
  EXPECT_EQ(refs("eth1"), 0u);
  EXPECT_EQ(host_.messages_.size(), 1u) << "clients hear of the release once";
}

TEST_F(PublicIpsTest, AReleaseWaitingOnAFailedReleaseFails) {
  load(true);
  ASSERT_EQ(take("10.0.0.1", 1), 0);
  net_.held_["10.0.0.1"] = true;  // and the releaseip event leaves it there
  host_.defer_ = true;
  int32_t first = 99, second = 99;
  ips_->release_ip({0, ip("10.0.0.1")}, [&](int32_t s) { first = s; });
  ips_->release_ip({2, ip("10.0.0.1")}, [&](int32_t s) { second = s; });
  host_.finish_one();
  EXPECT_EQ(first, -1);
  EXPECT_EQ(second, -1);
  // A takeover in flight still refuses a release, as in 4.17.
  net_.held_.erase("10.0.0.1");
  ips_.reset();
  load(true);
  host_.defer_ = true;
  int32_t taken = 99;
  ips_->takeover_ip({1, ip("10.0.0.1")}, [&](int32_t s) { taken = s; });
  net_.held_["10.0.0.1"] = true;
  EXPECT_EQ(release("10.0.0.1", 2), -1);
  host_.finish_one();
  EXPECT_EQ(taken, 0);
}

}  // namespace
}  // namespace ctdb::daemon::takeover
