// libFuzzer targets fuzz_control_request and fuzz_control_reply (this file, built twice with
// CTDB_FUZZ_REPLY 0 or 1): a control payload checked against the control table as the daemon's
// dispatcher (requests) or a client (successful replies) checks it, then decoded with its typed
// codec and encoded again.
//
// Input: u32 little-endian opcode, then the payload. An opcode 4.17 never assigned must be refused
// and then picks the table row opcode % rows, so that every bit pattern reaches a payload kind.
#include "fuzz_common.h"
#include "protocol/packet.h"

#ifndef CTDB_FUZZ_REPLY
#error "build with -DCTDB_FUZZ_REPLY=0 (requests) or 1 (replies)"
#endif

namespace ctdb::fuzz {
namespace {

using namespace proto;

bool check_side(uint32_t opcode, const Bytes& payload) {
  return CTDB_FUZZ_REPLY ? check_reply_payload(opcode, payload)
                         : check_request_payload(opcode, payload);
}

void fuzz_one(const uint8_t* data, size_t size) {
  Input in(data, size);
  uint32_t opcode = in.u32();
  Bytes payload = in.rest();
  size_t rows = 0;
  const ControlInfo* table = control_table(&rows);
  const ControlInfo* info = find_control(opcode);
  if (info == nullptr) {
    FUZZ_CHECK(!check_side(opcode, payload));
    FUZZ_CHECK(std::string(control_name(opcode)) == "UNKNOWN");
    info = &table[opcode % rows];
  }
  FUZZ_CHECK(find_control(info->opcode) == info);
  // Answers carried in the status field leave no room for reply data.
  if (info->result == ResultIn::kStatus) FUZZ_CHECK(info->reply == PayloadKind::kNone);

  PayloadKind kind = CTDB_FUZZ_REPLY ? info->reply : info->request;
  bool ok = check_side(info->opcode, payload);
  FUZZ_CHECK(roundtrip_payload(kind, payload) == ok);
  (void)payload_kind_name(kind);

  // The payload inside its packet comes out as it went in and checks the same.
  Header h;
  h.reqid = opcode;
  Bytes pkt;
  Bytes back;
  if (CTDB_FUZZ_REPLY) {
    ReplyControl r;
    r.status = ok ? 0 : -1;
    r.data = payload;
    r.errmsg = ok ? "" : "bad";
    pkt = encode(h, r);
    ReplyControl r2;
    FUZZ_CHECK(decode(pkt.data(), pkt.size(), &h, &r2));
    FUZZ_CHECK(r2.status == r.status && r2.errmsg == r.errmsg);
    back = r2.data;
  } else {
    ReqControl c;
    c.opcode = info->opcode;
    c.data = payload;
    pkt = encode(h, c);
    ReqControl c2;
    FUZZ_CHECK(decode(pkt.data(), pkt.size(), &h, &c2));
    FUZZ_CHECK(c2.opcode == c.opcode);
    back = c2.data;
  }
  FUZZ_CHECK(back == payload);
  FUZZ_CHECK(check_side(info->opcode, back) == ok);
}

}  // namespace
}  // namespace ctdb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ctdb::fuzz::fuzz_one(data, size);
  return 0;
}
