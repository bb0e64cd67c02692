// The recovery master logic that 4.17 runs in its recovery daemon, here on
// the daemon's own reactor: electing a leader (through the recovery lock, or
// by election messages without one), the leader broadcast, and, on the
// leader, checking the cluster every RecoverInterval and running recoveries.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "daemon/cluster/election.h"
#include "daemon/cluster/reclock.h"
#include "daemon/cluster_host.h"
#include "daemon/event_loop.h"
#include "daemon/takeover/takeover_run.h"
#include "protocol/types.h"

namespace ctdb::daemon {

namespace takeover {
class PublicIps;
}

namespace cluster {

// What the recovery daemon needs beyond the cluster view every engine room has.
class RecoverdHost : public ClusterHost {
 public:
  virtual uint32_t own_flags() const = 0;
  virtual uint32_t capabilities() const = 0;
  // The recovery lock file (--reclock), empty without one.
  virtual const std::string& reclock_path() const = 0;
  // Seconds between the lock holder's checks of the lock file; 0: never.
  virtual double reclock_recheck_interval() const = 0;
  // Seconds without a leader broadcast before an election ([cluster] leader timeout).
  virtual double leader_timeout() const = 0;
  // Another node's flags as that node (their authority) or the leader's check
  // tells them; this node keeps its own view of whether the link is up.
  virtual void learn_node_flags(uint32_t pnn, uint32_t flags) = 0;
  virtual takeover::PublicIps& public_ips() = 0;
};

class Recoverd {
 public:
  explicit Recoverd(RecoverdHost& d);
  ~Recoverd();
  Recoverd(const Recoverd&) = delete;
  Recoverd& operator=(const Recoverd&) = delete;

  // Registers the message handlers and starts the timers.
  void start();
  uint32_t leader() const { return leader_; }
  bool is_leader() const;
  // Asks the leader (us, if we are) to run a recovery soon (`ctdb recover`,
  // a node joining or leaving).
  void request_recovery(const char* why);
  // A link to a node came up or went down.
  void node_changed(uint32_t pnn);
  // Before this node becomes unable to lead (stopped, banned, leader role
  // taken away): if it leads, it steps down, the other nodes elect, and
  // `then` runs once another node has announced itself leader (or after a
  // leader timeout, when none does). Returns false, without calling `then`,
  // when this node does not lead: the change may happen at once.
  bool hand_over(std::function<void()> then);
  bool recovery_running() const { return running_ != nullptr; }
  // Recoveries are off for a while after each successful one (RerecoveryTimeout) and while
  // `ctdb reloadnodes` asks (SRVID_DISABLE_RECOVERIES); a needed recovery waits for the end.
  bool recoveries_disabled() const { return recovery_disable_timer_.pending(); }
  // Takeover runs are off while the leader runs one elsewhere (SRVID_DISABLE_TAKEOVER_RUNS):
  // this node then does not ask for one either.
  bool takeover_runs_disabled() const { return takeover_disable_timer_.pending(); }
  bool takeover_running() const { return takeover_ != nullptr; }

 private:
  // Wraps a callback of a control fan-out or takeover run that may end after this object is
  // gone (the daemon drops it when it shuts down): the callback then does nothing.
  template <typename F>
  auto guarded(F f) {
    std::weak_ptr<char> alive = alive_;
    return [alive, f = std::move(f)](auto&&... args) {
      if (!alive.expired()) f(std::forward<decltype(args)>(args)...);
    };
  }

  struct Run;
  friend struct Run;
  struct DbRecovery;
  friend struct DbRecovery;

  void main_loop();
  void broadcast_leader();
  void on_leader_message(const proto::Bytes& data);
  void on_election_message(const proto::Bytes& data);
  void restart_leader_timeout();
  void force_election(const char* why);
  void send_election_request();
  void election_timeout();
  void lock_election();
  void become_leader();
  void give_up_leadership(const char* why);
  bool can_be_leader() const;
  proto::ElectionMessage election_data() const;
  void check_flags();
  void sync_flags(const std::map<uint32_t, proto::NodeMap>& maps);
  void check_cluster();
  void check_recmodes();
  void check_vnnmaps(const std::vector<uint32_t>& active);
  void start_recovery();
  void recovery_done(bool ok, const std::string& why, uint32_t culprit);
  void add_ban_credit(uint32_t pnn);
  // 0 on success, -EAGAIN while a recovery runs (4.17's answer to a disable request).
  int disable_recoveries(uint32_t seconds, const char* why);
  void on_disable_recoveries(const proto::Bytes& data);
  void on_takeover_run_request(const proto::Bytes& data);
  void on_rebalance_node(const proto::Bytes& data);
  void on_disable_takeover_runs(const proto::Bytes& data);
  void on_disable_ip_check(const proto::Bytes& data);
  // Every node, every main loop: asks the leader for a takeover run when this node's public
  // addresses are not as planned.
  void verify_local_ips();
  // On the leader, at the end of a clean cluster check: a takeover run if one was asked for
  // or the last one failed.
  void takeover_checks();
  // Runs a takeover now (4.17's do_takeover_run) and answers the requests pending at its start.
  void do_takeover_run();
  void takeover_done(bool ok, uint32_t culprit, std::vector<proto::SrvidMessage> waiting);
  void send_disable_takeover_runs(uint32_t seconds);

  RecoverdHost& d_;
  // The one record of who leads (GET_RECMASTER answers it); during an
  // election without a recovery lock, candidate_ is who is winning so far.
  uint32_t leader_;
  uint32_t candidate_;
  bool election_in_progress_ = false;
  bool need_recovery_ = false;
  bool checking_ = false;
  proto::Timeval priority_time_;
  // Changes waiting for another node to take over (hand_over); while there
  // are any, this node cannot be leader.
  std::vector<std::function<void()>> after_handover_;
  void finish_handover();
  ElectionSelf election_self() const;
  void reset_priority_time();
  Timer main_timer_;
  Timer broadcast_timer_;
  Timer leader_timeout_;
  Timer election_timer_;
  Timer election_send_timer_;
  std::unique_ptr<RecoveryLock> reclock_;
  std::shared_ptr<Run> running_;
  // The nodes of the last recovery this node ran as leader (empty: none since it leads), and
  // those of `nodes` that were not in it (the recovery merge's newcomers).
  std::vector<uint32_t> last_recovered_nodes_;
  std::set<uint32_t> newcomers(const std::vector<uint32_t>& nodes) const;
  Timer recovery_disable_timer_;
  bool told_disabled_ = false;         // "Unable to begin" logged for this disabled period
  double last_recovery_start_ = -1e9;  // monotonic seconds
  struct BanCredits {
    uint32_t count = 0;
    double last = 0;  // monotonic seconds of the last credit
  };
  std::map<uint32_t, BanCredits> ban_credits_;
  std::vector<proto::SrvidMessage> pending_takeover_replies_;
  std::shared_ptr<takeover::TakeoverRun> takeover_;
  bool need_takeover_run_ = false;
  std::vector<uint32_t> force_rebalance_nodes_;
  Timer takeover_disable_timer_;
  Timer lock_retry_timer_;
  Timer handover_timer_;  // hand_over's limit  // asks for a contended recovery lock again (see
                          // lock_election)
  int lock_retries_ = 0;
  // How many times a contended lock is asked for again: for at most a leader timeout.
  int lock_retries() const;
  int unheard_lock_holder_ = 0;  // contended lock takes with no leader heard
  std::shared_ptr<char> alive_ = std::make_shared<char>();  // see guarded()
};

}  // namespace cluster
}  // namespace ctdb::daemon
