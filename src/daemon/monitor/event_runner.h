// Runs event scripts: one event at a time, its scripts one after another in
// name order, each a forked process group whose output is captured, the
// whole event bounded by a timeout. Never blocks the reactor. Keeps the
// result of the last completed run of every event for `ctdb scriptstatus`.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ctdb/protocol.h"
#include "daemon/event_loop.h"
#include "daemon/monitor/script_dir.h"
#include "daemon/monitor/script_process.h"
#include "protocol/types.h"

namespace ctdb::daemon::monitor {

// What a run reports (4.17's event results): kOk, or why not.
enum class EventResult {
  kOk,
  kFailed,     // a script exited non-zero, was killed, or could not run
  kTimedOut,   // the event ran past its timeout
  kCancelled,  // a monitor run that gave way, or everything at shutdown
};
const char* event_result_name(EventResult r);

class EventRunner {
 public:
  struct Settings {
    std::string dir;               // --event-script-dir
    std::vector<std::string> env;  // NAME=value pairs added to the inherited environment
    // Run as `debug_script PID EVENT` when a script times out, before its
    // process group is killed; empty for none.
    std::string debug_script;
    // The level a failed or timed-out script's output is logged at (4.17's script log level).
    int script_log_level = 0;
  };
  using DoneFn = std::function<void(EventResult)>;

  EventRunner(EventLoop& loop, Settings settings);
  // Kills whatever still runs (script groups, debug scripts).
  ~EventRunner();
  EventRunner(const EventRunner&) = delete;
  EventRunner& operator=(const EventRunner&) = delete;

  // Queues `event`. A running monitor event gives way to any other event; a
  // monitor event asked for while another event runs is cancelled at once.
  // `done` is always called later from the loop, never from inside run().
  // False (and `done` never called) when the arguments do not fit the event.
  bool run(uint32_t event, std::vector<std::string> args, double timeout, DoneFn done);

  // Cancels the running event and everything queued (shutdown).
  void cancel_all();

  // The scripts of the last completed run of `event`; nullopt if it never
  // completed. A failed or timed-out run lists the scripts up to the one that
  // failed, as 4.17 does.
  const std::optional<proto::ScriptList>& last_run(uint32_t event) const;

  bool idle() const { return !current_ && queue_.empty(); }
  const std::string& dir() const { return settings_.dir; }

  // Script statuses beyond an exit code, as the tools show them.
  static constexpr int32_t kStatusTimedOut = -ETIME;
  static constexpr int32_t kStatusDisabled = -ENOEXEC;
  static constexpr int32_t kStatusKilled = -EINTR;

 private:
  struct Request {
    uint32_t event;
    std::vector<std::string> args;
    double timeout;
    DoneFn done;
  };
  struct Current {
    Request req;
    std::vector<ScriptFile> scripts;
    size_t index = 0;
    proto::ScriptList list;
    double deadline = 0;  // monotonic seconds
    std::unique_ptr<ScriptChild> child;
    std::unique_ptr<Timer> timeout;
  };
  // A script left behind: a timed-out or cancelled one being killed, or a
  // debug script. Dropped once reaped.
  struct Leftover {
    std::unique_ptr<ScriptChild> child;
    std::string label;  // for the log
    std::unique_ptr<Timer> kill_timer;
  };

  void start_next();
  void run_script();
  void script_exited(int wait_status);
  void script_timed_out();
  void finish(EventResult result, bool keep_status);
  void post(DoneFn done, EventResult result);
  void run_debug_script(pid_t hung, const std::string& event);
  void abandon_current_script(const char* why);
  Leftover* add_leftover(std::unique_ptr<ScriptChild> child, std::string label);
  void reap_leftover(Leftover* l, int wait_status);

  EventLoop& loop_;
  Settings settings_;
  std::deque<Request> queue_;
  std::unique_ptr<Current> current_;
  std::array<std::optional<proto::ScriptList>, EVENT_MAX> last_{};
  std::vector<std::unique_ptr<Leftover>> leftovers_;
  std::vector<std::pair<DoneFn, EventResult>> posted_;
  Timer post_timer_;
};

}  // namespace ctdb::daemon::monitor
