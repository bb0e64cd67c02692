// The notification script (--notification-script, CTDB_NOTIFY_SCRIPT):
// called as `SCRIPT EVENT` on init, setup, startup, healthy and unhealthy.
// Calls run one at a time in the order asked, each bounded by a timeout, so a
// listener hears the events in order; none ever blocks the daemon, and a
// missing or failing script is logged, never fatal.
#pragma once

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "daemon/event_loop.h"
#include "daemon/monitor/script_process.h"

namespace ctdb::daemon::monitor {

class Notifier {
 public:
  // An empty `script` turns notifications off.
  Notifier(EventLoop& loop, std::string script, std::vector<std::string> env, double timeout);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void notify(const std::string& event);

 private:
  void start_next();
  void finished(int wait_status);

  EventLoop& loop_;
  std::string script_;
  std::vector<std::string> env_;
  double timeout_;
  std::deque<std::string> queue_;
  std::string running_;  // the event being notified, empty when idle
  std::unique_ptr<ScriptChild> child_;
  std::unique_ptr<Timer> timer_;
};

}  // namespace ctdb::daemon::monitor
