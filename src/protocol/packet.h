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

struct ReqDmaster {
  uint32_t db_id = 0;
  uint64_t rsn = 0;
  uint32_t dmaster = 0;
  Bytes key;
  Bytes data;
};

struct ReplyDmaster {
  uint32_t db_id = 0;
  uint64_t rsn = 0;
  Bytes key;
  Bytes data;
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

// How a packet's tail is framed. Samba's protocol library (the stock tool,
// smbd) pads packets to kPacketAlignment and counts the padding in the length;
// the stock daemon sends packets unpadded with the exact length. Decoders
// accept both.
enum class Framing { kPadded, kExact };

// Encoders return the whole packet, header first, with h.length and
// h.operation filled in.
Bytes encode(Header h, const ReqCall& c, Framing f = Framing::kPadded);
Bytes encode(Header h, const ReplyCall& c, Framing f = Framing::kPadded);
Bytes encode(Header h, const ReplyError& c, Framing f = Framing::kPadded);
Bytes encode(Header h, const ReqDmaster& c, Framing f = Framing::kPadded);
Bytes encode(Header h, const ReplyDmaster& c, Framing f = Framing::kPadded);
Bytes encode(Header h, const ReqMessage& c, Framing f = Framing::kPadded);
Bytes encode(Header h, const ReqControl& c, Framing f = Framing::kPadded);
Bytes encode(Header h, const ReplyControl& c, Framing f = Framing::kPadded);
Bytes encode(Header h, const ReqKeepalive& c, Framing f = Framing::kPadded);
Bytes encode(Header h, const ReqTunnel& c, Framing f = Framing::kPadded);

// Reads and checks the header: length within [kHeaderSize, buflen], magic and
// version. Returns false on any mismatch.
bool decode_header(const uint8_t* buf, size_t buflen, Header* h);

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
