// The control dispatcher: registration rules, the checks every request passes
// before its handler runs, and the per-control counters behind `ctdb controlstats`.
#include <gtest/gtest.h>

#include <stdexcept>

#include "ctdb/protocol.h"
#include "daemon/clients/client_server.h"
#include "daemon/controls/dispatch.h"
#include "protocol/types.h"

namespace ctdb::daemon {
namespace {

int g_calls = 0;
int32_t g_status = 0;

ControlReply counting_handler(const ControlRequest&) {
  g_calls++;
  ControlReply r;
  r.status = g_status;
  return r;
}

ControlReply async_handler(const ControlRequest& req) {
  g_calls++;
  EXPECT_EQ(req.responder.opcode, req.c.opcode);
  EXPECT_GT(req.responder.started, 0);
  ControlReply r;
  r.async = true;
  return r;
}

class ControlDispatch : public ::testing::Test {
 protected:
  void SetUp() override {
    g_calls = 0;
    g_status = 0;
  }
  // Dispatches `opcode` with `data`, from a local client when `client` is set.
  ControlReply run(uint32_t opcode, proto::Bytes data, ClientConnection* client = nullptr) {
    c_ = proto::ReqControl{};
    c_.opcode = opcode;
    c_.data = std::move(data);
    ControlRequest req{h_, c_, client, client ? 0u : 1u, Responder{}};
    return table_.dispatch(req, 100.0);
  }
  const proto::ControlStatistics::Entry* counters(uint32_t opcode) {
    stats_ = table_.statistics();
    for (const auto& e : stats_.entries) {
      if (e.opcode == opcode) return &e;
    }
    return nullptr;
  }

  ControlTable table_;
  proto::Header h_;
  proto::ReqControl c_;
  proto::ControlStatistics stats_;
};

TEST_F(ControlDispatch, RegisteringAnUnassignedOrOutOfRangeOpcodeOrTwiceFails) {
  EXPECT_THROW(table_.add(2, counting_handler), std::logic_error);  // 4.17 never assigned 2
  EXPECT_THROW(table_.add(300, counting_handler), std::logic_error);
  EXPECT_THROW(table_.add(CONTROL_GET_PNN, nullptr), std::logic_error);
  table_.add(CONTROL_GET_PNN, counting_handler);
  EXPECT_THROW(table_.add(CONTROL_GET_PNN, counting_handler), std::logic_error);
  ASSERT_NE(table_.entry(CONTROL_GET_PNN), nullptr);
  EXPECT_STREQ(table_.entry(CONTROL_GET_PNN)->info->name, "GET_PNN");
  EXPECT_EQ(table_.entry(CONTROL_PING), nullptr);
}

TEST_F(ControlDispatch, AnUnknownControlIsRefusedWithStatusMinusOne) {
  ControlReply r = run(CONTROL_PING, {});
  EXPECT_EQ(r.status, -1);
  EXPECT_EQ(run(9999, {}).status, -1);
  EXPECT_TRUE(table_.statistics().entries.empty());
}

TEST_F(ControlDispatch, AMalformedPayloadNeverReachesTheHandler) {
  table_.add(CONTROL_SET_DEBUG, counting_handler);  // request: one u32
  EXPECT_EQ(run(CONTROL_SET_DEBUG, {1, 2, 3}).status, -1);
  EXPECT_EQ(run(CONTROL_SET_DEBUG, {1, 2, 3, 4, 5}).status, -1);
  EXPECT_EQ(run(CONTROL_SET_DEBUG, {}).status, -1);
  EXPECT_EQ(g_calls, 0);
  EXPECT_EQ(run(CONTROL_SET_DEBUG, {3, 0, 0, 0}).status, 0);
  EXPECT_EQ(g_calls, 1);
  const auto* e = counters(CONTROL_SET_DEBUG);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->calls, 4u);
  EXPECT_EQ(e->failures, 3u);
  EXPECT_EQ(e->latency.num, 1);  // only the call that ran is timed
}

TEST_F(ControlDispatch, NodeOnlyControlsAreRefusedFromClients) {
  table_.add(CONTROL_TRAVERSE_DATA, counting_handler, ControlAccess::kNodeOnly);
  proto::RecData rec;
  rec.reqid = 7;
  proto::Bytes data = proto::to_bytes(rec);
  ClientConnection client(nullptr, 1, 4242);
  EXPECT_EQ(run(CONTROL_TRAVERSE_DATA, data, &client).status, -1);
  EXPECT_EQ(g_calls, 0);
  EXPECT_EQ(run(CONTROL_TRAVERSE_DATA, data).status, 0);  // from node 1
  EXPECT_EQ(g_calls, 1);
}

TEST_F(ControlDispatch, FailuresCountOnlyWhereTheStatusIsNotTheAnswer) {
  table_.add(CONTROL_PROCESS_EXISTS, counting_handler);  // answers in the status
  table_.add(CONTROL_GET_DBMAP, counting_handler);
  g_status = -1;
  EXPECT_EQ(run(CONTROL_PROCESS_EXISTS, {1, 0, 0, 0}).status, -1);
  EXPECT_EQ(run(CONTROL_GET_DBMAP, {}).status, -1);
  EXPECT_EQ(counters(CONTROL_PROCESS_EXISTS)->failures, 0u);
  EXPECT_EQ(counters(CONTROL_GET_DBMAP)->failures, 1u);
}

TEST_F(ControlDispatch, AnAsynchronousAnswerIsCountedWhenItIsSent) {
  table_.add(CONTROL_DB_ATTACH, async_handler);
  ControlReply r = run(CONTROL_DB_ATTACH, {'d', 'b', 0});
  EXPECT_TRUE(r.async);
  EXPECT_EQ(counters(CONTROL_DB_ATTACH), nullptr);  // not answered yet
  table_.finished(CONTROL_DB_ATTACH, 0, 0.25);
  const auto* e = counters(CONTROL_DB_ATTACH);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->calls, 1u);
  EXPECT_EQ(e->failures, 0u);
  EXPECT_DOUBLE_EQ(e->latency.max, 0.25);
  table_.reset_statistics();
  EXPECT_TRUE(table_.statistics().entries.empty());
  ASSERT_NE(table_.entry(CONTROL_DB_ATTACH), nullptr);  // the handler stays
}

struct Counter {
  int seen = 0;
};
ControlReply count_in(Counter& c, const ControlRequest&) {
  c.seen++;
  return {};
}

TEST_F(ControlDispatch, AHandlerWorksOnTheContextItWasRegisteredWith) {
  Counter mine;
  auto shared = std::make_shared<Counter>();
  table_.add(CONTROL_PING, bind_handler(mine, count_in));
  table_.add(CONTROL_GET_PNN, bind_handler(shared, count_in));
  run(CONTROL_PING, {});
  run(CONTROL_PING, {});
  run(CONTROL_GET_PNN, {});
  EXPECT_EQ(mine.seen, 2);
  EXPECT_EQ(shared->seen, 1);
}

}  // namespace
}  // namespace ctdb::daemon
