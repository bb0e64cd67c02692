// REQ_MESSAGE payload kinds per srvid (see message.h).
#include "protocol/message.h"

namespace ctdb::proto {

MessageKind message_kind(uint64_t srvid) {
  switch (srvid) {
    case SRVID_BANNING:
    case SRVID_LEADER:
    case SRVID_REBALANCE_NODE:
      return MessageKind::kPnn;
    case SRVID_ELECTION:
      return MessageKind::kElection;
    case SRVID_RECONFIGURE:
    case SRVID_GETLOG:
    case SRVID_CLEARLOG:
    case SRVID_RELOAD_NODES:
      return MessageKind::kNone;
    case SRVID_RELEASE_IP:
    case SRVID_TAKE_IP:
      return MessageKind::kIpAddr;
    case SRVID_SET_NODE_FLAGS:
    case SRVID_PUSH_NODE_FLAGS:
      return MessageKind::kNodeFlagChange;
    case SRVID_RECD_UPDATE_IP:
      return MessageKind::kPublicIp;
    case SRVID_VACUUM_FETCH:
      return MessageKind::kRecBuffer;
    case SRVID_DETACH_DATABASE:
      return MessageKind::kDbId;
    case SRVID_MEM_DUMP:
    case SRVID_TAKEOVER_RUN:
      return MessageKind::kSrvidMessage;
    case SRVID_DISABLE_TAKEOVER_RUNS:
    case SRVID_DISABLE_RECOVERIES:
      return MessageKind::kDisableMessage;
    case SRVID_DISABLE_IP_CHECK:
      return MessageKind::kTimeout;
    default:
      return MessageKind::kRaw;
  }
}

const char* message_kind_name(MessageKind kind) {
  switch (kind) {
    case MessageKind::kRaw:
      return "RAW";
    case MessageKind::kNone:
      return "NONE";
    case MessageKind::kPnn:
      return "PNN";
    case MessageKind::kElection:
      return "ELECTION";
    case MessageKind::kIpAddr:
      return "IPADDR";
    case MessageKind::kNodeFlagChange:
      return "NODE_FLAG_CHANGE";
    case MessageKind::kPublicIp:
      return "PUBLIC_IP";
    case MessageKind::kRecBuffer:
      return "REC_BUFFER";
    case MessageKind::kDbId:
      return "DB_ID";
    case MessageKind::kSrvidMessage:
      return "SRVID_MESSAGE";
    case MessageKind::kDisableMessage:
      return "DISABLE_MESSAGE";
    case MessageKind::kTimeout:
      return "TIMEOUT";
  }
  return "UNKNOWN";
}

namespace {

template <typename T>
bool check_typed(const Bytes& payload) {
  T v;
  return from_bytes(payload, &v);
}

}  // namespace

bool check_message_payload(uint64_t srvid, const Bytes& payload) {
  uint32_t u32;
  std::string s;
  switch (message_kind(srvid)) {
    case MessageKind::kRaw:
      return true;
    case MessageKind::kNone:
      return payload.empty();
    case MessageKind::kPnn:
    case MessageKind::kDbId:
    case MessageKind::kTimeout:
      return decode_u32_message(payload, &u32);
    case MessageKind::kElection:
      return check_typed<ElectionMessage>(payload);
    case MessageKind::kIpAddr:
      return decode_ipaddr_message(payload, &s);
    case MessageKind::kNodeFlagChange:
      return check_typed<NodeFlagChange>(payload);
    case MessageKind::kPublicIp:
      return check_typed<PublicIp>(payload);
    case MessageKind::kRecBuffer:
      return check_typed<RecBuffer>(payload);
    case MessageKind::kSrvidMessage:
      return check_typed<SrvidMessage>(payload);
    case MessageKind::kDisableMessage:
      return check_typed<DisableMessage>(payload);
  }
  return false;
}

Bytes encode_u32_message(uint32_t value) {
  Bytes out;
  Writer(&out).u32(value);
  return out;
}

bool decode_u32_message(const Bytes& payload, uint32_t* value) {
  Reader r(payload);
  return r.u32(value) && r.remaining() == 0;
}

Bytes encode_ipaddr_message(const std::string& ip) {
  Bytes out;
  Writer w(&out);
  encode_cstring(w, ip);
  return out;
}

bool decode_ipaddr_message(const Bytes& payload, std::string* ip) {
  Reader r(payload);
  std::string s;
  // An address message without an address is meaningless.
  if (!decode_cstring(r, &s) || r.remaining() != 0 || s.empty()) return false;
  *ip = s;
  return true;
}

}  // namespace ctdb::proto
