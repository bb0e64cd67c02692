#include "daemon/controls/control_router.h"

#include "common/logging.h"
#include "daemon/clients/client_server.h"
#include "daemon/cluster/node_state.h"

namespace ctdb::daemon {

ControlRouter::ControlRouter(EventLoop& loop, const cluster::NodeState& state, ControlTable& table,
                             ClientServer& clients, proto::Statistics& stats, NodeSender send_node)
    : loop_(loop),
      state_(state),
      table_(table),
      clients_(clients),
      stats_(stats),
      send_node_(std::move(send_node)) {}

ControlRouter::~ControlRouter() = default;

void ControlRouter::clear() { pending_.clear(); }

void ControlRouter::client_control(ClientConnection& client, const uint8_t* pkt, size_t len) {
  proto::Header h;
  proto::ReqControl c;
  if (!proto::decode(pkt, len, &h, &c)) {
    CTDB_LOGF(kLogError, "client pid %d sent a malformed control; closing it",
              static_cast<int>(client.pid()));
    clients_.close(client);
    return;
  }
  uint32_t dest = h.destnode == CURRENT_NODE ? state_.pnn() : h.destnode;
  if (dest == state_.pnn()) {
    Responder to{Responder::Kind::kClient, client.id(), h, (c.flags & CTRL_FLAG_NOREPLY) != 0};
    ControlReply reply = run_here(h, c, &client, state_.pnn(), to);
    if (!reply.async) respond(to, reply);
  } else if (state_.known(dest)) {
    forward(client, h, c, dest);
  } else if (dest == BROADCAST_ALL || dest == BROADCAST_ACTIVE || dest == BROADCAST_CONNECTED) {
    broadcast(client, h, c, dest);
  } else {
    reply_to_client(client, h, control_error("invalid destination node"));
  }
}

ControlReply ControlRouter::run_here(const proto::Header& h, const proto::ReqControl& c,
                                     ClientConnection* client, uint32_t srcnode,
                                     const Responder& to) {
  ControlRequest req{h, c, client, srcnode, to};
  return table_.dispatch(req, monotonic_now());
}

void ControlRouter::broadcast(ClientConnection& client, const proto::Header& h,
                              const proto::ReqControl& c, uint32_t dest) {
  // As in 4.17, a broadcast control cannot collect replies.
  if (!(c.flags & CTRL_FLAG_NOREPLY)) {
    reply_to_client(client, h, control_error("broadcast controls need NOREPLY"));
    return;
  }
  for (uint32_t pnn : state_.broadcast_targets(dest)) {
    if (pnn == state_.pnn()) {
      Responder to{Responder::Kind::kClient, client.id(), h, true};
      run_here(h, c, &client, state_.pnn(), to);
    } else {
      send_to_node(pnn, h.reqid, c);
    }
  }
}

bool ControlRouter::send_to_node(uint32_t pnn, uint32_t reqid, const proto::ReqControl& c) {
  proto::Bytes pkt = proto::encode(state_.header_to(pnn, reqid), c);
  return send_node_(pnn, pkt.data(), pkt.size());
}

uint32_t ControlRouter::alloc_reqid() {
  uint32_t reqid = next_reqid_++;
  if (next_reqid_ == 0) next_reqid_ = 1;
  return reqid;
}

void ControlRouter::forward(ClientConnection& client, const proto::Header& h,
                            const proto::ReqControl& c, uint32_t dest) {
  bool want_reply = !(c.flags & CTRL_FLAG_NOREPLY);
  uint32_t client_id = client.id();
  uint32_t reqid = alloc_reqid();
  proto::ReqControl fc = c;
  fc.client_id = client_id;
  bool deleted = state_.nodes()[dest].flags & NODE_FLAGS_DELETED;
  if (deleted || !state_.connected(dest) || !send_to_node(dest, reqid, fc)) {
    if (want_reply) reply_to_client(client, h, control_error("node is disconnected"));
    return;
  }
  if (!want_reply) return;
  Pending p;
  p.dest = dest;
  p.cb = [this, client_id, client_hdr = h](uint32_t pnn, int32_t status, const proto::Bytes& data,
                                           const std::string& err) {
    ClientConnection* c = clients_.find(client_id);
    if (c == nullptr) return;
    ControlReply reply;
    reply.status = status;
    reply.data = data;
    reply.errmsg = err;
    reply_to_client(*c, client_hdr, reply, pnn);
  };
  pending_[reqid] = std::move(p);
}

void ControlRouter::send_control(uint32_t dest, uint32_t opcode, uint64_t srvid,
                                 const proto::Bytes& data, double timeout, ControlCallback cb,
                                 uint32_t flags) {
  proto::Header h;
  h.destnode = dest;
  h.srcnode = state_.pnn();
  proto::ReqControl c;
  c.opcode = opcode;
  c.srvid = srvid;
  c.flags = flags;
  c.data = data;
  h.reqid = alloc_reqid();
  if (dest == state_.pnn()) {
    // Kept as a pending control too, so that an async handler can answer
    // later through respond().
    Pending p;
    p.dest = state_.pnn();
    p.cb = std::move(cb);
    pending_[h.reqid] = std::move(p);
    Responder to{Responder::Kind::kSelf, h.reqid, h, false};
    ControlReply r = run_here(h, c, nullptr, state_.pnn(), to);
    if (!r.async) respond(to, r);
    return;
  }
  if (!state_.connected(dest) || !send_to_node(dest, h.reqid, c)) {
    if (cb) cb(dest, -1, {}, "node is disconnected");
    return;
  }
  if (flags & CTRL_FLAG_NOREPLY) return;
  uint32_t reqid = h.reqid;
  Pending p;
  p.dest = dest;
  p.cb = std::move(cb);
  p.timeout = std::make_unique<Timer>(loop_, [this, reqid, dest] {
    stats_.timeouts.control++;
    finish(reqid, dest, -1, {}, "timed out");
  });
  p.timeout->start(timeout);
  pending_[reqid] = std::move(p);
}

void ControlRouter::finish(uint32_t reqid, uint32_t pnn, int32_t status, const proto::Bytes& data,
                           const std::string& err) {
  auto it = pending_.find(reqid);
  if (it == pending_.end()) return;
  ControlCallback cb = std::move(it->second.cb);
  pending_.erase(it);  // also cancels its timer
  if (cb) cb(pnn, status, data, err);
}

void ControlRouter::node_control(uint32_t srcnode, const uint8_t* pkt, size_t len) {
  proto::Header h;
  proto::ReqControl c;
  if (!proto::decode(pkt, len, &h, &c)) {
    CTDB_LOGF(kLogError, "malformed control from node %u", srcnode);
    return;
  }
  Responder to{Responder::Kind::kNode, srcnode, h, (c.flags & CTRL_FLAG_NOREPLY) != 0};
  ControlReply reply = run_here(h, c, nullptr, srcnode, to);
  if (!reply.async) respond(to, reply);
}

void ControlRouter::respond(const Responder& to, const ControlReply& reply) {
  if (to.started != 0) table_.finished(to.opcode, reply.status, monotonic_now() - to.started);
  if (!to.noreply) {
    switch (to.kind) {
      case Responder::Kind::kClient:
        if (ClientConnection* c = clients_.find(to.id)) reply_to_client(*c, to.hdr, reply);
        break;
      case Responder::Kind::kNode: {
        proto::Header rh = state_.header_to(to.id, to.hdr.reqid);
        proto::ReplyControl r;
        r.status = reply.status;
        r.data = reply.data;
        r.errmsg = reply.errmsg;
        proto::Bytes pkt = proto::encode(rh, r);
        send_node_(to.id, pkt.data(), pkt.size());
        break;
      }
      case Responder::Kind::kSelf:
        finish(to.id, state_.pnn(), reply.status, reply.data, reply.errmsg);
        break;
    }
  }
  if (reply.after_reply) reply.after_reply();
}

void ControlRouter::node_reply(const uint8_t* pkt, size_t len) {
  proto::Header h;
  proto::ReplyControl r;
  if (!proto::decode(pkt, len, &h, &r)) return;
  if (pending_.count(h.reqid) == 0) {
    CTDB_LOGF(kLogInfo, "dropping orphaned control reply with reqid %u", h.reqid);
    return;
  }
  finish(h.reqid, h.srcnode, r.status, r.data, r.errmsg);
}

void ControlRouter::reply_to_client(ClientConnection& client, const proto::Header& req_hdr,
                                    const ControlReply& reply, uint32_t from) {
  proto::Header h = state_.header_to(req_hdr.srcnode, req_hdr.reqid);
  if (from != UNKNOWN_PNN) h.srcnode = from;
  proto::ReplyControl r;
  r.status = reply.status;
  r.data = reply.data;
  r.errmsg = reply.errmsg;
  client.send(proto::encode(h, r));
  stats_.client_packets_sent++;
}

void ControlRouter::node_lost(uint32_t pnn, const char* why) {
  std::vector<uint32_t> lost;
  for (auto& [reqid, p] : pending_) {
    if (p.dest == pnn) lost.push_back(reqid);
  }
  for (uint32_t reqid : lost) finish(reqid, pnn, -1, {}, why);
}

}  // namespace ctdb::daemon
