// One takeover run on the leader, as 4.17's takeover helper does it: collect every node's public
// addresses, compute the new assignment, RELEASE_IP where an address must leave a node,
// TAKEOVER_IP on its new host, then IPREALLOCATED everywhere. Failures charge ban credits.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "daemon/takeover/ipalloc.h"
#include "protocol/types.h"

namespace ctdb::daemon::takeover {

class TakeoverRun : public std::enable_shared_from_this<TakeoverRun> {
 public:
  struct Settings {
    double timeout = 9;  // TakeoverTimeout: each step's share of 3 x this for the whole run
    IpallocOptions alloc;
    bool failover_disabled = false;  // only IPREALLOCATED is sent
  };
  // Sends one control to `pnn`; `reply` runs exactly once with the status (-1 when the node
  // is gone or did not answer in time) and the reply data.
  using SendControl =
      std::function<void(uint32_t pnn, uint32_t opcode, uint32_t flags, const proto::Bytes& data,
                         double timeout, std::function<void(int32_t, const proto::Bytes&)> reply)>;
  // ok, and on failure the node with the most failures (UNKNOWN_PNN when none is to blame).
  using Done = std::function<void(bool ok, uint32_t culprit)>;

  // Starts a run over `nodemap` (flags as the leader sees them). `done` runs once, from a
  // control's reply (or at once when there is nothing to ask).
  static std::shared_ptr<TakeoverRun> start(proto::NodeMap nodemap, Settings settings,
                                            SendControl send, Done done);

  // The assignment the run computed (empty before that step, or when nothing could host).
  const std::vector<proto::PublicIp>& assignment() const { return all_ips_; }

  TakeoverRun(proto::NodeMap nodemap, Settings settings, SendControl send, Done done);

 private:
  // Sends `opcode` to each (pnn, payload) at once and continues with `next` when every reply is
  // in; a failed reply charges its node and fails the run after all replies.
  struct Request {
    uint32_t pnn;
    proto::Bytes data;
  };
  void fan_out(uint32_t opcode, uint32_t flags, std::vector<Request> requests, double timeout,
               std::function<void(uint32_t pnn, const proto::Bytes& reply)> each,
               void (TakeoverRun::*next)());
  void get_known();
  void get_available();
  void allocate();
  void release();
  void take();
  void ipreallocated();
  void finish();
  void fail();
  double remaining() const;

  proto::NodeMap nodemap_;
  Settings settings_;
  SendControl send_;
  Done done_;
  std::vector<uint32_t> connected_;
  std::vector<uint32_t> active_;
  IpallocNodeViews views_;
  std::vector<proto::PublicIp> all_ips_;
  std::vector<uint32_t> ban_credits_;
  double deadline_ = 0;  // monotonic seconds; the cumulative limit of the last three steps
  bool failed_ = false;
  bool finished_ = false;
};

}  // namespace ctdb::daemon::takeover
