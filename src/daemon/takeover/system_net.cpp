// The host network stack behind IP takeover (see system_net.h).
#include "daemon/takeover/system_net.h"

#include "common/raw_net.h"
#include "common/socket_addr.h"

namespace ctdb::daemon::takeover {
namespace {

class HostNet : public SystemNet {
 public:
  bool have_ip(const proto::SockAddr& addr) override { return can_bind_locally(addr); }
  bool iface_exists(const std::string& name) override { return interface_exists(name); }
  int send_arp(const proto::SockAddr& addr, const std::string& iface) override {
    return raw_net::send_arp(addr, iface);
  }
  int send_tcp(const proto::SockAddr& src, const proto::SockAddr& dst, uint32_t seq, uint32_t ack,
               bool rst) override {
    return raw_net::send_tcp(src, dst, seq, ack, rst);
  }
};

}  // namespace

std::unique_ptr<SystemNet> make_system_net() { return std::make_unique<HostNet>(); }

}  // namespace ctdb::daemon::takeover
