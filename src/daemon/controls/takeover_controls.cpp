// Controls of public IP takeover on this node: the address and interface lists, TAKEOVER_IP,
// RELEASE_IP and IPREALLOCATED from the leader's takeover run, ADD/DEL/RELOAD of addresses,
// gratuitous ARPs, and the TCP connection (tickle) lists. The logic is in takeover/public_ips.
#include <memory>
#include <optional>

#include "common/logging.h"
#include "daemon/clients/client_server.h"
#include "daemon/controls/dispatch.h"
#include "daemon/daemon.h"
#include "daemon/takeover/public_ips.h"
#include "protocol/types.h"

namespace ctdb::daemon {
namespace {

ControlReply status_reply(int32_t status) {
  ControlReply r;
  r.status = status;
  return r;
}

// Controls that answer once an event script has run; `start` may also answer at once.
ControlReply async_status(Daemon& d, const ControlRequest& req,
                          const std::function<void(takeover::PublicIps::Done)>& start) {
  struct State {
    bool returned = false;  // async_status has returned: answers go through respond()
    std::optional<int32_t> at_once;
  };
  auto state = std::make_shared<State>();
  Responder to = req.responder;
  start([&d, to, state](int32_t status) {
    if (!state->returned) {
      state->at_once = status;
      return;
    }
    ControlReply reply;
    reply.status = status;
    d.respond(to, reply);
  });
  state->returned = true;
  if (state->at_once) return status_reply(*state->at_once);
  ControlReply r;
  r.async = true;
  return r;
}

template <typename T>
bool payload(const ControlRequest& req, T* out) {
  return proto::from_bytes(req.c.data, out);
}

ControlReply get_public_ips(Daemon& d, const ControlRequest& req) {
  ControlReply r;
  r.data = proto::to_bytes(
      d.public_ips().public_ips((req.c.flags & PUBLIC_IP_FLAGS_ONLY_AVAILABLE) != 0));
  return r;
}

ControlReply get_public_ip_info(Daemon& d, const ControlRequest& req) {
  proto::SockAddr addr;
  if (!payload(req, &addr)) return control_error("bad address");
  auto info = d.public_ips().ip_info(addr);
  if (!info) return control_error();
  ControlReply r;
  r.data = proto::to_bytes(*info);
  return r;
}

ControlReply get_ifaces(Daemon& d, const ControlRequest&) {
  ControlReply r;
  r.data = proto::to_bytes(d.public_ips().ifaces());
  return r;
}

ControlReply set_iface_link_state(Daemon& d, const ControlRequest& req) {
  proto::Iface iface;
  if (!payload(req, &iface)) return control_error("bad interface");
  return status_reply(d.public_ips().set_iface_link(iface));
}

ControlReply takeover_ip(Daemon& d, const ControlRequest& req) {
  proto::PublicIp ip;
  if (!payload(req, &ip)) return control_error("bad public ip");
  return async_status(d, req, [&](takeover::PublicIps::Done done) {
    d.public_ips().takeover_ip(ip, std::move(done));
  });
}

ControlReply release_ip(Daemon& d, const ControlRequest& req) {
  proto::PublicIp ip;
  if (!payload(req, &ip)) return control_error("bad public ip");
  return async_status(d, req, [&](takeover::PublicIps::Done done) {
    d.public_ips().release_ip(ip, std::move(done));
  });
}

ControlReply ipreallocated(Daemon& d, const ControlRequest& req) {
  if (!req.c.data.empty()) return control_error();
  return async_status(d, req, [&](takeover::PublicIps::Done done) {
    d.public_ips().ipreallocated(std::move(done));
  });
}

ControlReply add_public_ip(Daemon& d, const ControlRequest& req) {
  proto::AddrInfo info;
  if (!payload(req, &info)) return control_error("bad address info");
  return status_reply(d.public_ips().add_public_ip(info));
}

ControlReply del_public_ip(Daemon& d, const ControlRequest& req) {
  proto::AddrInfo info;
  if (!payload(req, &info)) return control_error("bad address info");
  return status_reply(d.public_ips().del_public_ip(info));
}

ControlReply reload_public_ips(Daemon& d, const ControlRequest& req) {
  return async_status(
      d, req, [&](takeover::PublicIps::Done done) { d.public_ips().reload(std::move(done)); });
}

ControlReply send_gratuitous_arp(Daemon& d, const ControlRequest& req) {
  proto::AddrInfo info;
  if (!payload(req, &info)) return control_error("bad address info");
  return status_reply(d.public_ips().send_gratuitous_arp(info));
}

// smbd registers every client connection; a node that takes the address over tickles it.
ControlReply tcp_client(Daemon& d, const ControlRequest& req) {
  proto::Connection conn;
  if (!payload(req, &conn)) return control_error("bad connection");
  if (req.client == nullptr) return control_error("TCP_CLIENT comes from a local client");
  return status_reply(d.public_ips().tcp_client(req.client->id(), conn));
}

// A control whose payload is one connection, answered with what `f` returns for it.
template <typename F>
ControlReply on_connection(const ControlRequest& req, F f) {
  proto::Connection conn;
  if (!payload(req, &conn)) return control_error("bad connection");
  return status_reply(f(conn));
}

ControlReply tcp_add(Daemon& d, const ControlRequest& req) {
  return on_connection(
      req, [&](const proto::Connection& c) { return d.public_ips().tcp_add(c, false); });
}

ControlReply tcp_add_delayed_update(Daemon& d, const ControlRequest& req) {
  return on_connection(req,
                       [&](const proto::Connection& c) { return d.public_ips().tcp_add(c, true); });
}

ControlReply tcp_remove(Daemon& d, const ControlRequest& req) {
  return on_connection(req,
                       [&](const proto::Connection& c) { return d.public_ips().tcp_remove(c); });
}

ControlReply get_tcp_tickle_list(Daemon& d, const ControlRequest& req) {
  proto::SockAddr addr;
  if (!payload(req, &addr)) return control_error("bad address");
  proto::TickleList list;
  int32_t status = d.public_ips().get_tickles(addr, &list);
  ControlReply r = status_reply(status);
  if (status == 0) r.data = proto::to_bytes(list);
  return r;
}

ControlReply set_tcp_tickle_list(Daemon& d, const ControlRequest& req) {
  proto::TickleList list;
  if (!payload(req, &list)) return control_error("bad tickle list");
  return status_reply(d.public_ips().set_tickles(list));
}

}  // namespace

void register_takeover_controls(ControlTable& t) {
  t.add(CONTROL_GET_PUBLIC_IPS, get_public_ips);
  t.add(CONTROL_GET_PUBLIC_IP_INFO, get_public_ip_info);
  t.add(CONTROL_GET_IFACES, get_ifaces);
  t.add(CONTROL_SET_IFACE_LINK_STATE, set_iface_link_state);
  t.add(CONTROL_TAKEOVER_IP, takeover_ip);
  t.add(CONTROL_RELEASE_IP, release_ip);
  t.add(CONTROL_IPREALLOCATED, ipreallocated);
  t.add(CONTROL_ADD_PUBLIC_IP, add_public_ip);
  t.add(CONTROL_DEL_PUBLIC_IP, del_public_ip);
  t.add(CONTROL_RELOAD_PUBLIC_IPS, reload_public_ips);
  t.add(CONTROL_SEND_GRATUITOUS_ARP, send_gratuitous_arp);
  t.add(CONTROL_TCP_CLIENT, tcp_client);
  t.add(CONTROL_TCP_ADD, tcp_add);
  t.add(CONTROL_TCP_ADD_DELAYED_UPDATE, tcp_add_delayed_update);
  t.add(CONTROL_TCP_REMOVE, tcp_remove);
  t.add(CONTROL_GET_TCP_TICKLE_LIST, get_tcp_tickle_list);
  t.add(CONTROL_SET_TCP_TICKLE_LIST, set_tcp_tickle_list);
}

}  // namespace ctdb::daemon
