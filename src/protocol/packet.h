// The CTDB packet header and the body of every operation (REQ_CALL ...
// REQ_TUNNEL). Control and message payloads stay as bytes here; their typed
// codecs live in types.h and control.h.
#pragma once

#include <cstdint>
#include <string>

#include "ctdb/protocol.h"
#include "protocol/wire.h"

namespace ctdb::proto {

struct Header {
  uint32_t length = 0;  // whole packet, padding included; set by encode
  uint32_t magic = kMagic;
  uint32_t version = kProtocolVersion;
  uint32_t generation = 0;
  uint32_t operation = 0;
  uint32_t destnode = 0;
  uint32_t srcnode = 0;
  uint32_t reqid = 0;
};

struct ReqCall {
  uint32_t flags = 0;
  uint32_t db_id = 0;
  uint32_t callid = 0;
  uint32_t hopcount = 0;
  Bytes key;
  Bytes calldata;
};

struct ReplyCall {
  int32_t status = 0;
  Bytes data;
};

struct ReplyError {
  int32_t status = 0;
  Bytes msg;
};

// The 4.17 daemon appends the record's header flags after key and data; a
// sender that leaves them out (older ones) reads as flags 0.
struct ReqDmaster {
  uint32_t db_id = 0;
  uint64_t rsn = 0;
  uint32_t dmaster = 0;
  Bytes key;
  Bytes data;
  uint32_t record_flags = 0;
};

struct ReplyDmaster {
  uint32_t db_id = 0;
  uint64_t rsn = 0;
  Bytes key;
  Bytes data;
  uint32_t record_flags = 0;
};

struct ReqMessage {
  uint64_t srvid = 0;
  Bytes data;
};

struct ReqControl {
  uint32_t opcode = 0;
  uint32_t pad = 0;
  uint64_t srvid = 0;
  uint32_t client_id = 0;
  uint32_t flags = 0;
  Bytes data;
};

// As the 4.17 daemon sends it: data and error message may both be present,
// and the error message goes without its NUL. (Samba's client library reads
// data only when status == 0, and accepts the message with or without NUL.)
struct ReplyControl {
  int32_t status = 0;
  Bytes data;
  std::string errmsg;
};

struct ReqKeepalive {
  uint32_t version = kProtocolVersion;
  uint32_t uptime = 0;
};

struct ReqTunnel {
  uint64_t tunnel_id = 0;
  uint32_t flags = 0;
  Bytes data;
};

// Encoders return the whole packet, header first, with h.length and
// h.operation filled in. Like every 4.17 sender (tool, smbd, daemon), they
// pad the packet with zeros to a multiple of kPacketAlignment, count the
// padding in the length, and never make a packet shorter than 4.17's C struct
// for its operation (a struct with a one-byte data tail: an empty REPLY_CALL
// is 48 bytes, not 40). Decoders accept any length the fields fit in.
Bytes encode(Header h, const ReqCall& c);
Bytes encode(Header h, const ReplyCall& c);
Bytes encode(Header h, const ReplyError& c);
Bytes encode(Header h, const ReqDmaster& c);
Bytes encode(Header h, const ReplyDmaster& c);
Bytes encode(Header h, const ReqMessage& c);
Bytes encode(Header h, const ReqControl& c);
Bytes encode(Header h, const ReplyControl& c);
Bytes encode(Header h, const ReqKeepalive& c);
Bytes encode(Header h, const ReqTunnel& c);

// Reads and checks the header: length within [kHeaderSize, buflen], magic and
// version. Returns false on any mismatch.
bool decode_header(const uint8_t* buf, size_t buflen, Header* h);

// Forwarding a packet's bytes as they are: rewrites the routing fields of
// the header of an encoded packet in place.
void set_routing(uint8_t* pkt, uint32_t generation, uint32_t destnode, uint32_t srcnode);
void set_reqid(uint8_t* pkt, uint32_t reqid);

// Checks a REQ_MESSAGE as decode() does, without copying its data. `canonical`
// tells whether the packet is exactly as long as encode() makes it (data padded
// to the packet alignment), so that its bytes can be forwarded unchanged.
struct MessageView {
  uint32_t destnode = 0;
  uint64_t srvid = 0;
  bool canonical = false;
};
bool peek_message(const uint8_t* buf, size_t buflen, MessageView* out);

// Body decoders take the whole packet (header included) and fail on short,
// inconsistent or wrong-operation input; they never read past buflen.
bool decode(const uint8_t* buf, size_t buflen, Header* h, ReqCall* c);
bool decode(const uint8_t* buf, size_t buflen, Header* h, ReplyCall* c);
bool decode(const uint8_t* buf, size_t buflen, Header* h, ReplyError* c);
bool decode(const uint8_t* buf, size_t buflen, Header* h, ReqDmaster* c);
bool decode(const uint8_t* buf, size_t buflen, Header* h, ReplyDmaster* c);
bool decode(const uint8_t* buf, size_t buflen, Header* h, ReqMessage* c);
bool decode(const uint8_t* buf, size_t buflen, Header* h, ReqControl* c);
bool decode(const uint8_t* buf, size_t buflen, Header* h, ReplyControl* c);
bool decode(const uint8_t* buf, size_t buflen, Header* h, ReqKeepalive* c);
bool decode(const uint8_t* buf, size_t buflen, Header* h, ReqTunnel* c);

// Name of an operation for logs ("REQ_CONTROL"), or "UNKNOWN".
const char* operation_name(uint32_t operation);

}  // namespace ctdb::proto
