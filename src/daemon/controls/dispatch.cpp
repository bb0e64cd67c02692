// The control dispatcher table and payload helpers (see dispatch.h).
#include "daemon/controls/dispatch.h"

namespace ctdb::daemon {

void ControlTable::add(uint32_t opcode, ControlHandler h) {
  if (opcode < handlers_.size()) handlers_[opcode] = h;
}

proto::Bytes u32_bytes(uint32_t v) {
  proto::Bytes b;
  proto::Writer(&b).u32(v);
  return b;
}

proto::Bytes u64_bytes(uint64_t v) {
  proto::Bytes b;
  proto::Writer(&b).u64(v);
  return b;
}

bool payload_u32(const proto::Bytes& b, uint32_t* v) {
  proto::Reader r(b);
  return b.size() == 4 && r.u32(v);
}

bool payload_u64(const proto::Bytes& b, uint64_t* v) {
  proto::Reader r(b);
  return b.size() == 8 && r.u64(v);
}

}  // namespace ctdb::daemon
