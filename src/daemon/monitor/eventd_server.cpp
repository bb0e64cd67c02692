// 4.17's event daemon protocol on eventd.socket (see eventd_server.h).
#include "daemon/monitor/eventd_server.h"

#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "common/logging.h"
#include "daemon/monitor/monitor.h"
#include "daemon/monitor/script_dir.h"
#include "daemon/unix_socket.h"
#include "protocol/names.h"

namespace ctdb::daemon::monitor {
namespace {

namespace ev = proto::event;

// 4.17's event daemon has one component our daemon runs: the legacy scripts.
constexpr const char* kComponent = "legacy";
// A request is a few strings; anything near this is not the ctdb-event helper.
constexpr size_t kMaxRequest = 64 * 1024;

// A script as 4.17's event daemon reports it (its timeout code is ETIMEDOUT).
ev::Script to_event_script(const proto::Script& s) {
  ev::Script out;
  out.name = s.name;
  out.begin = s.start;
  out.end = s.finished;
  out.result = s.status == EventRunner::kStatusTimedOut ? -ETIMEDOUT : s.status;
  out.output = s.output;
  return out;
}

int32_t run_result(EventResult r) {
  switch (r) {
    case EventResult::kOk:
      return 0;
    case EventResult::kFailed:
      return ENOEXEC;
    case EventResult::kTimedOut:
      return ETIMEDOUT;
    case EventResult::kCancelled:
      return ECANCELED;
  }
  return EIO;
}

}  // namespace

class EventdServer::Connection final : private PacketStream::Handler {
 public:
  Connection(EventdServer& server, uint64_t id, int fd) : server_(server), id_(id) {
    PacketStream::Limits limits;
    limits.max_packet = kMaxRequest;
    limits.max_backlog = 4 * 1024 * 1024;
    stream_ = PacketStream::open(server.loop_, fd, *this, limits);
  }
  void send(const proto::Bytes& b) { stream_->send(b.data(), b.size()); }

 private:
  bool on_packet(const uint8_t* pkt, size_t len) override {
    ev::Request req;
    if (!ev::decode(pkt, len, &req)) {
      CTDB_LOGF(kLogError, "eventd socket: malformed request (%zu bytes): closing", len);
      server_.drop(id_);
      return false;
    }
    EventdServer& server = server_;
    uint64_t id = id_;
    server.handle(req, [&server, id](const ev::Reply& reply) {
      auto it = server.conns_.find(id);
      if (it != server.conns_.end()) it->second->send(ev::encode(reply));
    });
    return true;
  }
  void on_stream_error(const char* why, bool misbehaved) override {
    if (misbehaved) CTDB_LOGF(kLogError, "eventd socket: client %s: closing", why);
    server_.drop(id_);
  }

  EventdServer& server_;
  uint64_t id_;
  PacketStream::Ptr stream_;
};

EventdServer::EventdServer(EventLoop& loop, Monitor& monitor) : loop_(loop), monitor_(monitor) {}

EventdServer::~EventdServer() { shutdown(); }

bool EventdServer::listen(const std::string& path, std::string* error) {
  int fd = bind_unix_socket(path, "event daemon", error);
  if (fd < 0) return false;
  auto listener = std::make_unique<Listener>(
      loop_, "eventd socket", [this](int cfd, const sockaddr*, int) { on_accept(cfd); });
  if (!listener->listen(fd, 16, error)) {
    unlink(path.c_str());
    return false;
  }
  listener_ = std::move(listener);
  path_ = path;
  return true;
}

void EventdServer::shutdown() {
  if (listener_ != nullptr) {
    listener_.reset();
    unlink(path_.c_str());
  }
  conns_.clear();
}

void EventdServer::on_accept(int fd) {
  uint64_t id = next_id_++;
  conns_.emplace(id, std::make_unique<Connection>(*this, id, fd));
}

void EventdServer::drop(uint64_t id) { conns_.erase(id); }

void EventdServer::handle(const ev::Request& req, std::function<void(const ev::Reply&)> reply) {
  ev::Reply r;
  r.reqid = req.reqid;
  r.cmd = req.cmd;
  const std::string& dir = monitor_.runner().dir();
  if (req.component != kComponent || access(dir.c_str(), F_OK) != 0) {
    r.result = ENOENT;  // "Event dir for COMPONENT does not exist"
    reply(r);
    return;
  }
  uint32_t event = 0;
  switch (req.cmd) {
    case ev::Command::kStatus: {
      const std::optional<proto::ScriptList>* last = nullptr;
      if (proto::event_from_name(req.event, &event)) last = &monitor_.runner().last_run(event);
      if (last == nullptr || !last->has_value()) {
        r.result = EINVAL;  // "Event EVENT has never run in COMPONENT"
        reply(r);
        return;
      }
      for (const proto::Script& s : (*last)->scripts) {
        r.scripts.push_back(to_event_script(s));
        const int32_t res = r.scripts.back().result;
        if (r.summary == 0 && res != 0 && res != EventRunner::kStatusDisabled) r.summary = res;
      }
      reply(r);
      return;
    }
    case ev::Command::kRun: {
      std::istringstream in(req.args);
      std::vector<std::string> args;
      std::string word, error;
      while (in >> word) args.push_back(word);
      if (!proto::event_from_name(req.event, &event)) {
        r.result = EINVAL;
        reply(r);
        return;
      }
      CTDB_LOGF(kLogNotice, "Running event %s from the event daemon socket", req.event.c_str());
      bool started = monitor_.run_event(
          event, std::move(args),
          [r, reply](EventResult result) mutable {
            r.result = run_result(result);
            reply(r);
          },
          &error, req.timeout);
      if (!started) {
        CTDB_LOGF(kLogError, "Cannot run event %s: %s", req.event.c_str(), error.c_str());
        r.result = EBUSY;
        reply(r);
      }
      return;
    }
    case ev::Command::kScript: {
      std::string error;
      if (!is_script_name(req.script)) {
        r.result = EINVAL;
      } else if (!set_script_enabled(dir, req.script, req.enable, &error)) {
        r.result = ENOENT;
      }
      reply(r);
      return;
    }
  }
}

}  // namespace ctdb::daemon::monitor
