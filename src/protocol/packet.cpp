// Header and operation bodies (see packet.h).
#include "protocol/packet.h"

#include <algorithm>

namespace ctdb::proto {
namespace {

void put_header(Writer& w, const Header& h) {
  w.u32(h.length);
  w.u32(h.magic);
  w.u32(h.version);
  w.u32(h.generation);
  w.u32(h.operation);
  w.u32(h.destnode);
  w.u32(h.srcnode);
  w.u32(h.reqid);
}

// Starts a packet: header with a placeholder length.
void begin(Header& h, uint32_t operation, Writer& w) {
  h.operation = operation;
  put_header(w, h);
}

// `fixed` is the size of the operation's fields before its variable data;
// 4.17's structs end in a one-byte array, so no packet is shorter than that.
Bytes finish(Bytes out, size_t fixed) {
  size_t len = std::max(out.size(), fixed + 1);
  len = (len + kPacketAlignment - 1) & ~size_t(kPacketAlignment - 1);
  out.resize(len, 0);
  Writer w(&out);
  w.patch_u32(0, static_cast<uint32_t>(len));
  return out;
}

// Reads the header, checks the operation, and returns a Reader over the
// packet's declared length positioned after the header.
bool open(const uint8_t* buf, size_t buflen, uint32_t operation, Header* h, Reader* r) {
  if (!decode_header(buf, buflen, h) || h->operation != operation) return false;
  *r = Reader(buf, h->length);
  return r->skip(kHeaderSize);
}

}  // namespace

bool decode_header(const uint8_t* buf, size_t buflen, Header* h) {
  Reader r(buf, buflen);
  if (!(r.u32(&h->length) && r.u32(&h->magic) && r.u32(&h->version) && r.u32(&h->generation) &&
        r.u32(&h->operation) && r.u32(&h->destnode) && r.u32(&h->srcnode) && r.u32(&h->reqid)))
    return false;
  return h->length >= kHeaderSize && h->length <= buflen && h->magic == kMagic &&
         h->version == kProtocolVersion;
}

Bytes encode(Header h, const ReqCall& c) {
  Bytes out;
  Writer w(&out);
  begin(h, REQ_CALL, w);
  w.u32(c.flags);
  w.u32(c.db_id);
  w.u32(c.callid);
  w.u32(c.hopcount);
  w.u32(static_cast<uint32_t>(c.key.size()));
  w.u32(static_cast<uint32_t>(c.calldata.size()));
  w.bytes(c.key);
  w.bytes(c.calldata);
  return finish(std::move(out), kHeaderSize + 24);
}

bool decode(const uint8_t* buf, size_t buflen, Header* h, ReqCall* c) {
  Reader r(nullptr, 0);
  uint32_t keylen, datalen;
  return open(buf, buflen, REQ_CALL, h, &r) && r.u32(&c->flags) && r.u32(&c->db_id) &&
         r.u32(&c->callid) && r.u32(&c->hopcount) && r.u32(&keylen) && r.u32(&datalen) &&
         r.bytes(keylen, &c->key) && r.bytes(datalen, &c->calldata);
}

Bytes encode(Header h, const ReplyCall& c) {
  Bytes out;
  Writer w(&out);
  begin(h, REPLY_CALL, w);
  w.i32(c.status);
  w.datan(c.data);
  return finish(std::move(out), kHeaderSize + 8);
}

bool decode(const uint8_t* buf, size_t buflen, Header* h, ReplyCall* c) {
  Reader r(nullptr, 0);
  return open(buf, buflen, REPLY_CALL, h, &r) && r.i32(&c->status) && r.datan(&c->data);
}

Bytes encode(Header h, const ReplyError& c) {
  Bytes out;
  Writer w(&out);
  begin(h, REPLY_ERROR, w);
  w.i32(c.status);
  w.datan(c.msg);
  return finish(std::move(out), kHeaderSize + 8);
}

bool decode(const uint8_t* buf, size_t buflen, Header* h, ReplyError* c) {
  Reader r(nullptr, 0);
  return open(buf, buflen, REPLY_ERROR, h, &r) && r.i32(&c->status) && r.datan(&c->msg);
}

Bytes encode(Header h, const ReqDmaster& c) {
  Bytes out;
  Writer w(&out);
  begin(h, REQ_DMASTER, w);
  w.u32(c.db_id);
  w.zeros(4);
  w.u64(c.rsn);
  w.u32(c.dmaster);
  w.u32(static_cast<uint32_t>(c.key.size()));
  w.u32(static_cast<uint32_t>(c.data.size()));
  w.bytes(c.key);
  w.bytes(c.data);
  w.u32(c.record_flags);
  return finish(std::move(out), kHeaderSize + 28);
}

bool decode(const uint8_t* buf, size_t buflen, Header* h, ReqDmaster* c) {
  Reader r(nullptr, 0);
  uint32_t keylen, datalen;
  return open(buf, buflen, REQ_DMASTER, h, &r) && r.u32(&c->db_id) && r.skip(4) && r.u64(&c->rsn) &&
         r.u32(&c->dmaster) && r.u32(&keylen) && r.u32(&datalen) && r.bytes(keylen, &c->key) &&
         r.bytes(datalen, &c->data) && (r.remaining() < 4 || r.u32(&c->record_flags));
}

Bytes encode(Header h, const ReplyDmaster& c) {
  Bytes out;
  Writer w(&out);
  begin(h, REPLY_DMASTER, w);
  w.u32(c.db_id);
  w.zeros(4);
  w.u64(c.rsn);
  w.u32(static_cast<uint32_t>(c.key.size()));
  w.u32(static_cast<uint32_t>(c.data.size()));
  w.bytes(c.key);
  w.bytes(c.data);
  w.u32(c.record_flags);
  return finish(std::move(out), kHeaderSize + 24);
}

bool decode(const uint8_t* buf, size_t buflen, Header* h, ReplyDmaster* c) {
  Reader r(nullptr, 0);
  uint32_t keylen, datalen;
  return open(buf, buflen, REPLY_DMASTER, h, &r) && r.u32(&c->db_id) && r.skip(4) &&
         r.u64(&c->rsn) && r.u32(&keylen) && r.u32(&datalen) && r.bytes(keylen, &c->key) &&
         r.bytes(datalen, &c->data) && (r.remaining() < 4 || r.u32(&c->record_flags));
}

namespace {
// Byte offsets of the routing fields in the header.
constexpr size_t kGenerationOffset = 12;
constexpr size_t kDestnodeOffset = 20;
constexpr size_t kSrcnodeOffset = 24;
constexpr size_t kReqidOffset = 28;
// REQ_MESSAGE: srvid (8) and the data length (4) before the data.
constexpr size_t kMessageFixed = 12;

void put_u32_at(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
}  // namespace

void set_routing(uint8_t* pkt, uint32_t generation, uint32_t destnode, uint32_t srcnode) {
  put_u32_at(pkt + kGenerationOffset, generation);
  put_u32_at(pkt + kDestnodeOffset, destnode);
  put_u32_at(pkt + kSrcnodeOffset, srcnode);
}

void set_reqid(uint8_t* pkt, uint32_t reqid) { put_u32_at(pkt + kReqidOffset, reqid); }

bool peek_message(const uint8_t* buf, size_t buflen, MessageView* out) {
  Header h;
  if (!decode_header(buf, buflen, &h) || h.operation != REQ_MESSAGE) return false;
  Reader r(buf, h.length);
  uint32_t datalen = 0;
  if (!r.skip(kHeaderSize) || !r.u64(&out->srvid) || !r.u32(&datalen) || !r.skip(datalen)) {
    return false;
  }
  // encode() writes at least one byte of data area, then pads.
  size_t canonical =
      std::max<size_t>(kHeaderSize + kMessageFixed + datalen, kHeaderSize + kMessageFixed + 1);
  canonical = (canonical + kPacketAlignment - 1) & ~size_t(kPacketAlignment - 1);
  out->destnode = h.destnode;
  out->canonical = h.length == buflen && buflen == canonical;
  return true;
}

Bytes encode(Header h, const ReqMessage& c) {
  Bytes out;
  Writer w(&out);
  begin(h, REQ_MESSAGE, w);
  w.u64(c.srvid);
  w.datan(c.data);
  return finish(std::move(out), kHeaderSize + 12);
}

bool decode(const uint8_t* buf, size_t buflen, Header* h, ReqMessage* c) {
  Reader r(nullptr, 0);
  return open(buf, buflen, REQ_MESSAGE, h, &r) && r.u64(&c->srvid) && r.datan(&c->data);
}

Bytes encode(Header h, const ReqControl& c) {
  Bytes out;
  Writer w(&out);
  begin(h, REQ_CONTROL, w);
  w.u32(c.opcode);
  w.u32(c.pad);
  w.u64(c.srvid);
  w.u32(c.client_id);
  w.u32(c.flags);
  w.datan(c.data);
  return finish(std::move(out), kHeaderSize + 28);
}

bool decode(const uint8_t* buf, size_t buflen, Header* h, ReqControl* c) {
  Reader r(nullptr, 0);
  return open(buf, buflen, REQ_CONTROL, h, &r) && r.u32(&c->opcode) && r.u32(&c->pad) &&
         r.u64(&c->srvid) && r.u32(&c->client_id) && r.u32(&c->flags) && r.datan(&c->data);
}

Bytes encode(Header h, const ReplyControl& c) {
  Bytes out;
  Writer w(&out);
  begin(h, REPLY_CONTROL, w);
  w.i32(c.status);
  w.u32(static_cast<uint32_t>(c.data.size()));
  w.u32(static_cast<uint32_t>(c.errmsg.size()));
  w.bytes(c.data);
  w.bytes(c.errmsg.data(), c.errmsg.size());
  return finish(std::move(out), kHeaderSize + 12);
}

bool decode(const uint8_t* buf, size_t buflen, Header* h, ReplyControl* c) {
  Reader r(nullptr, 0);
  uint32_t dsize, esize;
  return open(buf, buflen, REPLY_CONTROL, h, &r) && r.i32(&c->status) && r.u32(&dsize) &&
         r.u32(&esize) && r.bytes(dsize, &c->data) && r.cstring(esize, &c->errmsg);
}

Bytes encode(Header h, const ReqKeepalive& c) {
  Bytes out;
  Writer w(&out);
  begin(h, REQ_KEEPALIVE, w);
  w.u32(c.version);
  w.u32(c.uptime);
  return finish(std::move(out), 0);
}

bool decode(const uint8_t* buf, size_t buflen, Header* h, ReqKeepalive* c) {
  Reader r(nullptr, 0);
  return open(buf, buflen, REQ_KEEPALIVE, h, &r) && r.u32(&c->version) && r.u32(&c->uptime);
}

Bytes encode(Header h, const ReqTunnel& c) {
  Bytes out;
  Writer w(&out);
  begin(h, REQ_TUNNEL, w);
  w.u64(c.tunnel_id);
  w.u32(c.flags);
  w.datan(c.data);
  return finish(std::move(out), kHeaderSize + 16);
}

bool decode(const uint8_t* buf, size_t buflen, Header* h, ReqTunnel* c) {
  Reader r(nullptr, 0);
  return open(buf, buflen, REQ_TUNNEL, h, &r) && r.u64(&c->tunnel_id) && r.u32(&c->flags) &&
         r.datan(&c->data);
}

const char* operation_name(uint32_t operation) {
  switch (operation) {
    case REQ_CALL:
      return "REQ_CALL";
    case REPLY_CALL:
      return "REPLY_CALL";
    case REQ_DMASTER:
      return "REQ_DMASTER";
    case REPLY_DMASTER:
      return "REPLY_DMASTER";
    case REPLY_ERROR:
      return "REPLY_ERROR";
    case REQ_MESSAGE:
      return "REQ_MESSAGE";
    case REQ_CONTROL:
      return "REQ_CONTROL";
    case REPLY_CONTROL:
      return "REPLY_CONTROL";
    case REQ_KEEPALIVE:
      return "REQ_KEEPALIVE";
    case REQ_TUNNEL:
      return "REQ_TUNNEL";
    default:
      return "UNKNOWN";
  }
}

}  // namespace ctdb::proto
