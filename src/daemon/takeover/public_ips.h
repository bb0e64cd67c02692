// This node's public addresses (4.17's "vnn" list) and the interfaces they may use: which node
// hosts each address, on which interface, the TCP connections to tickle after a move, and the
// node-local side of every takeover control (TAKEOVER_IP, RELEASE_IP, GET_PUBLIC_IPS, ...).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ctdb/protocol.h"
#include "daemon/event_loop.h"
#include "daemon/takeover/system_net.h"
#include "protocol/types.h"

namespace ctdb::daemon::takeover {

// What PublicIps needs from the rest of the daemon.
class PublicIpsHost {
 public:
  virtual ~PublicIpsHost() = default;
  virtual uint32_t pnn() const = 0;
  virtual Runstate runstate() const = 0;
  virtual uint32_t own_flags() const = 0;
  virtual uint32_t recmode() const = 0;
  // Runs takeip, releaseip, updateip or ipreallocated; `done` gets 0, -ETIMEDOUT, or another
  // negative status (also when the event could not start).
  virtual void run_ip_event(uint32_t event, std::vector<std::string> args,
                            std::function<void(int status)> done) = 0;
  // A message to this node's own clients (smbd): SRVID_TAKE_IP, SRVID_RELEASE_IP.
  virtual void message_local_clients(uint64_t srvid, const proto::Bytes& data) = 0;
  // A control to `dest` (a pnn or a broadcast address) whose replies nobody waits for.
  virtual void send_control_noreply(uint32_t dest, uint32_t opcode, const proto::Bytes& data) = 0;
  // A message to `dest` (a pnn or a broadcast address).
  virtual void send_message(uint32_t dest, uint64_t srvid, const proto::Bytes& data) = 0;
  // An IP event timed out or this node holds an address it was not given (4.17 bans itself).
  virtual void ban_self() = 0;
  virtual uint32_t tickle_update_interval() const = 0;
};

class PublicIps {
 public:
  struct Settings {
    std::string file;           // the public addresses file; empty: none
    std::string default_iface;  // --public-interface, for lines without interfaces
    // Whether the addresses are really put on interfaces here (false under CTDB_TEST_MODE, as
    // 4.17's do_checkpublicip): then nothing checks the host, and no ARP or tickle is sent.
    bool check_host = true;
    // The interface of the cluster's one LVS address (--single-public-ip with
    // --public-interface): listed among the interfaces, with its link state, for as long as
    // the daemon runs, whatever the public addresses file says.
    std::string single_ip_iface;
  };
  using Done = std::function<void(int32_t status)>;

  // `loop`, `host` and `net` must outlive this object.
  PublicIps(EventLoop& loop, PublicIpsHost& host, SystemNet& net, Settings settings);
  PublicIps(const PublicIps&) = delete;
  PublicIps& operator=(const PublicIps&) = delete;

  // Reads the public addresses file at startup. A file that does not exist leaves the node
  // without public addresses (as 4.17); a bad line or an interface the host does not have is
  // an error (*error names file and line), and the daemon must not start.
  bool load(std::string* error);
  bool empty() const { return vnns_.empty(); }
  // Starts the periodic tickle list updates to the other nodes.
  void start();

  // GET_PUBLIC_IPS: every address with the node this one believes hosts it, or (only
  // available) those this node could host now.
  proto::PublicIpList public_ips(bool only_available) const;
  // GET_PUBLIC_IP_INFO; nullopt for an address that is not public here.
  std::optional<proto::PublicIpInfo> ip_info(const proto::SockAddr& addr) const;
  // GET_IFACES.
  proto::IfaceList ifaces() const;
  // SET_IFACE_LINK_STATE: 0, or -1 for an unknown interface or a malformed request.
  int32_t set_iface_link(const proto::Iface& iface);
  // True once after any interface was added, removed or changed its link state since the last
  // call (the leader logic then asks for a takeover run, as 4.17's interfaces_have_changed).
  bool interfaces_changed();

  // TAKEOVER_IP, RELEASE_IP, IPREALLOCATED: `done` runs exactly once, possibly at once.
  void takeover_ip(const proto::PublicIp& ip, Done done);
  void release_ip(const proto::PublicIp& ip, Done done);
  void ipreallocated(Done done);
  // ADD_PUBLIC_IP / DEL_PUBLIC_IP: 0 or -1. Deleting an address this node hosts is deferred
  // until it has been released (the next takeover run), as in 4.17.
  int32_t add_public_ip(const proto::AddrInfo& info);
  int32_t del_public_ip(const proto::AddrInfo& info);
  // RELOAD_PUBLIC_IPS: re-reads the file and adds and deletes addresses to match.
  void reload(Done done);
  // SEND_GRATUITOUS_ARP: three announcements a second apart. 0 or -1.
  int32_t send_gratuitous_arp(const proto::AddrInfo& info);

