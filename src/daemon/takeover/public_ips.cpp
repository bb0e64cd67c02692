// This node's public addresses and the takeover controls on them (see public_ips.h).
#include "daemon/takeover/public_ips.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/logging.h"
#include "common/public_addresses_file.h"

namespace ctdb::daemon::takeover {
namespace {

// Gratuitous ARPs (and tickles) go out three times, 1.1 s apart after a takeover and 1 s apart
// for SEND_GRATUITOUS_ARP, as 4.17 sends them.
constexpr int kArpRepeat = 3;
constexpr double kTakeoverArpInterval = 1.1;
constexpr double kArpInterval = 1.0;

// 4.17 compares public addresses with IPv4-mapped IPv6 forms folded to IPv4.
proto::SockAddr canonical(const proto::SockAddr& a) {
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (a.is_ipv6() && std::equal(kMapped, kMapped + 12, a.addr.begin())) {
    proto::SockAddr v4;
    v4.family = AF_INET;
    v4.port = a.port;
    std::copy(a.addr.begin() + 12, a.addr.begin() + 16, v4.addr.begin());
    return v4;
  }
  return a;
}

bool same_ip(const proto::SockAddr& a, const proto::SockAddr& b) {
  return canonical(a).same_ip(canonical(b));
}

bool same_connection(const proto::Connection& a, const proto::Connection& b) {
  return canonical(a.src) == canonical(b.src) && canonical(a.dst) == canonical(b.dst);
}

// The text clients get in SRVID_TAKE_IP / SRVID_RELEASE_IP: the address and its NUL.
proto::Bytes address_text(const proto::SockAddr& addr) {
  std::string s = addr.to_string();
  proto::Bytes b(s.begin(), s.end());
  b.push_back(0);
  return b;
}

std::string iface_or_none(const std::string& iface) { return iface.empty() ? "__none__" : iface; }

std::vector<std::string> split_ifaces(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    if (comma > start) out.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

}  // namespace

// One round of announcements after a takeover (or SEND_GRATUITOUS_ARP): ARPs and the tickle
// ACKs for the connections the address had.
struct PublicIps::Announce {
  proto::SockAddr addr;
  std::string iface;                       // SEND_GRATUITOUS_ARP's interface; else the vnn's
  uint64_t id = 0;                         // 0: not tied to a vnn (SEND_GRATUITOUS_ARP)
  std::vector<proto::Connection> tickles;  // taken from the vnn when it was taken over
  int count = 0;
  std::unique_ptr<Timer> timer;
};

PublicIps::PublicIps(EventLoop& loop, PublicIpsHost& host, SystemNet& net, Settings settings)
    : loop_(loop),
      host_(host),
      net_(net),
      settings_(std::move(settings)),
      tickle_timer_(loop, [this] {
        send_tickles(false);
        tickle_timer_.start(std::max<uint32_t>(host_.tickle_update_interval(), 1));
      }) {}

bool PublicIps::load(std::string* error) {
  if (const std::string& lvs = settings_.single_ip_iface; !lvs.empty()) {
    if (lvs.size() > IFACE_SIZE || !net_.iface_exists(lvs)) {
      *error = "unknown interface " + lvs + " for the single public address (--public-interface)";
      return false;
    }
    ifaces_.push_back(Interface{lvs, true, 0});
  }
  if (settings_.file.empty()) return true;
  if (access(settings_.file.c_str(), F_OK) != 0) {
    CTDB_LOGF(kLogWarning, "Not loading public addresses, no file %s", settings_.file.c_str());
    return true;
  }
  auto lines = read_public_addresses_file(settings_.file, settings_.default_iface, error);
  if (!lines) return false;
  for (const PublicAddress& line : *lines) {
    std::string why;
    if (!add(line.addr, line.mask, line.ifaces, &why)) {
      *error = settings_.file + ":" + std::to_string(line.line) + ": " + why;
      return false;
    }
  }
  CTDB_LOGF(kLogNotice, "Loaded public addresses from %s", settings_.file.c_str());
  return true;
}

void PublicIps::start() {
  tickle_timer_.start(std::max<uint32_t>(host_.tickle_update_interval(), 1));
}

PublicIps::Vnn* PublicIps::find(const proto::SockAddr& addr) {
  for (auto& v : vnns_) {
    if (same_ip(v->addr, addr)) return v.get();
  }
  return nullptr;
}

const PublicIps::Vnn* PublicIps::find(const proto::SockAddr& addr) const {
  return const_cast<PublicIps*>(this)->find(addr);
}

PublicIps::Interface* PublicIps::find_iface(const std::string& name) {
  for (Interface& i : ifaces_) {
    if (i.name == name) return &i;
  }
  return nullptr;
}

const PublicIps::Interface* PublicIps::find_iface(const std::string& name) const {
  return const_cast<PublicIps*>(this)->find_iface(name);
}

bool PublicIps::add(const proto::SockAddr& addr, unsigned mask,
                    const std::vector<std::string>& ifaces, std::string* error) {
  if (find(addr) != nullptr) {
    *error = "duplicate public IP address '" + addr.to_string() + "'";
    return false;
  }
  if (ifaces.empty()) {
    *error = "no interface for public address " + addr.to_string();
    return false;
  }
  for (const std::string& name : ifaces) {
    if (name.empty() || name.size() > IFACE_SIZE) {
      *error = "invalid interface name '" + name + "'";
      return false;
    }
    // 4.17 checks the interfaces exist even in test mode.
    if (!net_.iface_exists(name)) {
      *error = "unknown interface " + name + " for public address " + addr.to_string();
      return false;
    }
  }
  for (const std::string& name : ifaces) {
    if (find_iface(name) == nullptr) {
      ifaces_.insert(ifaces_.begin(), Interface{name, true, 0});
      ifaces_changed_ = true;
    }
  }
  auto v = std::make_unique<Vnn>();
  v->addr = canonical(addr);
  v->addr.port = 0;
  v->mask_bits = mask;
  v->ifaces = ifaces;
  vnns_.insert(vnns_.begin(), std::move(v));
  return true;
}

void PublicIps::remove(const proto::SockAddr& addr) {
  auto it = std::find_if(vnns_.begin(), vnns_.end(),
                         [&](const std::unique_ptr<Vnn>& v) { return same_ip(v->addr, addr); });
  if (it == vnns_.end()) return;
  std::unique_ptr<Vnn> gone = std::move(*it);
  vnns_.erase(it);
  unassign_iface(*gone);
  // Interfaces no remaining address names go away with it.
  for (const std::string& name : gone->ifaces) {
    bool used = std::any_of(vnns_.begin(), vnns_.end(), [&](const std::unique_ptr<Vnn>& v) {
      return std::find(v->ifaces.begin(), v->ifaces.end(), name) != v->ifaces.end();
    });
    if (!used && name != settings_.single_ip_iface) {
      ifaces_.erase(std::remove_if(ifaces_.begin(), ifaces_.end(),
                                   [&](const Interface& i) { return i.name == name; }),
                    ifaces_.end());
      ifaces_changed_ = true;
    }
  }
}

bool PublicIps::available(const Vnn& v) const {
  if (host_.runstate() != RUNSTATE_RUNNING) return false;
  // A node still in recovery mode (back from stopped or banned, before the recovery that takes
  // it in) cannot run takeip: it offers nothing yet. 4.17 never asks such a node, because its
  // takeover runs only follow recoveries; ours also runs one when a node dies meanwhile.
  if (host_.recmode() != RECOVERY_NORMAL) return false;
  if (host_.own_flags() & (NODE_FLAGS_INACTIVE | NODE_FLAGS_DISABLED)) return false;
  if (v.delete_pending) return false;
  if (!v.iface.empty()) {
    const Interface* cur = find_iface(v.iface);
    if (cur != nullptr && cur->link_up) return true;
  }
  return std::any_of(v.ifaces.begin(), v.ifaces.end(), [&](const std::string& name) {
    const Interface* i = find_iface(name);
    return i != nullptr && i->link_up;
  });
}

// The configured interface with its link up that carries the fewest addresses (the first such
// one in file order on a tie).
const PublicIps::Interface* PublicIps::best_iface(const Vnn& v) const {
  const Interface* best = nullptr;
  for (const std::string& name : v.ifaces) {
    const Interface* cur = find_iface(name);
    if (cur == nullptr || !cur->link_up) continue;
    if (best == nullptr || cur->references < best->references) best = cur;
  }
  return best;
}

bool PublicIps::assign_iface(Vnn& v) {
  if (!v.iface.empty()) return true;
  const Interface* best = best_iface(v);
  if (best == nullptr) {
    CTDB_LOGF(kLogError, "Public address '%s' cannot be assigned to any interface",
              v.addr.to_string().c_str());
    return false;
  }
  v.iface = best->name;
  find_iface(best->name)->references++;
  v.pnn = host_.pnn();
  return true;
}

void PublicIps::unassign_iface(Vnn& v) {
  if (!v.iface.empty()) {
    Interface* cur = find_iface(v.iface);
    if (cur != nullptr && cur->references > 0) cur->references--;
  }
  v.iface.clear();
  if (v.pnn == host_.pnn()) v.pnn = UNKNOWN_PNN;
}

bool PublicIps::have_ip(const proto::SockAddr& addr) { return net_.have_ip(addr); }

proto::PublicIpList PublicIps::public_ips(bool only_available) const {
  proto::PublicIpList list;
  for (const auto& v : vnns_) {
    if (only_available && !available(*v)) continue;
    list.ips.push_back({v->pnn, v->addr});
  }
  return list;
}

std::optional<proto::PublicIpInfo> PublicIps::ip_info(const proto::SockAddr& addr) const {
  const Vnn* v = find(addr);
  if (v == nullptr) {
    CTDB_LOGF(kLogError, "Could not get public ip info, '%s' not a public address",
              addr.to_string().c_str());
    return std::nullopt;
  }
  proto::PublicIpInfo info;
  info.ip = {v->pnn, v->addr};
  info.active_idx = 0xffffffff;
  for (size_t i = 0; i < v->ifaces.size(); i++) {
    const Interface* cur = find_iface(v->ifaces[i]);
    if (cur == nullptr) continue;
    if (v->iface == cur->name) info.active_idx = static_cast<uint32_t>(i);
    info.ifaces.ifaces.push_back(
        {cur->name, static_cast<uint16_t>(cur->link_up ? 1 : 0), cur->references});
  }
  return info;
}

proto::IfaceList PublicIps::ifaces() const {
  proto::IfaceList list;
  for (const Interface& i : ifaces_) {
    list.ifaces.push_back({i.name, static_cast<uint16_t>(i.link_up ? 1 : 0), i.references});
  }
  return list;
}

int32_t PublicIps::set_iface_link(const proto::Iface& req) {
  if (req.link_state > 1) {
    CTDB_LOGF(kLogError, "Interface link state %u invalid", req.link_state);
    return -1;
  }
  if (req.references != 0) {
    CTDB_LOGF(kLogError, "Interface references %u should be 0", req.references);
    return -1;
  }
  Interface* i = find_iface(req.name);
  if (i == nullptr) return -1;
  bool up = req.link_state == 1;
  if (i->link_up == up) return 0;
  CTDB_LOGF(kLogError, "Interface %s has changed its link status %s => %s", i->name.c_str(),
            i->link_up ? "up" : "down", up ? "up" : "down");
  i->link_up = up;
  ifaces_changed_ = true;
  return 0;
}

bool PublicIps::interfaces_changed() {
  bool changed = ifaces_changed_;
  ifaces_changed_ = false;
  return changed;
}

void PublicIps::takeover_ip(const proto::PublicIp& ip, Done done) {
  uint32_t me = host_.pnn();
  if (ip.pnn != me) {
    CTDB_LOGF(kLogError, "TAKEOVER_IP for %s names node %u, but this is node %u",
              ip.addr.to_string().c_str(), ip.pnn, me);
    done(-1);
    return;
  }
  Vnn* v = find(ip.addr);
  if (v == nullptr) {
    CTDB_LOGF(kLogInfo, "TAKEOVER_IP for %s, which is not a public address here",
              ip.addr.to_string().c_str());
    done(0);
    return;
  }
  bool held = settings_.check_host && have_ip(v->addr);
  const Interface* best = best_iface(*v);
  if (best == nullptr) {
    CTDB_LOGF(kLogError, "Takeover of IP %s/%u found no usable interface (old %s, held %d)",
              v->addr.to_string().c_str(), v->mask_bits, iface_or_none(v->iface).c_str(), held);
    done(-1);
    return;
  }
  if (v->pnn != me && held && v->pnn != UNKNOWN_PNN) {
    CTDB_LOGF(kLogError,
              "Takeover of IP %s: the host has it on %s but it was assigned to node %u; banning "
              "this node",
              v->addr.to_string().c_str(), iface_or_none(v->iface).c_str(), v->pnn);
    host_.ban_self();
    done(-1);
    return;
  }
  bool update = v->pnn == UNKNOWN_PNN && held;
  if (!v->iface.empty() && v->iface != best->name) {
    const Interface* cur = find_iface(v->iface);
    // Move only off a dead link, or when the move balances the interfaces by more than one.
    if (cur == nullptr || !cur->link_up || cur->references > best->references + 1) update = true;
  }
  if (!held) {
    if (update) unassign_iface(*v);
    do_takeip(v->addr, std::move(done));
  } else if (update) {
    do_updateip(v->addr, std::move(done));
  } else {
    CTDB_LOGF(kLogInfo, "Redundant takeover of IP %s/%u on interface %s (ip already held)",
              v->addr.to_string().c_str(), v->mask_bits, v->iface.c_str());
    done(0);
  }
}

bool PublicIps::busy(const Vnn& v, const char* what, const Done& done) {
  if (!v.update_in_flight) return false;
  CTDB_LOGF(kLogNotice, "%s of IP %s/%u rejected: an update is already in flight", what,
            v.addr.to_string().c_str(), v.mask_bits);
  done(-1);
  return true;
}

void PublicIps::run_event_for(Vnn& v, uint32_t event, std::vector<std::string> args, Done done,
                              std::function<void(Vnn& v, int status, const Done& done)> finish) {
  v.update_in_flight = true;
  proto::SockAddr addr = v.addr;
  host_.run_ip_event(event, std::move(args),
                     [this, addr, done = std::move(done), finish = std::move(finish)](int status) {
                       Vnn* v = find(addr);
                       if (v == nullptr) {
                         done(-1);
                         return;
                       }
                       v->update_in_flight = false;
                       if (status == -ETIMEDOUT) host_.ban_self();
                       finish(*v, status, done);
                     });
}

void PublicIps::do_takeip(const proto::SockAddr& addr, Done done) {
  Vnn* v = find(addr);
  if (busy(*v, "Takeover", done)) return;
  if (!assign_iface(*v)) {
    done(-1);
    return;
  }
  CTDB_LOGF(kLogNotice, "Takeover of IP %s/%u on interface %s", addr.to_string().c_str(),
            v->mask_bits, v->iface.c_str());
  run_event_for(*v, EVENT_TAKE_IP, {v->iface, addr.to_string(), std::to_string(v->mask_bits)},
                std::move(done), [this](Vnn& v, int status, const Done& done) {
                  if (status != 0) {
                    CTDB_LOGF(kLogError, "Failed to takeover IP %s on interface %s",
                              v.addr.to_string().c_str(), iface_or_none(v.iface).c_str());
                    done(status);
                    return;
                  }
                  if (settings_.check_host) announce(v);
                  host_.message_local_clients(SRVID_TAKE_IP, address_text(v.addr));
                  done(0);
                });
}

void PublicIps::do_updateip(const proto::SockAddr& addr, Done done) {
  Vnn* v = find(addr);
  if (busy(*v, "Update", done)) return;
  std::string old = v->iface;
  unassign_iface(*v);
  if (!assign_iface(*v)) {
    CTDB_LOGF(kLogError, "Update of IP %s/%u found no usable interface (old iface '%s')",
              addr.to_string().c_str(), v->mask_bits, iface_or_none(old).c_str());
    done(-1);
    return;
  }
  if (old == v->iface) {  // moved onto itself: nothing to run
    done(0);
    return;
  }
  CTDB_LOGF(kLogNotice, "Update of IP %s/%u from interface %s to %s", addr.to_string().c_str(),
            v->mask_bits, iface_or_none(old).c_str(), v->iface.c_str());
  run_event_for(*v, EVENT_UPDATE_IP,
                {iface_or_none(old), v->iface, addr.to_string(), std::to_string(v->mask_bits)},
                std::move(done), [this, old](Vnn& v, int status, const Done& done) {
                  if (status != 0) {
                    CTDB_LOGF(kLogError, "Failed update of IP %s from interface %s to %s",
                              v.addr.to_string().c_str(), iface_or_none(old).c_str(),
                              v.iface.c_str());
                    // Back on the old interface; the next takeover run sorts it out.
                    unassign_iface(v);
                    v.iface = old;
                    v.pnn = host_.pnn();
                    if (Interface* i = find_iface(old)) i->references++;
                  }
                  done(status);
                });
}

void PublicIps::release_ip(const proto::PublicIp& ip, Done done) {
  Vnn* v = find(ip.addr);
  if (v == nullptr) {
    CTDB_LOGF(kLogInfo, "RELEASE_IP for %s, which is not a public address here",
              ip.addr.to_string().c_str());
    done(0);
    return;
  }
  v->announce_id = 0;  // no more ARPs for it from here
  // RELEASE_IP reaches every node that should not host the address; on all but the former
  // host it only records where the address went, which is how `ctdb ip` on any node knows.
  bool held = settings_.check_host ? have_ip(v->addr) : !v->iface.empty();
  if (!held) {
    v->pnn = ip.pnn;
    if (settings_.check_host) unassign_iface(*v);
    done(0);
    return;
  }
  if (v->update_in_flight && v->releasing) {
    // Already on its way out (a node that was just stopped drops all its addresses while the
    // leader's takeover run releases them): 4.17 fails this control and with it the run; the
    // answer here waits for that release instead.
    v->release_waiters.emplace_back(ip.pnn, std::move(done));
    return;
  }
  if (busy(*v, "Release", done)) return;
  std::string iface = iface_or_none(v->iface);
  CTDB_LOGF(kLogNotice, "Release of IP %s/%u on interface %s  node:%d", v->addr.to_string().c_str(),
            v->mask_bits, iface.c_str(), static_cast<int>(ip.pnn));
  v->update_in_flight = true;
  v->releasing = true;
  proto::SockAddr addr = v->addr;
  uint32_t target = ip.pnn;
  host_.run_ip_event(
      EVENT_RELEASE_IP, {iface, addr.to_string(), std::to_string(v->mask_bits)},
      [this, addr, target, done](int status) { release_done(addr, target, status, done); });
}

void PublicIps::release_done(const proto::SockAddr& addr, uint32_t target, int status, Done done) {
  Vnn* v = find(addr);
  if (v == nullptr) {
    done(-1);
    return;
  }
  if (status == -ETIMEDOUT) host_.ban_self();
  // A failed releaseip event only matters if the address is still there.
  if (!finish_release(addr, target)) {
    CTDB_LOGF(kLogError, "IP %s still hosted after the releaseip event, failing",
              addr.to_string().c_str());
    done(-1);
    return;
  }
  done(0);
}

bool PublicIps::finish_release(const proto::SockAddr& addr, uint32_t target) {
  Vnn* v = find(addr);
  v->update_in_flight = false;
  v->releasing = false;
  std::vector<std::pair<uint32_t, Done>> waiters = std::move(v->release_waiters);
  v->release_waiters.clear();
  bool released = !(settings_.check_host && have_ip(addr));
  if (released) {
    // The latest RELEASE_IP names where the address went.
    v->pnn = waiters.empty() ? target : waiters.back().first;
    release_post(addr);  // may delete the address
  }
  for (auto& [target, done] : waiters) done(released ? 0 : -1);
  return released;
}

bool PublicIps::release_post(const proto::SockAddr& addr) {
  host_.message_local_clients(SRVID_RELEASE_IP, address_text(addr));
  Vnn* v = find(addr);
  unassign_iface(*v);
  if (v->delete_pending) {
    remove(addr);
    return false;
  }
  return true;
}

void PublicIps::ipreallocated(Done done) {
  host_.run_ip_event(EVENT_IPREALLOCATED, {}, [this, done](int status) {
    if (status != 0) {
      CTDB_LOGF(kLogError, "\"ipreallocated\" event script failed (status %d)", status);
      if (status == -ETIMEDOUT) host_.ban_self();
    }
    done(status);
  });
}

int32_t PublicIps::add_public_ip(const proto::AddrInfo& info) {
  CTDB_LOGF(kLogNotice, "Add IP %s", info.addr.to_string().c_str());
  std::string error;
  if (info.mask > (info.addr.is_ipv6() ? 128u : 32u) ||
      !add(info.addr, info.mask, split_ifaces(info.iface), &error)) {
    CTDB_LOGF(kLogError, "Failed to add public address: %s",
              error.empty() ? "bad mask" : error.c_str());
    return -1;
  }
  return 0;
}

int32_t PublicIps::del_public_ip(const proto::AddrInfo& info) {
  CTDB_LOGF(kLogNotice, "Delete IP %s", info.addr.to_string().c_str());
  Vnn* v = find(info.addr);
  if (v == nullptr) {
    CTDB_LOGF(kLogError, "Delete IP of unknown public IP address %s",
              info.addr.to_string().c_str());
    return -1;
  }
  if (v->pnn == host_.pnn()) {
    // Hosted here: it goes once a takeover run has released it.
    v->delete_pending = true;
  } else {
    remove(info.addr);
  }
  return 0;
}

void PublicIps::reload(Done done) {
  std::vector<PublicAddress> lines;
  if (!settings_.file.empty() && access(settings_.file.c_str(), F_OK) == 0) {
    std::string error;
    auto read = read_public_addresses_file(settings_.file, settings_.default_iface, &error);
    if (!read) {
      CTDB_LOGF(kLogError, "Failed to re-read public addresses file: %s", error.c_str());
      done(-1);
      return;
    }
    lines = std::move(*read);
  }
  // The whole file must be usable before anything changes, as 4.17 reads it all first.
  std::vector<proto::SockAddr> wanted;
  for (const PublicAddress& l : lines) {
    for (const std::string& iface : l.ifaces) {
      if (!net_.iface_exists(iface)) {
        CTDB_LOGF(kLogError, "Failed to re-read public addresses file: %s:%u: unknown interface %s",
                  settings_.file.c_str(), l.line, iface.c_str());
        done(-1);
        return;
      }
    }
    wanted.push_back(l.addr);
  }
  int32_t status = 0;
  std::vector<proto::SockAddr> current;
  for (const auto& v : vnns_) current.push_back(v->addr);
  for (const proto::SockAddr& a : current) {
    bool keep = std::any_of(wanted.begin(), wanted.end(),
                            [&](const proto::SockAddr& w) { return same_ip(w, a); });
    if (!keep) {
      CTDB_LOGF(kLogNotice, "IP %s no longer configured, deleting it", a.to_string().c_str());
      proto::AddrInfo info;
      info.addr = a;
      if (del_public_ip(info) != 0) status = -1;
    }
  }
  bool first_add = true;
  for (size_t i = 0; i < lines.size(); i++) {
    if (find(wanted[i]) != nullptr) continue;
    CTDB_LOGF(kLogNotice, "New IP %s configured, adding it", wanted[i].to_string().c_str());
    if (first_add) {
      // The leader moves some addresses here at the next takeover run (LCP2 rebalancing).
      proto::Bytes pnn;
      proto::Writer(&pnn).u32(host_.pnn());
      host_.send_message(BROADCAST_CONNECTED, SRVID_REBALANCE_NODE, pnn);
      first_add = false;
    }
    std::string error;
    if (!add(wanted[i], lines[i].mask, lines[i].ifaces, &error)) {
      CTDB_LOGF(kLogError, "Failed to add public address: %s", error.c_str());
      status = -1;
    }
  }
  done(status);
}

int32_t PublicIps::send_gratuitous_arp(const proto::AddrInfo& info) {
  auto a = std::make_shared<Announce>();
  a->addr = info.addr;
  a->iface = info.iface;
  announcing_.push_back(a);
  arp_round(a);
  return 0;
}

void PublicIps::announce(Vnn& v) {
  auto a = std::make_shared<Announce>();
  a->addr = v.addr;
  a->id = next_announce_++;
  v.announce_id = a->id;
  // The connections the address had elsewhere get tickled from here; the list starts afresh
  // and the other nodes hear the new (empty) one at the next update.
  a->tickles = std::move(v.tickles);
  v.tickles.clear();
  v.tcp_update_needed = true;
  announcing_.push_back(a);
  announce_round(a);
}

void PublicIps::announce_round(const std::shared_ptr<Announce>& a) {
  Vnn* v = find(a->addr);
  bool current = v != nullptr && v->announce_id == a->id && !v->iface.empty();
  if (current) {
    int err = net_.send_arp(a->addr, v->iface);
    if (err != 0) {
      CTDB_LOGF(kLogError, "Failed to send ARP on interface %s: %s", v->iface.c_str(),
                strerror(err));
    }
    for (const proto::Connection& c : a->tickles) {
      // From the public address (the connection's server side) to the client.
      if (net_.send_tcp(c.dst, c.src, 0, 0, false) != 0) {
        CTDB_LOGF(kLogError, "Failed to send TCP tickle ACK: %s -> %s",
                  c.src.to_string_with_port().c_str(), c.dst.to_string_with_port().c_str());
      }
    }
  }
  if (!current || ++a->count == kArpRepeat) {
    announcing_.erase(std::remove(announcing_.begin(), announcing_.end(), a), announcing_.end());
    return;
  }
  std::weak_ptr<Announce> weak = a;
  a->timer = std::make_unique<Timer>(loop_, [this, weak] {
    if (auto self = weak.lock()) announce_round(self);
  });
  a->timer->start(kTakeoverArpInterval);
}

void PublicIps::arp_round(const std::shared_ptr<Announce>& a) {
  int err = net_.send_arp(a->addr, a->iface);
  if (err != 0) {
    CTDB_LOGF(kLogError, "Failed to send gratuitous ARP on iface %s: %s", a->iface.c_str(),
              strerror(err));
  }
  if (++a->count == kArpRepeat) {
    announcing_.erase(std::remove(announcing_.begin(), announcing_.end(), a), announcing_.end());
    return;
  }
  std::weak_ptr<Announce> weak = a;
  a->timer = std::make_unique<Timer>(loop_, [this, weak] {
    if (auto self = weak.lock()) arp_round(self);
  });
  a->timer->start(kArpInterval);
}

int32_t PublicIps::tcp_client(uint32_t client_id, const proto::Connection& conn) {
  if (vnns_.empty()) return 0;  // no public addresses: tickles are useless
  proto::SockAddr dst = canonical(conn.dst);
  Vnn* v = find(dst);
  if (v == nullptr) {
    if (dst.is_ipv4() && dst.addr[0] == 127 && dst.addr[1] == 0 && dst.addr[2] == 0 &&
        dst.addr[3] == 1) {
      return 0;
    }
    CTDB_LOGF(kLogError,
              "Could not register TCP connection from %s to %s (not a public address) (port %u) "
              "(client_id %u)",
              canonical(conn.src).to_string().c_str(), dst.to_string().c_str(), dst.port,
              client_id);
    return 0;
  }
  if (v->pnn != host_.pnn()) {
    CTDB_LOGF(kLogError,
              "Attempt to register tcp client for IP %s we don't hold - failing (client_id %u)",
              dst.to_string().c_str(), client_id);
    return -1;
  }
  client_conns_[client_id].push_back(conn);
  // Every node (this one too) records it, so whoever takes the address over can tickle it.
  host_.send_control_noreply(BROADCAST_CONNECTED, CONTROL_TCP_ADD, proto::to_bytes(conn));
  return 0;
}

int32_t PublicIps::tcp_add(const proto::Connection& conn, bool update_needed) {
  if (vnns_.empty()) return 0;
  Vnn* v = find(conn.dst);
  if (v == nullptr) {
    CTDB_LOGF(kLogInfo, "TCP_ADD for an address which is not a public address '%s'",
              conn.dst.to_string().c_str());
    return -1;
  }
  bool known = std::any_of(v->tickles.begin(), v->tickles.end(),
                           [&](const proto::Connection& c) { return same_connection(c, conn); });
  if (!known) {
    v->tickles.push_back(conn);
    if (update_needed) v->tcp_update_needed = true;
  }
  return 0;
}

int32_t PublicIps::tcp_remove(const proto::Connection& conn) {
  if (vnns_.empty()) return 0;
  Vnn* v = find(conn.dst);
  if (v == nullptr) {
    CTDB_LOGF(kLogError, "Unable to find public address %s", conn.dst.to_string().c_str());
    return 0;
  }
  auto it = std::find_if(v->tickles.begin(), v->tickles.end(),
                         [&](const proto::Connection& c) { return same_connection(c, conn); });
  if (it == v->tickles.end()) return 0;
  // As 4.17: the last entry takes the place of the removed one.
  *it = v->tickles.back();
  v->tickles.pop_back();
  v->tcp_update_needed = true;
  return 0;
}

int32_t PublicIps::get_tickles(const proto::SockAddr& addr, proto::TickleList* out) const {
  const Vnn* v = find(addr);
  if (v == nullptr) {
    CTDB_LOGF(kLogError, "Could not get tcp tickle list, '%s' is not a public address",
              addr.to_string().c_str());
    return 1;
  }
  out->addr = addr;
  out->conns.clear();
  for (const proto::Connection& c : v->tickles) {
    if (addr.port == 0 || c.dst.port == addr.port) out->conns.push_back(c);
  }
  return 0;
}

int32_t PublicIps::set_tickles(const proto::TickleList& list) {
  Vnn* v = find(list.addr);
  if (v == nullptr) {
    CTDB_LOGF(kLogInfo, "Could not set tcp tickle list, '%s' is not a public address",
              list.addr.to_string().c_str());
    return 1;
  }
  if (v->pnn == host_.pnn()) return 0;  // this node's own list is the authority
  v->tickles = list.conns;
  return 0;
}

void PublicIps::node_started() { send_tickles(true); }

void PublicIps::send_tickles(bool force) {
  for (auto& v : vnns_) {
    if (v->pnn != host_.pnn() || (!force && !v->tcp_update_needed)) continue;
    proto::TickleList list;
    list.addr = v->addr;
    list.conns = v->tickles;
    host_.send_control_noreply(BROADCAST_ALL, CONTROL_SET_TCP_TICKLE_LIST, proto::to_bytes(list));
    v->tcp_update_needed = false;
  }
}

void PublicIps::client_gone(uint32_t client_id) {
  auto it = client_conns_.find(client_id);
  if (it == client_conns_.end()) return;
  std::vector<proto::Connection> conns = std::move(it->second);
  client_conns_.erase(it);
  for (const proto::Connection& c : conns) {
    Vnn* v = find(c.dst);
    // An address that moved away keeps the connection: its new host still tickles it.
    if (v != nullptr && v->pnn == host_.pnn()) tcp_remove(c);
  }
}

bool PublicIps::needs_takeover_run() {
  bool need = interfaces_changed();
  for (const auto& v : vnns_) {
    if (v->pnn == UNKNOWN_PNN && host_.own_flags() == 0 && available(*v)) {
      CTDB_LOGF(kLogWarning, "Unassigned IP %s can be served by this node",
                v->addr.to_string().c_str());
      need = true;
    }
  }
  if (!settings_.check_host) return need;
  for (const auto& v : vnns_) {
    bool held = have_ip(v->addr);
    if (v->pnn == host_.pnn() && !held) {
      CTDB_LOGF(kLogError, "Assigned IP %s not on an interface", v->addr.to_string().c_str());
      need = true;
    } else if (v->pnn != host_.pnn() && held) {
      CTDB_LOGF(kLogError, "IP %s incorrectly on an interface", v->addr.to_string().c_str());
      need = true;
    }
  }
  return need;
}

void PublicIps::release_all(std::function<void()> done) {
  auto todo = std::make_shared<std::vector<proto::SockAddr>>();
  for (auto& v : vnns_) todo->push_back(v->addr);
  auto finish = std::make_shared<std::function<void()>>([done = std::move(done)] {
    if (done) done();
  });
  release_next(todo, finish);
}

void PublicIps::release_next(std::shared_ptr<std::vector<proto::SockAddr>> todo,
                             std::shared_ptr<std::function<void()>> done) {
  while (!todo->empty()) {
    proto::SockAddr addr = todo->back();
    todo->pop_back();
    Vnn* v = find(addr);
    if (v == nullptr) continue;
    if (!have_ip(addr)) {
      unassign_iface(*v);
      continue;
    }
    if (v->update_in_flight) {
      CTDB_LOGF(kLogWarning,
                "Not releasing IP %s/%u on interface %s, an update is already in progress",
                addr.to_string().c_str(), v->mask_bits, iface_or_none(v->iface).c_str());
      continue;
    }
    v->update_in_flight = true;
    v->releasing = true;
    std::string iface = iface_or_none(v->iface);
    host_.run_ip_event(EVENT_RELEASE_IP, {iface, addr.to_string(), std::to_string(v->mask_bits)},
                       [this, addr, todo, done](int) {
                         Vnn* v = find(addr);
                         if (v != nullptr && !finish_release(addr, v->pnn)) {
                           CTDB_LOGF(kLogError, "IP address %s not released",
                                     addr.to_string().c_str());
                         }
                         release_next(todo, done);
                       });
    return;
  }
  CTDB_LOGF(kLogNotice, "Released all public IPs");
  (*done)();
}

}  // namespace ctdb::daemon::takeover
