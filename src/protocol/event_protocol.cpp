// 4.17's event daemon protocol (see event_protocol.h).
#include "protocol/event_protocol.h"

namespace ctdb::proto::event {
namespace {

constexpr size_t kHeaderSize = 12;

Bytes finish(Bytes out) {
  Writer w(&out);
  w.patch_u32(0, static_cast<uint32_t>(out.size()));
  return out;
}

void header(Writer& w, uint32_t reqid) {
  w.u32(0);  // length, patched when the packet is complete
  w.u32(kProtocolVersion);
  w.u32(reqid);
}

// 4.17's tools never fill in the version field (it goes out as whatever the
// header held, 0 in practice) and its daemon never looks at it: neither do we.
bool read_header(Reader& rd, size_t n, uint32_t* reqid) {
  uint32_t length = 0, version = 0;
  if (!rd.u32(&length) || !rd.u32(&version) || !rd.u32(reqid)) return false;
  return length == n;
}

bool read_command(Reader& rd, Command* cmd) {
  uint32_t v = 0;
  if (!rd.u32(&v) || v < 1 || v > 3) return false;
  *cmd = static_cast<Command>(v);
  return true;
}

}  // namespace

Bytes encode(const Request& r) {
  Bytes out;
  Writer w(&out);
  header(w, r.reqid);
  w.u32(static_cast<uint32_t>(r.cmd));
  switch (r.cmd) {
    case Command::kRun:
      w.stringn(r.component);
      w.stringn(r.event);
      w.stringn(r.args);
      w.u32(r.timeout);
      w.u32(r.flags);
      break;
    case Command::kStatus:
      w.stringn(r.component);
      w.stringn(r.event);
      break;
    case Command::kScript:
      w.stringn(r.component);
      w.stringn(r.script);
      w.u32(r.enable ? 1 : 0);
      break;
  }
  return finish(std::move(out));
}

Bytes encode(const Reply& r) {
  Bytes out;
  Writer w(&out);
  header(w, r.reqid);
  w.u32(static_cast<uint32_t>(r.cmd));
  w.i32(r.result);
  if (r.result == 0 && r.cmd == Command::kStatus) {
    w.i32(r.summary);
    w.i32(static_cast<int32_t>(r.scripts.size()));
    for (const Script& s : r.scripts) {
      w.stringn(s.name);
      w.timeval(s.begin.sec, s.begin.usec);
      w.timeval(s.end.sec, s.end.usec);
      w.i32(s.result);
      w.stringn(s.output);
    }
  }
  return finish(std::move(out));
}

bool decode(const uint8_t* p, size_t n, Request* out) {
  Reader rd(p, n);
  Request r;
  if (n < kHeaderSize || !read_header(rd, n, &r.reqid) || !read_command(rd, &r.cmd)) return false;
  switch (r.cmd) {
    case Command::kRun:
      rd.stringn(&r.component);
      rd.stringn(&r.event);
      rd.stringn(&r.args);
      rd.u32(&r.timeout);
      rd.u32(&r.flags);
      break;
    case Command::kStatus:
      rd.stringn(&r.component);
      rd.stringn(&r.event);
      break;
    case Command::kScript: {
      uint32_t action = 0;
      rd.stringn(&r.component);
      rd.stringn(&r.script);
      if (rd.u32(&action) && action > 1) return false;
      r.enable = action == 1;
      break;
    }
  }
  if (!rd.ok() || rd.remaining() != 0) return false;
  *out = std::move(r);
  return true;
}

bool decode(const uint8_t* p, size_t n, Reply* out) {
  Reader rd(p, n);
  Reply r;
  if (n < kHeaderSize || !read_header(rd, n, &r.reqid) || !read_command(rd, &r.cmd) ||
      !rd.i32(&r.result)) {
    return false;
  }
  if (r.result == 0 && r.cmd == Command::kStatus) {
    int32_t count = 0;
    if (!rd.i32(&r.summary) || !rd.i32(&count) || count < 0) return false;
    // Each script takes at least 4 + 16 + 16 + 4 + 4 bytes.
    if (!rd.can_hold(static_cast<uint64_t>(count), 44)) return false;
    r.scripts.resize(static_cast<size_t>(count));
    for (Script& s : r.scripts) {
      rd.stringn(&s.name);
      rd.timeval(&s.begin.sec, &s.begin.usec);
      rd.timeval(&s.end.sec, &s.end.usec);
      rd.i32(&s.result);
      rd.stringn(&s.output);
    }
  }
  if (!rd.ok() || rd.remaining() != 0) return false;
  *out = std::move(r);
  return true;
}

}  // namespace ctdb::proto::event
