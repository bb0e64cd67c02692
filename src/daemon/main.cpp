// ctdbd entry point: parse options, set up logging, daemonize unless -i,
// then run the daemon until shutdown.
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/logging.h"
#include "common/version.h"
#include "daemon/daemon.h"
#include "daemon/options.h"

namespace {

// Classic double fork: the daemon is not a session leader and cannot regain a
// terminal. The parent exits only after the child reports that init
// succeeded, so an init script sees startup errors in the exit code.
int daemonize_and_wait(int* report_fd) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return -1;
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid > 0) {
    close(pipefd[1]);
    // The child writes "" on success or the one-line error, then closes.
    std::string msg;
    char buf[512];
    ssize_t n;
    bool got_any = false;
    while ((n = read(pipefd[0], buf, sizeof(buf))) > 0) {
      msg.append(buf, static_cast<size_t>(n));
      got_any = true;
    }
    if (got_any && msg == "ok") _exit(0);
    fprintf(stderr, "%s\n", msg.empty() ? "ctdbd: failed to start" : msg.c_str());
    _exit(1);
  }
  close(pipefd[0]);
  setsid();
  pid = fork();
  if (pid < 0) _exit(1);
  if (pid > 0) _exit(0);
  if (chdir("/") != 0) {
    // Not fatal: we only hold absolute paths.
  }
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) {
    dup2(devnull, STDIN_FILENO);
    dup2(devnull, STDOUT_FILENO);
    dup2(devnull, STDERR_FILENO);
    if (devnull > STDERR_FILENO) close(devnull);
  }
  *report_fd = pipefd[1];
  return 0;
}

// Tells the waiting parent how startup went: "ok" or the error line.
void report(int fd, const std::string& msg) {
  if (fd < 0) return;
  if (write(fd, msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) {
    // The parent is gone; nothing to tell.
  }
  close(fd);
}

bool write_pidfile(const std::string& path, std::string* error) {
  if (path.empty()) return true;
  FILE* f = fopen(path.c_str(), "w");
  if (f == nullptr) {
    *error = "cannot write pid file " + path + ": " + strerror(errno);
    return false;
  }
  fprintf(f, "%d\n", static_cast<int>(getpid()));
  fclose(f);
  return true;
}

// 4.17 runs ctdbd with real-time priority so that it answers keepalives
// under load; failure (no privilege) is only worth a note.
void set_realtime_scheduling() {
  sched_param p{};
  p.sched_priority = 1;
  if (sched_setscheduler(0, SCHED_FIFO, &p) != 0) {
    CTDB_LOGF(ctdb::kLogNotice, "Could not set real-time scheduling: %s", strerror(errno));
  }
}

}  // namespace

int main(int argc, const char** argv) {
  using namespace ctdb;
  daemon::DaemonOptions opts;
  std::string error;
  switch (daemon::parse_options(argc, argv, &opts, &error)) {
    case daemon::ParseResult::kExitOk:
      return 0;
    case daemon::ParseResult::kError:
      fprintf(stderr, "%s\n", error.c_str());
      return 1;
    case daemon::ParseResult::kRun:
      break;
  }

  // Logging: syslog, a file, or stderr ("-": -i without --logfile, or ctdb.conf's "file:").
  if (opts.syslog) {
    logging::to_syslog();
  } else if (opts.logfile == "-") {
    logging::to_stderr();
  } else {
    // 4.17's default file is in /var/log/ctdb, which only its package creates.
    std::string dir = opts.logfile.substr(0, opts.logfile.rfind('/'));
    if (!dir.empty()) mkdir(dir.c_str(), 0755);
    if (!logging::to_file(opts.logfile, &error)) {
      fprintf(stderr, "ctdbd: %s\n", error.c_str());
      return 1;
    }
  }
  // 4.17 hands [database] lock debug script to its lock helpers this way.
  if (!opts.lock_debug_script.empty())
    setenv("CTDB_DEBUG_LOCKS", opts.lock_debug_script.c_str(), 1);
  for (const std::string& w : opts.config_warnings) CTDB_LOGF(kLogWarning, "%s", w.c_str());

  int report_fd = -1;
  if (!opts.interactive && daemonize_and_wait(&report_fd) != 0) {
    fprintf(stderr, "ctdbd: cannot daemonize: %s\n", strerror(errno));
    return 1;
  }

  daemon::Daemon d(opts);
  if (!d.init(&error) || !write_pidfile(opts.pidfile, &error)) {
    CTDB_LOGF(kLogError, "ctdbd: %s", error.c_str());
    if (report_fd < 0) fprintf(stderr, "ctdbd: %s\n", error.c_str());
    report(report_fd, "ctdbd: " + error);
    return 1;
  }
  if (!opts.nosetsched) set_realtime_scheduling();
  CTDB_LOGF(kLogNotice, "CTDB starting on node %u (version %s)", d.pnn(), version_string());
  // The waiting parent (or the terminal with -i) hears how startup went once
  // the init event has run and the node transport is up.
  d.start([report_fd, interactive = opts.interactive](const std::string& err) {
    if (err.empty()) {
      report(report_fd, "ok");
      return;
    }
    CTDB_LOGF(kLogError, "ctdbd: %s", err.c_str());
    if (report_fd < 0 && interactive) fprintf(stderr, "ctdbd: %s\n", err.c_str());
    report(report_fd, "ctdbd: " + err);
  });
  int rc = d.run();
  if (!opts.pidfile.empty()) unlink(opts.pidfile.c_str());
  return rc;
}
