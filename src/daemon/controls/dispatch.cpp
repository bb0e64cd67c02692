// The control dispatcher table and payload helpers (see dispatch.h).
#include "daemon/controls/dispatch.h"

#include <stdexcept>

#include "common/logging.h"
#include "daemon/clients/client_server.h"
#include "daemon/event_loop.h"

namespace ctdb::daemon {

void ControlTable::add(uint32_t opcode, ControlHandler h, ControlAccess access) {
  const proto::ControlInfo* info = proto::find_control(opcode);
  if (info == nullptr || opcode >= entries_.size()) {
    throw std::logic_error("control opcode " + std::to_string(opcode) + " is not in the table");
  }
  if (!h || entries_[opcode].handler) {
    throw std::logic_error(std::string("control ") + info->name + " registered twice");
  }
  Entry& e = entries_[opcode];
  e.info = info;
  e.handler = std::move(h);
  e.access = access;
}

namespace {
// "client pid 123" or "node 2", for the log lines of refused controls.
std::string sender(const ControlRequest& req) {
  return req.client ? "client pid " + std::to_string(req.client->pid())
                    : "node " + std::to_string(req.srcnode);
}
}  // namespace

ControlReply ControlTable::dispatch(ControlRequest& req, double now) {
  uint32_t opcode = req.c.opcode;
  if (opcode >= entries_.size() || !entries_[opcode].handler) {
    CTDB_LOGF(kLogError, "Unknown control opcode %u from %s", opcode, sender(req).c_str());
    return control_error();
  }
  Entry& e = entries_[opcode];
  const char* refused = nullptr;
  if (e.access == ControlAccess::kNodeOnly && req.client != nullptr) {
    refused = "only nodes send it";
  } else if (!proto::check_payload(e.info->request, req.c.data)) {
    refused = "malformed payload";
  }
  if (refused != nullptr) {
    CTDB_LOGF(kLogError, "Control %s from %s refused: %s (%zu bytes)", e.info->name,
              sender(req).c_str(), refused, req.c.data.size());
    e.counters.calls++;
    e.counters.failures++;
    return control_error();
  }
  req.responder.opcode = opcode;
  req.responder.started = now;
  ControlReply reply = e.handler(req);
  if (!reply.async) count(e, reply.status, monotonic_now() - now);
  return reply;
}

void ControlTable::finished(uint32_t opcode, int32_t status, double seconds) {
  if (opcode < entries_.size() && entries_[opcode].handler) {
    count(entries_[opcode], status, seconds);
  }
}

void ControlTable::count(Entry& e, int32_t status, double seconds) {
  e.counters.calls++;
  // Controls that answer in the status (GET_PNN, PROCESS_EXISTS...) fail
  // only when refused, which dispatch() counts itself.
  if (status != 0 && e.info->result == proto::ResultIn::kData) e.counters.failures++;
  e.counters.latency.add(seconds);
}

proto::ControlStatistics ControlTable::statistics() const {
  proto::ControlStatistics out;
  for (const Entry& e : entries_) {
    if (e.handler && e.counters.calls > 0) {
      out.entries.push_back(e.counters);
      out.entries.back().opcode = e.info->opcode;
    }
  }
  return out;
}

void ControlTable::reset_statistics() {
  for (Entry& e : entries_) e.counters = proto::ControlStatistics::Entry{};
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
