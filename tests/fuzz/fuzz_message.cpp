// libFuzzer target: a REQ_MESSAGE payload, decoded by its srvid's kind (message.h) as the
// daemon's message router and handlers do, then encoded again; and the message in its packet,
// which peek_message must find canonical (forwardable as it is).
//
// Input: u8 selector (below the number of well-known srvids: that srvid; else the next 8 bytes
// are the srvid, little-endian), then the payload.
#include "fuzz_common.h"
#include "protocol/message.h"
#include "protocol/packet.h"

namespace ctdb::fuzz {
namespace {

using namespace proto;

// Every srvid with a layout of its own (message.cpp's message_kind), and one raw client srvid.
constexpr uint64_t kSrvids[] = {
    SRVID_BANNING,
    SRVID_LEADER,
    SRVID_REBALANCE_NODE,
    SRVID_ELECTION,
    SRVID_RECONFIGURE,
    SRVID_GETLOG,
    SRVID_CLEARLOG,
    SRVID_RELOAD_NODES,
    SRVID_RELEASE_IP,
    SRVID_TAKE_IP,
    SRVID_SET_NODE_FLAGS,
    SRVID_PUSH_NODE_FLAGS,
    SRVID_RECD_UPDATE_IP,
    SRVID_VACUUM_FETCH,
    SRVID_DETACH_DATABASE,
    SRVID_MEM_DUMP,
    SRVID_TAKEOVER_RUN,
    SRVID_DISABLE_TAKEOVER_RUNS,
    SRVID_DISABLE_RECOVERIES,
    SRVID_DISABLE_IP_CHECK,
    SRVID_CLIENT_RANGE | 42,
};
constexpr size_t kNumSrvids = sizeof(kSrvids) / sizeof(kSrvids[0]);

void fuzz_one(const uint8_t* data, size_t size) {
  Input in(data, size);
  uint8_t sel = in.u8();
  uint64_t srvid = sel < kNumSrvids ? kSrvids[sel] : in.u64();
  Bytes payload = in.rest();
  roundtrip_message(srvid, payload);
  (void)message_kind_name(message_kind(srvid));

  Header h;
  h.destnode = sel;
  ReqMessage m;
  m.srvid = srvid;
  m.data = payload;
  Bytes pkt = encode(h, m);
  MessageView view;
  FUZZ_CHECK(peek_message(pkt.data(), pkt.size(), &view));
  FUZZ_CHECK(view.canonical && view.srvid == srvid && view.destnode == h.destnode);
  ReqMessage m2;
  FUZZ_CHECK(decode(pkt.data(), pkt.size(), &h, &m2));
  FUZZ_CHECK(m2.srvid == srvid && m2.data == payload);
}

}  // namespace
}  // namespace ctdb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ctdb::fuzz::fuzz_one(data, size);
  return 0;
}
