// How controls and messages travel between this node, the others and the
// daemon's own handlers: the reply of every control comes back exactly once
// (answered, refused, timed out or lost with its node), and messages reach
// the node or handler they name.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/nodes_file.h"
#include "ctdb/protocol.h"
#include "daemon/clients/client_server.h"
#include "daemon/clients/message_router.h"
#include "daemon/clients/srvid_registry.h"
#include "daemon/cluster/node_state.h"
#include "daemon/controls/control_router.h"
#include "daemon/controls/dispatch.h"
#include "daemon/event_loop.h"
#include "protocol/packet.h"
#include "test_monitor_helpers.h"
#include "test_node_state_helpers.h"

namespace ctdb::daemon {
namespace {

using monitor::spin_until;

class NoClients : public ClientHandler {
 public:
  void on_client_packet(ClientConnection&, const uint8_t*, size_t) override {}
  void on_client_gone(ClientConnection&) override {}
};

struct Sent {
  uint32_t pnn;
  proto::Bytes pkt;
};

struct Answer {
  uint32_t pnn;
  int32_t status;
  proto::Bytes data;
  std::string err;
};

// This node is 0 of three; node 1 is connected, node 2 is not.
class Routers : public ::testing::Test {
 protected:
  void SetUp() override {
    load_as(state_, "10.0.0.1\n10.0.0.2\n10.0.0.3\n", "10.0.0.1");
    state_.mark_connected(1);
    table_.add(CONTROL_GET_PNN, [](const ControlRequest&) {
      ControlReply r;
      r.status = 7;
      return r;
    });
    table_.add(CONTROL_PING, [this](const ControlRequest& req) {
      parked_.push_back(req.responder);
      ControlReply r;
      r.async = true;
      return r;
    });
    NodeSender record_sent = [this](uint32_t pnn, const uint8_t* pkt, size_t len) {
      sent_.push_back({pnn, proto::Bytes(pkt, pkt + len)});
      return true;
    };
    router_ = std::make_unique<ControlRouter>(loop_, state_, table_, clients_, stats_, record_sent);
    messages_ = std::make_unique<MessageRouter>(state_, srvids_, clients_, stats_, record_sent);
  }

  ClusterHost::ControlCallback record() {
    return [this](uint32_t pnn, int32_t status, const proto::Bytes& data, const std::string& err) {
      answers_.push_back({pnn, status, data, err});
    };
  }

  EventLoop loop_;
  NoClients no_clients_;
  ClientServer clients_{loop_, no_clients_, 1024};
  SrvidRegistry srvids_;
  cluster::NodeState state_;
  ControlTable table_;
  proto::Statistics stats_;
  std::unique_ptr<ControlRouter> router_;
  std::unique_ptr<MessageRouter> messages_;
  std::vector<Sent> sent_;
  std::vector<Answer> answers_;
  std::vector<Responder> parked_;
};

TEST_F(Routers, AControlToThisNodeRunsHereAndAnswersOnce) {
  router_->send_control(0, CONTROL_GET_PNN, 0, {}, 5, record(), 0);
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].status, 7);
  EXPECT_EQ(answers_[0].pnn, 0u);
  EXPECT_TRUE(sent_.empty());
  // One without a handler is refused the same way.
  router_->send_control(0, CONTROL_GET_RECMODE, 0, {}, 5, record(), 0);
  ASSERT_EQ(answers_.size(), 2u);
  EXPECT_EQ(answers_[1].status, -1);
}

TEST_F(Routers, AnAsynchronousHandlerAnswersThroughRespond) {
  router_->send_control(0, CONTROL_PING, 0, {}, 5, record(), 0);
  EXPECT_TRUE(answers_.empty());
  ASSERT_EQ(parked_.size(), 1u);
  ControlReply r;
  r.status = 3;
  bool after = false;
  r.after_reply = [&after] { after = true; };
  router_->respond(parked_[0], r);
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].status, 3);
  EXPECT_TRUE(after);
}

TEST_F(Routers, AControlToADisconnectedNodeFailsAtOnce) {
  router_->send_control(2, CONTROL_GET_PNN, 0, {}, 5, record(), 0);
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].status, -1);
  EXPECT_EQ(answers_[0].err, "node is disconnected");
  EXPECT_TRUE(sent_.empty());
}

