// A connected CTDB client (see client.h).
#include "client/client.h"

#include <errno.h>

namespace ctdb::client {

proto::Header Client::header(uint32_t destnode) {
  proto::Header h;
  h.destnode = destnode;
  h.srcnode = pnn_;
  h.reqid = conn_->new_reqid();
  return h;
}

int Client::connect(const std::string& socket_path, std::unique_ptr<Client>* out) {
  std::unique_ptr<Connection> conn;
  int err = Connection::open(socket_path, &conn);
  if (err != 0) return err;
  std::unique_ptr<Client> c(new Client(std::move(conn)));
  ControlReply reply;
  // Samba's client waits without a time limit for the pnn; so do we.
  err = c->control(CURRENT_NODE, CONTROL_GET_PNN, {}, Deadline::never(), &reply);
  if (err != 0) return err;
  if (reply.status < 0) return EIO;
  c->pnn_ = static_cast<uint32_t>(reply.status);
  *out = std::move(c);
  return 0;
}

int Client::control(uint32_t destnode, uint32_t opcode, const Bytes& data, const Deadline& deadline,
                    ControlReply* reply, uint32_t flags, uint64_t srvid) {
  proto::Header h = header(destnode);
  proto::ReqControl req;
  req.opcode = opcode;
  req.srvid = srvid;
  req.flags = flags;
  req.data = data;
  int err = conn_->send(proto::encode(h, req));
  if (err != 0) return err;
  if (flags & CTRL_FLAG_NOREPLY) {
    *reply = ControlReply{};
    return 0;
  }
  Bytes pkt;
  err = conn_->wait_reply(h.reqid, deadline, &pkt);
  if (err != 0) return err;
  proto::Header rh;
  proto::ReplyControl rc;
  if (!proto::decode(pkt.data(), pkt.size(), &rh, &rc)) return EPROTO;
  reply->status = rc.status;
  reply->data = std::move(rc.data);
  reply->errmsg = std::move(rc.errmsg);
  return 0;
}

int Client::register_srvid(uint64_t srvid) {
  ControlReply reply;
  int err = control(pnn_, CONTROL_REGISTER_SRVID, {}, Deadline::never(), &reply, 0, srvid);
  if (err != 0) return err;
  return reply.status;
}

int Client::deregister_srvid(uint64_t srvid) {
  ControlReply reply;
  int err = control(pnn_, CONTROL_DEREGISTER_SRVID, {}, Deadline::never(), &reply, 0, srvid);
  if (err != 0) return err;
  return reply.status;
}

int Client::send_message(uint32_t destnode, uint64_t srvid, const Bytes& data) {
  proto::ReqMessage m;
  m.srvid = srvid;
  m.data = data;
  return conn_->send(proto::encode(header(destnode), m));
}

int Client::call(const proto::ReqCall& req, const Deadline& deadline, proto::ReplyCall* reply) {
  proto::Header h = header(CURRENT_NODE);
  int err = conn_->send(proto::encode(h, req));
  if (err != 0) return err;
  Bytes pkt;
  err = conn_->wait_reply(h.reqid, deadline, &pkt);
  if (err != 0) return err;
  proto::Header rh;
  if (proto::decode(pkt.data(), pkt.size(), &rh, reply)) return 0;
  proto::ReplyError e;
  if (!proto::decode(pkt.data(), pkt.size(), &rh, &e)) return EPROTO;
  reply->status = e.status;
  reply->data.clear();
  return EIO;
}

}  // namespace ctdb::client
