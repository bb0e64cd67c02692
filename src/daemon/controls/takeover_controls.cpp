// Controls of public IP takeover on this node: the address and interface lists, TAKEOVER_IP,
// RELEASE_IP and IPREALLOCATED from the leader's takeover run, ADD/DEL/RELOAD of addresses,
// gratuitous ARPs, and the TCP connection (tickle) lists. The logic is in takeover/public_ips.
#include <memory>
#include <optional>

#include "common/logging.h"
#include "daemon/clients/client_server.h"
#include "daemon/controls/dispatch.h"
#include "daemon/takeover/public_ips.h"
#include "protocol/types.h"

namespace ctdb::daemon {
namespace {

// What these handlers work on.
struct TakeoverCtx {
  takeover::PublicIps& ips;
  ReplySink& replies;
};

ControlReply status_reply(int32_t status) {
  ControlReply r;
  r.status = status;
  return r;
}

// Controls that answer once an event script has run; `start` may also answer at once.
ControlReply async_status(TakeoverCtx& d, const ControlRequest& req,
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
    d.replies.respond(to, reply);
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

ControlReply get_public_ips(TakeoverCtx& d, const ControlRequest& req) {
  ControlReply r;
  r.data = proto::to_bytes(d.ips.public_ips((req.c.flags & PUBLIC_IP_FLAGS_ONLY_AVAILABLE) != 0));
  return r;
}

ControlReply get_public_ip_info(TakeoverCtx& d, const ControlRequest& req) {
  proto::SockAddr addr;
  if (!payload(req, &addr)) return control_error("bad address");
  auto info = d.ips.ip_info(addr);
  if (!info) return control_error();
  ControlReply r;
  r.data = proto::to_bytes(*info);
  return r;
}

ControlReply get_ifaces(TakeoverCtx& d, const ControlRequest&) {
  ControlReply r;
  r.data = proto::to_bytes(d.ips.ifaces());
  return r;
}

ControlReply set_iface_link_state(TakeoverCtx& d, const ControlRequest& req) {
  proto::Iface iface;
  if (!payload(req, &iface)) return control_error("bad interface");
  return status_reply(d.ips.set_iface_link(iface));
}

ControlReply takeover_ip(TakeoverCtx& d, const ControlRequest& req) {
  proto::PublicIp ip;
  if (!payload(req, &ip)) return control_error("bad public ip");
  return async_status(
      d, req, [&](takeover::PublicIps::Done done) { d.ips.takeover_ip(ip, std::move(done)); });
}

ControlReply release_ip(TakeoverCtx& d, const ControlRequest& req) {
  proto::PublicIp ip;
  if (!payload(req, &ip)) return control_error("bad public ip");
  return async_status(
      d, req, [&](takeover::PublicIps::Done done) { d.ips.release_ip(ip, std::move(done)); });
}

ControlReply ipreallocated(TakeoverCtx& d, const ControlRequest& req) {
  if (!req.c.data.empty()) return control_error();
  return async_status(
      d, req, [&](takeover::PublicIps::Done done) { d.ips.ipreallocated(std::move(done)); });
}

ControlReply add_public_ip(TakeoverCtx& d, const ControlRequest& req) {
  proto::AddrInfo info;
  if (!payload(req, &info)) return control_error("bad address info");
  return status_reply(d.ips.add_public_ip(info));
}

ControlReply del_public_ip(TakeoverCtx& d, const ControlRequest& req) {
  proto::AddrInfo info;
  if (!payload(req, &info)) return control_error("bad address info");
  return status_reply(d.ips.del_public_ip(info));
}

ControlReply reload_public_ips(TakeoverCtx& d, const ControlRequest& req) {
  return async_status(d, req,
                      [&](takeover::PublicIps::Done done) { d.ips.reload(std::move(done)); });
}

ControlReply send_gratuitous_arp(TakeoverCtx& d, const ControlRequest& req) {
  proto::AddrInfo info;
  if (!payload(req, &info)) return control_error("bad address info");
  return status_reply(d.ips.send_gratuitous_arp(info));
}

// smbd registers every client connection; a node that takes the address over tickles it.
ControlReply tcp_client(TakeoverCtx& d, const ControlRequest& req) {
  proto::Connection conn;
  if (!payload(req, &conn)) return control_error("bad connection");
  if (req.client == nullptr) return control_error("TCP_CLIENT comes from a local client");
  return status_reply(d.ips.tcp_client(req.client->id(), conn));
}

// A control whose payload is one connection, answered with what `f` returns for it.
template <typename F>
ControlReply on_connection(const ControlRequest& req, F f) {
  proto::Connection conn;
  if (!payload(req, &conn)) return control_error("bad connection");
  return status_reply(f(conn));
}

ControlReply tcp_add(TakeoverCtx& d, const ControlRequest& req) {
  return on_connection(req, [&](const proto::Connection& c) { return d.ips.tcp_add(c, false); });
}

ControlReply tcp_add_delayed_update(TakeoverCtx& d, const ControlRequest& req) {
  return on_connection(req, [&](const proto::Connection& c) { return d.ips.tcp_add(c, true); });
}

ControlReply tcp_remove(TakeoverCtx& d, const ControlRequest& req) {
  return on_connection(req, [&](const proto::Connection& c) { return d.ips.tcp_remove(c); });
}

ControlReply get_tcp_tickle_list(TakeoverCtx& d, const ControlRequest& req) {
  proto::SockAddr addr;
  if (!payload(req, &addr)) return control_error("bad address");
  proto::TickleList list;
  int32_t status = d.ips.get_tickles(addr, &list);
  ControlReply r = status_reply(status);
  if (status == 0) r.data = proto::to_bytes(list);
  return r;
}

ControlReply set_tcp_tickle_list(TakeoverCtx& d, const ControlRequest& req) {
  proto::TickleList list;
  if (!payload(req, &list)) return control_error("bad tickle list");
  return status_reply(d.ips.set_tickles(list));
}

// Another node finished its startup event: it gets our tickle lists at once (4.17).
ControlReply startup(TakeoverCtx& d, const ControlRequest& req) {
  CTDB_LOGF(kLogNotice, "Received startup control from node %u", req.srcnode);
  d.ips.node_started();
  return {};
}

}  // namespace

void register_takeover_controls(ControlTable& t, takeover::PublicIps& ips, ReplySink& replies) {
  auto d = std::make_shared<TakeoverCtx>(TakeoverCtx{ips, replies});
  t.add(CONTROL_STARTUP, bind_handler(d, startup));
  t.add(CONTROL_GET_PUBLIC_IPS, bind_handler(d, get_public_ips));
  t.add(CONTROL_GET_PUBLIC_IP_INFO, bind_handler(d, get_public_ip_info));
  t.add(CONTROL_GET_IFACES, bind_handler(d, get_ifaces));
  t.add(CONTROL_SET_IFACE_LINK_STATE, bind_handler(d, set_iface_link_state));
  t.add(CONTROL_TAKEOVER_IP, bind_handler(d, takeover_ip));
  t.add(CONTROL_RELEASE_IP, bind_handler(d, release_ip));
  t.add(CONTROL_IPREALLOCATED, bind_handler(d, ipreallocated));
  t.add(CONTROL_ADD_PUBLIC_IP, bind_handler(d, add_public_ip));
  t.add(CONTROL_DEL_PUBLIC_IP, bind_handler(d, del_public_ip));
  t.add(CONTROL_RELOAD_PUBLIC_IPS, bind_handler(d, reload_public_ips));
  t.add(CONTROL_SEND_GRATUITOUS_ARP, bind_handler(d, send_gratuitous_arp));
  t.add(CONTROL_TCP_CLIENT, bind_handler(d, tcp_client));
  t.add(CONTROL_TCP_ADD, bind_handler(d, tcp_add));
  t.add(CONTROL_TCP_ADD_DELAYED_UPDATE, bind_handler(d, tcp_add_delayed_update));
  t.add(CONTROL_TCP_REMOVE, bind_handler(d, tcp_remove));
  t.add(CONTROL_GET_TCP_TICKLE_LIST, bind_handler(d, get_tcp_tickle_list));
  t.add(CONTROL_SET_TCP_TICKLE_LIST, bind_handler(d, set_tcp_tickle_list));
}

}  // namespace ctdb::daemon
