// 4.17's event daemon socket (eventd.socket beside the client socket),
// served by ctdbd itself: the stock `ctdb scriptstatus` and `ctdb event
// status|run` go through Debian's ctdb-event helper, which speaks this
// protocol; here it reads the monitor's last results and runs events on it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "daemon/event_loop.h"
#include "protocol/event_protocol.h"

namespace ctdb::daemon::monitor {

class Monitor;

class EventdServer {
 public:
  // Both must outlive the server.
  EventdServer(EventLoop& loop, Monitor& monitor);
  ~EventdServer();
  EventdServer(const EventdServer&) = delete;
  EventdServer& operator=(const EventdServer&) = delete;

  // Creates the socket (owner-only, as 4.17) and starts accepting.
  bool listen(const std::string& path, std::string* error);
  // Stops accepting and removes the socket file.
  void shutdown();

 private:
  class Connection;
  // What a request is answered with, or (for a run) starts: the reply goes
  // to `reply` when the event is over.
  void handle(const proto::event::Request& req,
              std::function<void(const proto::event::Reply&)> reply);
  void on_accept(int fd);
  void drop(uint64_t id);

  EventLoop& loop_;
  Monitor& monitor_;
  std::unique_ptr<Listener> listener_;
  std::string path_;
  std::map<uint64_t, std::unique_ptr<Connection>> conns_;
  uint64_t next_id_ = 1;
};

}  // namespace ctdb::daemon::monitor
