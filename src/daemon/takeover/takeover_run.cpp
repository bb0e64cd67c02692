// The leader's takeover run (see takeover_run.h).
#include "daemon/takeover/takeover_run.h"

#include <algorithm>

#include "common/logging.h"
#include "daemon/event_loop.h"

namespace ctdb::daemon::takeover {
namespace {

bool knows(const proto::PublicIpList& list, const proto::SockAddr& addr) {
  return std::any_of(list.ips.begin(), list.ips.end(),
                     [&](const proto::PublicIp& ip) { return ip.addr.same_ip(addr); });
}

}  // namespace

std::shared_ptr<TakeoverRun> TakeoverRun::start(proto::NodeMap nodemap, Settings settings,
                                                SendControl send, Done done) {
  auto run = std::make_shared<TakeoverRun>(std::move(nodemap), std::move(settings), std::move(send),
                                           std::move(done));
  run->get_known();
  return run;
}

TakeoverRun::TakeoverRun(proto::NodeMap nodemap, Settings settings, SendControl send, Done done)
    : nodemap_(std::move(nodemap)),
      settings_(std::move(settings)),
      send_(std::move(send)),
      done_(std::move(done)) {
  size_t n = nodemap_.nodes.size();
  ban_credits_.assign(n, 0);
  views_.known.resize(n);
  views_.available.resize(n);
  for (const proto::NodeAndFlags& node : nodemap_.nodes) {
    if (node.pnn >= n) continue;
    if (node_reports_known_ips(node.flags)) connected_.push_back(node.pnn);
    if (node_reports_available_ips(node.flags)) active_.push_back(node.pnn);
  }
  // When nothing can be hosted the run goes straight to IPREALLOCATED, within 3 x
  // TakeoverTimeout as in 4.17.
  deadline_ = monotonic_now() + 3 * settings_.timeout;
}

double TakeoverRun::remaining() const { return std::max(0.001, deadline_ - monotonic_now()); }

void TakeoverRun::fan_out(uint32_t opcode, uint32_t flags, std::vector<Request> requests,
                          double timeout,
                          std::function<void(uint32_t pnn, const proto::Bytes& reply)> each,
                          void (TakeoverRun::*next)()) {
  if (requests.empty()) {
    (this->*next)();
    return;
  }
  auto left = std::make_shared<size_t>(requests.size());
  auto self = shared_from_this();
  for (const Request& r : requests) {
    uint32_t pnn = r.pnn;
    send_(pnn, opcode, flags, r.data, timeout,
          [self, left, pnn, opcode, each, next](int32_t status, const proto::Bytes& reply) {
            if (self->finished_) return;
            if (status != 0) {
              CTDB_LOGF(kLogError, "Takeover run: control %u failed on node %u, ret=%d", opcode,
                        pnn, status);
              if (pnn < self->ban_credits_.size()) self->ban_credits_[pnn]++;
              self->failed_ = true;
            } else if (each) {
              each(pnn, reply);
            }
            if (--*left > 0) return;
            if (self->failed_) {
              self->fail();
              return;
            }
            ((*self).*next)();
          });
  }
}

void TakeoverRun::get_known() {
  if (settings_.failover_disabled) {
    ipreallocated();
    return;
  }
  std::vector<Request> reqs;
  for (uint32_t pnn : connected_) reqs.push_back({pnn, {}});
  fan_out(
      CONTROL_GET_PUBLIC_IPS, 0, std::move(reqs), settings_.timeout,
      [this](uint32_t pnn, const proto::Bytes& reply) {
        if (!proto::from_bytes(reply, &views_.known[pnn])) {
          CTDB_LOGF(kLogError, "Takeover run: bad public IP list from node %u", pnn);
          ban_credits_[pnn]++;
          failed_ = true;
        }
      },
      &TakeoverRun::get_available);
}

void TakeoverRun::get_available() {
  std::vector<Request> reqs;
  for (uint32_t pnn : active_) {
    if (!views_.known[pnn].ips.empty()) reqs.push_back({pnn, {}});
  }
  fan_out(
      CONTROL_GET_PUBLIC_IPS, PUBLIC_IP_FLAGS_ONLY_AVAILABLE, std::move(reqs), settings_.timeout,
      [this](uint32_t pnn, const proto::Bytes& reply) {
        if (!proto::from_bytes(reply, &views_.available[pnn])) {
          CTDB_LOGF(kLogError, "Takeover run: bad available IP list from node %u", pnn);
          ban_credits_[pnn]++;
          failed_ = true;
        }
      },
      &TakeoverRun::allocate);
}

void TakeoverRun::allocate() {
  if (!ipalloc_can_host_ips(views_)) {
    CTDB_LOGF(kLogNotice, "No nodes available to host public IPs yet");
    ipreallocated();
    return;
  }
  IpallocLogger logger;
  logger.level = kLogInfo;
  logger.sink = [](int level, const std::string& msg) {
    CTDB_LOGF(static_cast<LogLevel>(level), "%s", msg.c_str());
  };
  all_ips_ = ipalloc(static_cast<uint32_t>(nodemap_.nodes.size()), views_, settings_.alloc, logger);
  // RELEASE_IP, TAKEOVER_IP and IPREALLOCATED share 3 x TakeoverTimeout: releasing can take
  // longer than the others while connections are killed.
  deadline_ = monotonic_now() + 3 * settings_.timeout;
  release();
}

// Every node that knows an address but should not host it hears RELEASE_IP: the former host
// releases it, the others learn where it went (that is how `ctdb ip` knows on every node).
void TakeoverRun::release() {
  std::vector<Request> reqs;
  for (const proto::PublicIp& ip : all_ips_) {
    for (uint32_t pnn : connected_) {
      if (pnn == ip.pnn || !knows(views_.known[pnn], ip.addr)) continue;
      reqs.push_back({pnn, proto::to_bytes(ip)});
    }
  }
  fan_out(CONTROL_RELEASE_IP, 0, std::move(reqs), remaining(), nullptr, &TakeoverRun::take);
}

// Every assigned address goes to its host, even where nothing changed: that repairs a node
// that lost one.
void TakeoverRun::take() {
  std::vector<Request> reqs;
  for (const proto::PublicIp& ip : all_ips_) {
    if (ip.pnn != UNKNOWN_PNN) reqs.push_back({ip.pnn, proto::to_bytes(ip)});
  }
  fan_out(CONTROL_TAKEOVER_IP, 0, std::move(reqs), remaining(), nullptr,
          &TakeoverRun::ipreallocated);
}

void TakeoverRun::ipreallocated() {
  std::vector<Request> reqs;
  for (uint32_t pnn : connected_) reqs.push_back({pnn, {}});
  fan_out(CONTROL_IPREALLOCATED, 0, std::move(reqs), remaining(), nullptr, &TakeoverRun::finish);
}

void TakeoverRun::finish() {
  if (finished_) return;
  finished_ = true;
  done_(true, UNKNOWN_PNN);
}

void TakeoverRun::fail() {
  if (finished_) return;
  finished_ = true;
  uint32_t culprit = UNKNOWN_PNN;
  uint32_t most = 0;
  for (uint32_t pnn = 0; pnn < ban_credits_.size(); pnn++) {
    if (ban_credits_[pnn] > most) {
      most = ban_credits_[pnn];
      culprit = pnn;
    }
  }
  done_(false, culprit);
}

}  // namespace ctdb::daemon::takeover