TEST_F(Routers, TheReplyOfAnotherNodeFindsItsCallbackByReqid) {
  router_->send_control(1, CONTROL_GET_PNN, 0, proto::Bytes{1, 2, 3, 4}, 5, record(), 0);
  ASSERT_EQ(sent_.size(), 1u);
  proto::Header h;
  proto::ReqControl c;
  ASSERT_TRUE(proto::decode(sent_[0].pkt.data(), sent_[0].pkt.size(), &h, &c));
  EXPECT_EQ(h.destnode, 1u);
  EXPECT_EQ(h.srcnode, 0u);
  EXPECT_EQ(c.opcode, CONTROL_GET_PNN);
  EXPECT_TRUE(answers_.empty());

  proto::Header rh;
  rh.srcnode = 1;
  rh.destnode = 0;
  rh.reqid = h.reqid + 1;  // someone else's
  proto::ReplyControl r;
  r.status = 1;
  proto::Bytes orphan = proto::encode(rh, r);
  router_->node_reply(orphan.data(), orphan.size());
  EXPECT_TRUE(answers_.empty()) << "an orphaned reply is dropped";
  rh.reqid = h.reqid;
  proto::Bytes reply = proto::encode(rh, r);
  router_->node_reply(reply.data(), reply.size());
  router_->node_reply(reply.data(), reply.size());
  ASSERT_EQ(answers_.size(), 1u) << "answered exactly once";
  EXPECT_EQ(answers_[0].pnn, 1u);
  EXPECT_EQ(answers_[0].status, 1);
}

TEST_F(Routers, AControlNobodyAnswersTimesOut) {
  router_->send_control(1, CONTROL_GET_PNN, 0, {}, 0.05, record(), 0);
  ASSERT_TRUE(spin_until(
      loop_, [this] { return !answers_.empty(); }, 10, "the timeout"));
  EXPECT_EQ(answers_[0].status, -1);
  EXPECT_EQ(answers_[0].err, "timed out");
  EXPECT_EQ(stats_.timeouts.control, 1u);
}

TEST_F(Routers, ControlsWaitingOnALostNodeFailWithTheReason) {
  router_->send_control(1, CONTROL_GET_PNN, 0, {}, 5, record(), 0);
  router_->send_control(1, CONTROL_GET_PNN, 0, {}, 5, nullptr, CTRL_FLAG_NOREPLY);
  router_->node_lost(1, "node is disconnected");
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_EQ(answers_[0].err, "node is disconnected");
  router_->node_lost(1, "again");
  EXPECT_EQ(answers_.size(), 1u);
}

TEST_F(Routers, AnotherNodesControlIsAnsweredToItUnlessNoreply) {
  proto::Header h;
  h.srcnode = 1;
  h.destnode = 0;
  h.reqid = 42;
  proto::ReqControl c;
  c.opcode = CONTROL_GET_PNN;
  proto::Bytes pkt = proto::encode(h, c);
  router_->node_control(1, pkt.data(), pkt.size());
  ASSERT_EQ(sent_.size(), 1u);
  EXPECT_EQ(sent_[0].pnn, 1u);
  proto::Header rh;
  proto::ReplyControl r;
  ASSERT_TRUE(proto::decode(sent_[0].pkt.data(), sent_[0].pkt.size(), &rh, &r));
  EXPECT_EQ(rh.reqid, 42u);
  EXPECT_EQ(r.status, 7);
  c.flags = CTRL_FLAG_NOREPLY;
  pkt = proto::encode(h, c);
  router_->node_control(1, pkt.data(), pkt.size());
  EXPECT_EQ(sent_.size(), 1u);
  router_->node_control(1, pkt.data(), 10);  // cut short: dropped
  EXPECT_EQ(sent_.size(), 1u);
}

TEST_F(Routers, MessagesReachTheNodeOrHandlerTheyName) {
  std::vector<proto::Bytes> got;
  messages_->set_handler(0x1234, [&got](const proto::Bytes& d) { got.push_back(d); });
  messages_->send(0, 0x1234, {9});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], proto::Bytes{9});

  messages_->send(2, 0x1234, {1});  // not connected: dropped
  EXPECT_TRUE(sent_.empty());
  messages_->send(1, 0x1234, {1, 2});
  ASSERT_EQ(sent_.size(), 1u);
  proto::Header h;
  proto::ReqMessage m;
  ASSERT_TRUE(proto::decode(sent_[0].pkt.data(), sent_[0].pkt.size(), &h, &m));
  EXPECT_EQ(h.destnode, 1u);
  EXPECT_EQ(m.srvid, 0x1234u);

  // The same packet, arriving from node 1, goes to the handler.
  messages_->node_message(sent_[0].pkt.data(), sent_[0].pkt.size());
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1], (proto::Bytes{1, 2}));
  messages_->clear_handler(0x1234);
  messages_->node_message(sent_[0].pkt.data(), sent_[0].pkt.size());
  EXPECT_EQ(got.size(), 2u);
}

}  // namespace
}  // namespace ctdb::daemon
