// libFuzzer target: a whole packet as it comes off a socket. The header and every operation's
// decoder (packet.h) run on it, and peek_message; what decodes is encoded again and must decode
// to the same fields, and a REQ_CONTROL / REQ_MESSAGE payload goes on to its typed decoder.
#include <cstring>

#include "fuzz_common.h"
#include "protocol/message.h"
#include "protocol/packet.h"

namespace ctdb::fuzz {
namespace {

using namespace proto;

bool same_header(const Header& a, const Header& b) {
  // The length is the encoder's own (padding, minimum sizes); the rest must survive.
  return a.magic == b.magic && a.version == b.version && a.generation == b.generation &&
         a.operation == b.operation && a.destnode == b.destnode && a.srcnode == b.srcnode &&
         a.reqid == b.reqid;
}

// Decodes the re-encoding of `body` and checks `eq` on the two bodies and their headers.
template <typename T, typename Eq>
void roundtrip(const Header& h, const T& body, Eq eq) {
  Bytes again = encode(h, body);
  FUZZ_CHECK(again.size() % kPacketAlignment == 0);
  Header h2;
  T body2{};
  FUZZ_CHECK(decode(again.data(), again.size(), &h2, &body2));
  FUZZ_CHECK(h2.length == again.size());
  FUZZ_CHECK(same_header(h, h2));
  FUZZ_CHECK(eq(body, body2));
  // Encoding is a function of the fields: the same fields give the same bytes.
  FUZZ_CHECK(encode(h2, body2) == again);
}

template <typename T, typename Eq>
bool try_decode(const uint8_t* data, size_t size, Eq eq, T* out = nullptr) {
  Header h;
  T body{};
  if (!decode(data, size, &h, &body)) return false;
  FUZZ_CHECK(h.length >= kHeaderSize && h.length <= size);
  roundtrip(h, body, eq);
  if (out != nullptr) *out = body;
  return true;
}

void fuzz_one(const uint8_t* data, size_t size) {
  Header h;
  bool header_ok = decode_header(data, size, &h);
  int decoded = 0;

  decoded += try_decode<ReqCall>(data, size, [](const ReqCall& a, const ReqCall& b) {
    return a.flags == b.flags && a.db_id == b.db_id && a.callid == b.callid &&
           a.hopcount == b.hopcount && a.key == b.key && a.calldata == b.calldata;
  });
  decoded += try_decode<ReplyCall>(data, size, [](const ReplyCall& a, const ReplyCall& b) {
    return a.status == b.status && a.data == b.data;
  });
  decoded += try_decode<ReplyError>(data, size, [](const ReplyError& a, const ReplyError& b) {
    return a.status == b.status && a.msg == b.msg;
  });
  decoded += try_decode<ReqDmaster>(data, size, [](const ReqDmaster& a, const ReqDmaster& b) {
    return a.db_id == b.db_id && a.rsn == b.rsn && a.dmaster == b.dmaster && a.key == b.key &&
           a.data == b.data && a.record_flags == b.record_flags;
  });
  decoded += try_decode<ReplyDmaster>(data, size, [](const ReplyDmaster& a, const ReplyDmaster& b) {
    return a.db_id == b.db_id && a.rsn == b.rsn && a.key == b.key && a.data == b.data &&
           a.record_flags == b.record_flags;
  });
  ReqMessage msg;
  bool msg_ok = try_decode<ReqMessage>(
      data, size,
      [](const ReqMessage& a, const ReqMessage& b) {
        return a.srvid == b.srvid && a.data == b.data;
      },
      &msg);
  decoded += msg_ok;
  ReqControl ctl;
  bool ctl_ok = try_decode<ReqControl>(
      data, size,
      [](const ReqControl& a, const ReqControl& b) {
        return a.opcode == b.opcode && a.pad == b.pad && a.srvid == b.srvid &&
               a.client_id == b.client_id && a.flags == b.flags && a.data == b.data;
      },
      &ctl);
  decoded += ctl_ok;
  decoded += try_decode<ReplyControl>(data, size, [](const ReplyControl& a, const ReplyControl& b) {
    return a.status == b.status && a.data == b.data && a.errmsg == b.errmsg;
  });
  decoded += try_decode<ReqKeepalive>(data, size, [](const ReqKeepalive& a, const ReqKeepalive& b) {
    return a.version == b.version && a.uptime == b.uptime;
  });
  decoded += try_decode<ReqTunnel>(data, size, [](const ReqTunnel& a, const ReqTunnel& b) {
    return a.tunnel_id == b.tunnel_id && a.flags == b.flags && a.data == b.data;
  });

  // An operation's decoder needs a good header of its own operation: at most one succeeds.
  FUZZ_CHECK(decoded <= 1);
  if (!header_ok) FUZZ_CHECK(decoded == 0);

  // peek_message accepts exactly what decode(ReqMessage) does, without the copy.
  MessageView view;
  bool peek_ok = peek_message(data, size, &view);
  FUZZ_CHECK(peek_ok == msg_ok);
  if (peek_ok) {
    FUZZ_CHECK(view.srvid == msg.srvid && view.destnode == h.destnode);
    if (view.canonical) {
      // Forwarded as it is: the bytes must be what encode() makes of the fields, padding aside.
      Bytes again = encode(h, msg);
      FUZZ_CHECK(again.size() == size);
      size_t fields = kHeaderSize + 12 + msg.data.size();
      FUZZ_CHECK(std::memcmp(again.data(), data, fields) == 0);
    }
    roundtrip_message(msg.srvid, msg.data);
  }
  if (ctl_ok) {
    const ControlInfo* info = find_control(ctl.opcode);
    bool ok = check_request_payload(ctl.opcode, ctl.data);
    FUZZ_CHECK(info != nullptr || !ok);
    if (info != nullptr) FUZZ_CHECK(roundtrip_payload(info->request, ctl.data) == ok);
  }

  // Rewriting the routing fields of a decoded packet changes those fields only.
  if (header_ok) {
    Bytes copy(data, data + size);
    set_routing(copy.data(), h.generation + 1, h.srcnode, h.destnode);
    set_reqid(copy.data(), ~h.reqid);
    Header h2;
    FUZZ_CHECK(decode_header(copy.data(), copy.size(), &h2));
    FUZZ_CHECK(h2.length == h.length && h2.operation == h.operation);
    FUZZ_CHECK(h2.generation == h.generation + 1 && h2.destnode == h.srcnode &&
               h2.srcnode == h.destnode && h2.reqid == ~h.reqid);
    FUZZ_CHECK(std::memcmp(copy.data() + kHeaderSize, data + kHeaderSize, size - kHeaderSize) == 0);
    (void)operation_name(h.operation);
  }
}

}  // namespace
}  // namespace ctdb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ctdb::fuzz::fuzz_one(data, size);
  return 0;
}