  // TCP connections to public addresses (tickles). TCP_CLIENT comes from a local client:
  // -1 when the address is public but hosted elsewhere (smbd then drops the connection).
  int32_t tcp_client(uint32_t client_id, const proto::Connection& conn);
  int32_t tcp_add(const proto::Connection& conn, bool update_needed);
  int32_t tcp_remove(const proto::Connection& conn);
  // GET_TCP_TICKLE_LIST (a port other than 0 filters by server port) / SET_TCP_TICKLE_LIST:
  // 0, or 1 for an address that is not public here (4.17's answer).
  int32_t get_tickles(const proto::SockAddr& addr, proto::TickleList* out) const;
  int32_t set_tickles(const proto::TickleList& list);
  // STARTUP from another node: it gets our tickle lists at once.
  void node_started();
  // A local client went away: its connections to addresses hosted here are forgotten.
  void client_gone(uint32_t client_id);

  // 4.17's verify_local_ip_allocation, run by every node's leader logic: true when a takeover
  // run is needed because the interfaces changed, an address nobody hosts could be hosted
  // here, or (checking the host) an address is missing here or present against the plan.
  bool needs_takeover_run();

  // This node became inactive (stopped, banned) or stayed in recovery too long: every address
  // it holds is released. `done` runs when all release events have finished.
  void release_all(std::function<void()> done);

 private:
  struct Interface {
    std::string name;
    bool link_up = true;
    uint32_t references = 0;
  };
  struct Vnn {
    proto::SockAddr addr;
    unsigned mask_bits = 0;
    std::vector<std::string> ifaces;  // configured, in file order
    std::string iface;                // the interface it is on; empty when none
    uint32_t pnn = UNKNOWN_PNN;
    std::vector<proto::Connection> tickles;
    bool tcp_update_needed = false;
    bool update_in_flight = false;
    bool releasing = false;  // the update in flight is a release
    // RELEASE_IPs that came while it was being released: answered when that release ends.
    std::vector<std::pair<uint32_t, Done>> release_waiters;
    bool delete_pending = false;
    uint64_t announce_id = 0;  // the current round of ARPs; changing it cancels the others
  };
  struct Announce;

  Vnn* find(const proto::SockAddr& addr);
  const Vnn* find(const proto::SockAddr& addr) const;
  Interface* find_iface(const std::string& name);
  const Interface* find_iface(const std::string& name) const;
  bool add(const proto::SockAddr& addr, unsigned mask, const std::vector<std::string>& ifaces,
           std::string* error);
  void remove(const proto::SockAddr& addr);
  bool available(const Vnn& v) const;
  const Interface* best_iface(const Vnn& v) const;
  bool assign_iface(Vnn& v);
  void unassign_iface(Vnn& v);
  bool have_ip(const proto::SockAddr& addr);
  // An address takes one IP event at a time (4.17's update_in_flight): true,
  // with done(-1), when `what` has to wait its turn.
  bool busy(const Vnn& v, const char* what, const Done& done);
  // Runs an IP event for an address; `finish` gets its status while the
  // address is still known (else done(-1)). A timed-out event bans this node.
  void run_event_for(Vnn& v, uint32_t event, std::vector<std::string> args, Done done,
                     std::function<void(Vnn& v, int status, const Done& done)> finish);
  void do_takeip(const proto::SockAddr& addr, Done done);
  void do_updateip(const proto::SockAddr& addr, Done done);
  void release_done(const proto::SockAddr& addr, uint32_t target, int status, Done done);
  // The end of a release of `addr`: clears the in-flight state and answers the waiters; once
  // the address is no longer held it records `target` (or the latest waiter's) as its host.
  // True when the address is no longer held.
  bool finish_release(const proto::SockAddr& addr, uint32_t target);
  // After a release: clients hear SRVID_RELEASE_IP, the interface is freed, and a pending
  // delete happens. False when the address is gone.
  bool release_post(const proto::SockAddr& addr);
  void announce(Vnn& v);
  void announce_round(const std::shared_ptr<Announce>& a);
  void arp_round(const std::shared_ptr<Announce>& a);
  void send_tickles(bool force);
  void release_next(std::shared_ptr<std::vector<proto::SockAddr>> todo,
                    std::shared_ptr<std::function<void()>> done);

  EventLoop& loop_;
  PublicIpsHost& host_;
  SystemNet& net_;
  Settings settings_;
  // Newest first, as 4.17 keeps its lists: GET_PUBLIC_IPS and GET_IFACES answer in this order.
  std::vector<std::unique_ptr<Vnn>> vnns_;
  std::vector<Interface> ifaces_;
  bool ifaces_changed_ = true;  // as 4.17, the first look at the interfaces counts as a change
  std::map<uint32_t, std::vector<proto::Connection>> client_conns_;  // client id -> TCP_CLIENTs
  uint64_t next_announce_ = 1;
  std::vector<std::shared_ptr<Announce>> announcing_;
  Timer tickle_timer_;
};

}  // namespace ctdb::daemon::takeover
