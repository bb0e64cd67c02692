// Event script runner; see event_runner.h.
#include "daemon/monitor/event_runner.h"

#include <errno.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/logging.h"
#include "daemon/monitor/script_process.h"
#include "protocol/names.h"

namespace ctdb::daemon::monitor {

namespace {

// A hung script is killed at the latest this long after its debug script
// started, even if the debug script hangs as well.
constexpr double kDebugScriptTimeout = 30;

proto::Timeval wall_now() {
  timeval tv;
  gettimeofday(&tv, nullptr);
  return {tv.tv_sec, tv.tv_usec};
}

// The status a finished script leaves: its exit code, or kStatusKilled when a
// signal ended it.
int32_t exit_status(int wait_status) {
  if (wait_status == -1) return EventRunner::kStatusKilled;
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  return EventRunner::kStatusKilled;
}

std::string describe_status(int32_t status) {
  if (status == EventRunner::kStatusTimedOut) return "timed out";
  if (status == EventRunner::kStatusKilled) return "was killed by a signal";
  if (status < 0) return std::string("could not run: ") + strerror(-status);
  return "exited with status " + std::to_string(status);
}

}  // namespace

const char* event_result_name(EventResult r) {
  switch (r) {
    case EventResult::kOk:
      return "OK";
    case EventResult::kFailed:
      return "failed";
    case EventResult::kTimedOut:
      return "timed out";
    case EventResult::kCancelled:
      return "cancelled";
  }
  return "?";
}

EventRunner::EventRunner(EventLoop& loop, Settings settings)
    : loop_(loop), settings_(std::move(settings)), post_timer_(loop, [this] {
        auto posted = std::move(posted_);
        posted_.clear();
        for (auto& p : posted) p.first(p.second);
      }) {}

EventRunner::~EventRunner() {
  if (current_ && current_->child) current_->child->kill_group(SIGKILL);
  for (auto& l : leftovers_) l->child->kill_group(SIGKILL);
}

bool EventRunner::run(uint32_t event, std::vector<std::string> args, double timeout, DoneFn done) {
  int want = proto::event_arg_count(event);
  if (want < 0 || static_cast<size_t>(want) != args.size()) {
    CTDB_LOGF(kLogError, "Bad event script arguments for event %s: %zu given",
              proto::event_name(event) ? proto::event_name(event) : "?", args.size());
    return false;
  }
  if (current_ && current_->req.event != EVENT_MONITOR && event == EVENT_MONITOR) {
    post(std::move(done), EventResult::kCancelled);
    return true;
  }
  queue_.push_back({event, std::move(args), timeout, std::move(done)});
  if (current_ && current_->req.event == EVENT_MONITOR) {
    CTDB_LOGF(kLogNotice, "Monitor event cancelled: %s event asked for", proto::event_name(event));
    abandon_current_script("cancelled");
    finish(EventResult::kCancelled, false);  // starts the queued event
    return true;
  }
  if (!current_) start_next();
  return true;
}

void EventRunner::cancel_all() {
  while (!queue_.empty()) {
    post(std::move(queue_.front().done), EventResult::kCancelled);
    queue_.pop_front();
  }
  if (current_) {
    abandon_current_script("cancelled");
    finish(EventResult::kCancelled, false);
  }
}

const std::optional<proto::ScriptList>& EventRunner::last_run(uint32_t event) const {
  static const std::optional<proto::ScriptList> kNever;
  return event < EVENT_MAX ? last_[event] : kNever;
}

void EventRunner::post(DoneFn done, EventResult result) {
  posted_.emplace_back(std::move(done), result);
  if (!post_timer_.pending()) post_timer_.start(0);
}

void EventRunner::start_next() {
  if (current_ || queue_.empty()) return;
  current_ = std::make_unique<Current>();
  current_->req = std::move(queue_.front());
  queue_.pop_front();
  current_->deadline = monotonic_now() + current_->req.timeout;
  bool missing = false;
  std::string error;
  if (!list_scripts(settings_.dir, &current_->scripts, &missing, &error)) {
    CTDB_LOGF(kLogError, "Cannot run event %s: %s", proto::event_name(current_->req.event),
              error.c_str());
    finish(EventResult::kFailed, false);
    return;
  }
  CTDB_LOGF(kLogInfo, "Running event %s with %zu script(s)", proto::event_name(current_->req.event),
            current_->scripts.size());
  run_script();
}

// Starts the next enabled script of the current event, recording disabled
// ones on the way, or finishes the event when none is left.
void EventRunner::run_script() {
  Current& c = *current_;
  while (c.index < c.scripts.size() && !c.scripts[c.index].enabled) {
    proto::Script s;
    s.name = c.scripts[c.index].name;
    s.start = s.finished = wall_now();
    s.status = kStatusDisabled;
    c.list.scripts.push_back(std::move(s));
    c.index++;
  }
  if (c.index == c.scripts.size()) {
    finish(EventResult::kOk, true);
    return;
  }
  const std::string& name = c.scripts[c.index].name;
  proto::Script s;
  s.name = name;
  s.start = wall_now();
  c.list.scripts.push_back(s);
  std::vector<std::string> argv{settings_.dir + "/" + c.scripts[c.index].file,
                                proto::event_name(c.req.event)};
  argv.insert(argv.end(), c.req.args.begin(), c.req.args.end());
  c.child = ScriptChild::start(loop_, argv, settings_.env, [this](int st) { script_exited(st); });
  if (!c.child) {
    int err = errno;
    CTDB_LOGF(kLogError, "Cannot fork event script %s: %s", name.c_str(), strerror(err));
    c.list.scripts.back().status = -err;
    c.list.scripts.back().finished = wall_now();
    finish(EventResult::kFailed, true);
    return;
  }
  c.timeout = std::make_unique<Timer>(loop_, [this] { script_timed_out(); });
  c.timeout->start(std::max(0.0, c.deadline - monotonic_now()));
}

void EventRunner::script_exited(int wait_status) {
  Current& c = *current_;
  std::unique_ptr<ScriptChild> child = std::move(c.child);
  c.timeout.reset();
  proto::Script& s = c.list.scripts.back();
  s.finished = wall_now();
  s.status = exit_status(wait_status);
  const std::string& output = child->output();
  s.output = output.substr(0, MAX_SCRIPT_OUTPUT);
  const char* event = proto::event_name(c.req.event);
  if (s.status != 0) {
    CTDB_LOGF(kLogError, "%s event failed: %s %s", event, s.name.c_str(),
              describe_status(s.status).c_str());
    log_output(settings_.script_log_level, s.name, output);
    finish(EventResult::kFailed, true);
    return;
  }
  log_output(kLogInfo, s.name, output);
  c.index++;
  run_script();
}

void EventRunner::script_timed_out() {
  Current& c = *current_;
  proto::Script& s = c.list.scripts.back();
  s.finished = wall_now();
  s.status = kStatusTimedOut;
  const std::string& output = c.child->output();
  s.output = output.substr(0, MAX_SCRIPT_OUTPUT);
  const char* event = proto::event_name(c.req.event);
  CTDB_LOGF(kLogError, "%s event timed out after %.0f s in script %s (pid %d)", event,
            c.req.timeout, s.name.c_str(), static_cast<int>(c.child->pid()));
  log_output(settings_.script_log_level, s.name, output);
  pid_t hung = c.child->pid();
  abandon_current_script(settings_.debug_script.empty() ? "timed out" : nullptr);
  if (!settings_.debug_script.empty()) run_debug_script(hung, event);
  finish(EventResult::kTimedOut, true);
}

EventRunner::Leftover* EventRunner::add_leftover(std::unique_ptr<ScriptChild> child,
                                                 std::string label) {
  auto l = std::make_unique<Leftover>();
  Leftover* raw = l.get();
  l->child = std::move(child);
  l->label = std::move(label);
  l->child->set_on_exit([this, raw](int st) { reap_leftover(raw, st); });
  leftovers_.push_back(std::move(l));
  return raw;
}

// Moves the running script into the leftovers. With a reason it is killed
// now; without one the caller kills it later (after the debug script).
void EventRunner::abandon_current_script(const char* why) {
  Current& c = *current_;
  c.timeout.reset();
  if (!c.child) return;
  Leftover* l = add_leftover(std::move(c.child), c.list.scripts.back().name);
  if (why != nullptr) {
    CTDB_LOGF(kLogNotice, "Killing script %s (pid %d): %s", l->label.c_str(),
              static_cast<int>(l->child->pid()), why);
    l->child->kill_group(SIGKILL);
  } else {
    pid_t pid = l->child->pid();
    l->kill_timer = std::make_unique<Timer>(loop_, [pid] { kill(-pid, SIGKILL); });
    l->kill_timer->start(kDebugScriptTimeout);
  }
}

void EventRunner::run_debug_script(pid_t hung, const std::string& event) {
  auto child = ScriptChild::start(loop_, {settings_.debug_script, std::to_string(hung), event},
                                  settings_.env, nullptr);
  if (!child) {
    CTDB_LOGF(kLogError, "Cannot run debug script %s: %s", settings_.debug_script.c_str(),
              strerror(errno));
    kill(-hung, SIGKILL);
    return;
  }
  CTDB_LOGF(kLogNotice, "Running debug script %s %d %s", settings_.debug_script.c_str(),
            static_cast<int>(hung), event.c_str());
  pid_t pid = child->pid();
  Leftover* l = add_leftover(std::move(child), "debug script");
  // The hung script dies when its debug script is done, or gives up.
  l->child->set_on_exit([this, l, hung](int st) {
    kill(-hung, SIGKILL);
    reap_leftover(l, st);
  });
  l->kill_timer = std::make_unique<Timer>(loop_, [pid, hung] {
    kill(-pid, SIGKILL);
    kill(-hung, SIGKILL);
  });
  l->kill_timer->start(kDebugScriptTimeout);
}

void EventRunner::reap_leftover(Leftover* l, int wait_status) {
  const std::string& output = l->child->output();
  if (!output.empty()) log_output(kLogError, l->label, output);
  CTDB_LOGF(kLogInfo, "%s (pid %d) ended: %s", l->label.c_str(), static_cast<int>(l->child->pid()),
            describe_status(exit_status(wait_status)).c_str());
  auto it = std::find_if(leftovers_.begin(), leftovers_.end(),
                         [l](const std::unique_ptr<Leftover>& p) { return p.get() == l; });
  if (it != leftovers_.end()) leftovers_.erase(it);
}

void EventRunner::finish(EventResult result, bool keep_status) {
  std::unique_ptr<Current> c = std::move(current_);
  if (keep_status) last_[c->req.event] = std::move(c->list);
  CTDB_LOGF(result == EventResult::kOk ? kLogInfo : kLogNotice, "Event %s %s",
            proto::event_name(c->req.event), event_result_name(result));
  post(std::move(c->req.done), result);
  start_next();
}

}  // namespace ctdb::daemon::monitor
