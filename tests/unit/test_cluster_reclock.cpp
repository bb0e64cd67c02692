// Recovery lock (daemon/cluster/reclock) on real files with a real reactor:
// held, contended, handed over on release, lost when the file goes, errors,
// timeout, and freed when the holding process dies.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "daemon/cluster/reclock.h"
#include "daemon/event_loop.h"
#include "test_common_helpers.h"

namespace ctdb::daemon::cluster {
namespace {

using Status = RecoveryLock::Status;

// Runs `loop` until `done()` or the deadline (seconds); true if done.
bool run_until(EventLoop& loop, const std::function<bool()>& done, double deadline) {
  Timer poll(loop, [&] {
    if (done()) loop.stop();
  });
  Timer give_up(loop, [&] { loop.stop(); });
  poll.start(0.01, true);
  give_up.start(deadline);
  if (!done()) loop.run();
  return done();
}

// Takes `lock` and waits for its first answer.
std::optional<Status> take_and_wait(EventLoop& loop, RecoveryLock& lock, const std::string& path,
                                    RecoveryLock::Options opts, std::vector<Status>* events) {
  size_t before = events->size();
  if (!lock.take(path, opts, [events](Status s) { events->push_back(s); })) return std::nullopt;
  if (!run_until(
          loop, [&] { return events->size() > before; }, 20))
    return std::nullopt;
  return (*events)[before];
}

// Retries take() (kContended while an old holder is still exiting) until the
// lock is held or a deadline passes.
bool take_until_held(EventLoop& loop, RecoveryLock& lock, const std::string& path) {
  RecoveryLock::Options opts;
  opts.timeout = 10;
  opts.recheck_interval = 0.1;
  return run_until(
      loop,
      [&] {
        if (lock.held()) return true;
        if (!lock.pending()) lock.take(path, opts, [](Status) {});
        return false;
      },
      15);
}

bool process_gone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

RecoveryLock::Options fast() {
  RecoveryLock::Options o;
  o.timeout = 20;
  o.recheck_interval = 0.1;
  return o;
}

TEST(ClusterRecoveryLock, HeldContendedHandedOverAndLost) {
  unit::TempDir dir;
  std::string path = dir.file("reclock");
  EventLoop loop;
  std::vector<Status> ev1, ev2;
  RecoveryLock first(loop), second(loop);

  EXPECT_EQ(take_and_wait(loop, first, path, fast(), &ev1), Status::kHeld);
  EXPECT_TRUE(first.held());
  EXPECT_GT(first.child_pid(), 0);
  // A second take on a busy object is refused.
  EXPECT_FALSE(first.take(path, fast(), [](Status) {}));

  EXPECT_EQ(take_and_wait(loop, second, path, fast(), &ev2), Status::kContended);
  EXPECT_FALSE(second.held());
  EXPECT_FALSE(second.pending());
  EXPECT_EQ(second.child_pid(), -1);

  pid_t holder = first.child_pid();
  first.release();
  EXPECT_FALSE(first.held());
  // The killed child is reaped by the reactor, not left as a zombie.
  EXPECT_TRUE(run_until(
      loop, [&] { return process_gone(holder); }, 10));

  EXPECT_EQ(take_and_wait(loop, second, path, fast(), &ev2), Status::kHeld);
  EXPECT_EQ(ev1, std::vector<Status>{Status::kHeld});  // no callback after release

  // Removing the lock file: the holder notices and reports the loss once.
  ASSERT_EQ(unlink(path.c_str()), 0);
  EXPECT_TRUE(run_until(
      loop, [&] { return ev2.size() == 3; }, 10));
  EXPECT_EQ(ev2, (std::vector<Status>{Status::kContended, Status::kHeld, Status::kLost}));
  EXPECT_FALSE(second.held());

  // With the file gone anyone can lock (a new file) again.
  EXPECT_EQ(take_and_wait(loop, first, path, fast(), &ev1), Status::kHeld);
}

TEST(ClusterRecoveryLock, ReplacedFileIsLost) {
  unit::TempDir dir;
  std::string path = dir.file("reclock");
  EventLoop loop;
  std::vector<Status> ev;
  RecoveryLock lock(loop);
  ASSERT_EQ(take_and_wait(loop, lock, path, fast(), &ev), Status::kHeld);
  // Same name, new inode.
  std::string other = dir.write("other", "x");
  ASSERT_EQ(rename(other.c_str(), path.c_str()), 0);
  EXPECT_TRUE(run_until(
      loop, [&] { return ev.size() == 2; }, 10));
  EXPECT_EQ(ev, (std::vector<Status>{Status::kHeld, Status::kLost}));
}

TEST(ClusterRecoveryLock, StaysHeldWhileFileIsUnchanged) {
  unit::TempDir dir;
  std::string path = dir.file("reclock");
  EventLoop loop;
  std::vector<Status> ev, ev2;
  RecoveryLock lock(loop), other(loop);
  ASSERT_EQ(take_and_wait(loop, lock, path, fast(), &ev), Status::kHeld);
  // Several recheck intervals pass; the lock is still ours and still contended.
  Timer wait(loop, [&] { loop.stop(); });
  wait.start(0.5);
  loop.run();
  EXPECT_EQ(ev, std::vector<Status>{Status::kHeld});
  EXPECT_TRUE(lock.held());
  EXPECT_EQ(take_and_wait(loop, other, path, fast(), &ev2), Status::kContended);
}

TEST(ClusterRecoveryLock, UnopenableFileIsAnError) {
  unit::TempDir dir;
  EventLoop loop;
  std::vector<Status> ev;
  RecoveryLock lock(loop);
  EXPECT_EQ(take_and_wait(loop, lock, dir.file("no/such/dir/reclock"), fast(), &ev),
            Status::kError);
  EXPECT_EQ(lock.error(), "open: No such file or directory");
  EXPECT_FALSE(lock.held());
  EXPECT_FALSE(lock.pending());
}

TEST(ClusterRecoveryLock, TimeoutIsAnError) {
  unit::TempDir dir;
  EventLoop loop;
  std::vector<Status> ev;
  RecoveryLock lock(loop);
  RecoveryLock::Options o = fast();
  o.timeout = 0.2;
  o.child_start_delay = 30;  // a child stuck on a dead cluster filesystem
  ASSERT_TRUE(lock.take(dir.file("reclock"), o, [&](Status s) { ev.push_back(s); }));
  pid_t child = lock.child_pid();
  EXPECT_TRUE(lock.pending());
  EXPECT_TRUE(run_until(
      loop, [&] { return !ev.empty(); }, 10));
  EXPECT_EQ(ev, std::vector<Status>{Status::kError});
  EXPECT_EQ(lock.error(), "no answer from the lock holder process (slow file system?)");
  EXPECT_FALSE(lock.pending());
  EXPECT_TRUE(run_until(
      loop, [&] { return process_gone(child); }, 10));
}

TEST(ClusterRecoveryLock, CallbackMayDestroyTheLock) {
  unit::TempDir dir;
  EventLoop loop;
  auto lock = std::make_unique<RecoveryLock>(loop);
  std::optional<Status> got;
  ASSERT_TRUE(lock->take(dir.file("reclock"), fast(), [&](Status s) {
    got = s;
    lock.reset();
  }));
  EXPECT_TRUE(run_until(
      loop, [&] { return got.has_value(); }, 10));
  EXPECT_EQ(got, Status::kHeld);
  EXPECT_EQ(lock, nullptr);
  // The destroyed lock's child was killed, so the file becomes free again.
  RecoveryLock again(loop);
  EXPECT_TRUE(take_until_held(loop, again, dir.file("reclock")));
}

TEST(ClusterRecoveryLock, FreedWhenTheHoldingProcessDies) {
  unit::TempDir dir;
  std::string path = dir.file("reclock");
  // Orphans come to us rather than to init, so that the test can see the
  // abandoned lock holder exit (and leaves no zombie behind).
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  pid_t daemon_pid = fork();
  ASSERT_GE(daemon_pid, 0);
  if (daemon_pid == 0) {
    // A "daemon" that takes the lock and then dies without releasing it.
    close(report[0]);
    EventLoop loop;
    RecoveryLock lock(loop);
    char answer = 'x';
    lock.take(path, fast(), [&](Status s) {
      answer = s == Status::kHeld ? 'H' : 'E';
      loop.stop();
    });
    loop.run();
    pid_t holder = lock.child_pid();
    if (write(report[1], &answer, 1) != 1 || write(report[1], &holder, sizeof(holder)) < 0) {
      _exit(2);
    }
    _exit(0);
  }
  close(report[1]);
  char answer = 0;
  pid_t holder = -1;
  ASSERT_EQ(read(report[0], &answer, 1), 1);
  ASSERT_EQ(read(report[0], &holder, sizeof(holder)), static_cast<ssize_t>(sizeof(holder)));
  close(report[0]);
  EXPECT_EQ(answer, 'H');
  EXPECT_GT(holder, 0);
  int status = 0;
  ASSERT_EQ(waitpid(daemon_pid, &status, 0), daemon_pid);  // test process, not the reactor

  // The orphaned holder notices its parent is gone, exits, and the lock is free.
  EventLoop loop;
  bool holder_exited = false;
  run_until(
      loop,
      [&] {
        if (!holder_exited) holder_exited = waitpid(holder, &status, WNOHANG) == holder;
        return holder_exited;
      },
      15);
  EXPECT_TRUE(holder_exited);
  prctl(PR_SET_CHILD_SUBREAPER, 0);
  RecoveryLock lock(loop);
  EXPECT_TRUE(take_until_held(loop, lock, path));
}

// "!COMMAND ARGS": a mutex helper with 4.17's protocol on its standard output.
class MutexHelperTest : public ::testing::Test {
 protected:
  // Writes an executable shell script HELPER and returns "!PATH ARGS".
  std::string helper(const std::string& body, const std::string& args = "") {
    std::string path = dir_.write("helper.sh", "#!/bin/sh\n" + body + "\n");
    chmod(path.c_str(), 0755);
    return "!" + path + (args.empty() ? "" : " " + args);
  }
  unit::TempDir dir_;
  EventLoop loop_;
  std::vector<Status> events_;
};

TEST_F(MutexHelperTest, HeldUntilTheHelperExitsThenLost) {
  RecoveryLock lock(loop_);
  // Arguments are split at blanks; the helper writes them where the test can see them.
  std::string cmd =
      helper("echo \"$1 $2\" > " + dir_.file("args") + "; printf 0; while :; do sleep 0.05; done",
             "first   second");
  EXPECT_EQ(take_and_wait(loop_, lock, cmd, fast(), &events_), Status::kHeld);
  pid_t pid = lock.child_pid();
  ASSERT_GT(pid, 0);
  std::ifstream in(dir_.file("args"));
  std::string args;
  std::getline(in, args);
  EXPECT_EQ(args, "first second");
  kill(pid, SIGKILL);
  ASSERT_TRUE(run_until(
      loop_, [&] { return events_.size() == 2; }, 20));
  EXPECT_EQ(events_[1], Status::kLost);
}

TEST_F(MutexHelperTest, ReleaseAsksTheHelperToLetGoWithSigterm) {
  RecoveryLock lock(loop_);
  std::string cmd = helper("trap 'echo released > " + dir_.file("released") +
                           "; exit 0' TERM; printf 0; while :; do sleep 0.05; done");
  EXPECT_EQ(take_and_wait(loop_, lock, cmd, fast(), &events_), Status::kHeld);
  pid_t pid = lock.child_pid();
  lock.release();
  ASSERT_TRUE(run_until(
      loop_, [&] { return access(dir_.file("released").c_str(), F_OK) == 0; }, 20));
  ASSERT_TRUE(run_until(
      loop_, [&] { return process_gone(pid); }, 20));
  EXPECT_EQ(events_.size(), 1u);  // no callback after release()
}

TEST_F(MutexHelperTest, ContendedTimeoutErrorAndAHelperThatCannotRun) {
  RecoveryLock lock(loop_);
  EXPECT_EQ(take_and_wait(loop_, lock, helper("printf 1"), fast(), &events_), Status::kContended);
  EXPECT_EQ(take_and_wait(loop_, lock, helper("printf 2"), fast(), &events_), Status::kError);
  EXPECT_EQ(lock.error(), "the mutex helper timed out");
  EXPECT_EQ(take_and_wait(loop_, lock, helper("printf 3"), fast(), &events_), Status::kError);
  EXPECT_EQ(lock.error(), "the mutex helper reported an error");
  EXPECT_EQ(take_and_wait(loop_, lock, helper("exit 1"), fast(), &events_), Status::kError);
  EXPECT_EQ(lock.error(), "the mutex helper exited without an answer");
  EXPECT_EQ(take_and_wait(loop_, lock, "!" + dir_.file("no-such-helper") + " x", fast(), &events_),
            Status::kError);
  EXPECT_EQ(lock.error(), "exec: No such file or directory");
}

}  // namespace
}  // namespace ctdb::daemon::cluster
