// Notification script calls; see notification.h.
#include "daemon/monitor/notification.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "common/logging.h"
#include "daemon/monitor/script_process.h"

namespace ctdb::daemon::monitor {

Notifier::Notifier(EventLoop& loop, std::string script, std::vector<std::string> env,
                   double timeout)
    : loop_(loop), script_(std::move(script)), env_(std::move(env)), timeout_(timeout) {}

Notifier::~Notifier() {
  if (child_) child_->kill_group(SIGKILL);
}

void Notifier::notify(const std::string& event) {
  if (script_.empty()) return;
  queue_.push_back(event);
  if (running_.empty()) start_next();
}

void Notifier::start_next() {
  while (running_.empty() && !queue_.empty()) {
    std::string event = std::move(queue_.front());
    queue_.pop_front();
    struct stat st;
    if (stat(script_.c_str(), &st) != 0) {
      CTDB_LOGF(kLogError, "Could not stat notification script %s (%s): %s event not sent",
                script_.c_str(), strerror(errno), event.c_str());
      continue;
    }
    if (!S_ISREG(st.st_mode) || !(st.st_mode & S_IXUSR)) {
      CTDB_LOGF(kLogError, "Notification script %s is not an executable file: %s event not sent",
                script_.c_str(), event.c_str());
      continue;
    }
    child_ = ScriptChild::start(loop_, {script_, event}, env_, [this](int st) { finished(st); });
    if (!child_) {
      CTDB_LOGF(kLogError, "Cannot fork notification script %s: %s", script_.c_str(),
                strerror(errno));
      continue;
    }
    running_ = event;
    timer_ = std::make_unique<Timer>(loop_, [this] {
      CTDB_LOGF(kLogError, "Notification script \"%s %s\" still runs after %.0f s: killed",
                script_.c_str(), running_.c_str(), timeout_);
      child_->kill_group(SIGKILL);
    });
    timer_->start(timeout_);
  }
}

void Notifier::finished(int wait_status) {
  log_output(kLogNotice, "notification script", child_->output());
  bool ok = wait_status != -1 && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0;
  if (!ok) {
    std::string how = wait_status == -1 ? "exit status unknown"
                      : WIFSIGNALED(wait_status)
                          ? "signal " + std::to_string(WTERMSIG(wait_status))
                          : "exit status " + std::to_string(WEXITSTATUS(wait_status));
    CTDB_LOGF(kLogError, "Notification script \"%s %s\" failed (%s)", script_.c_str(),
              running_.c_str(), how.c_str());
  }
  child_.reset();
  timer_.reset();
  running_.clear();
  start_next();
}

}  // namespace ctdb::daemon::monitor
