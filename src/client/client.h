// A connected CTDB client: the pnn of the local daemon, controls to any node,
// srvid registration and messages, and REQ_CALL. Typed controls: controls.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "client/connection.h"
#include "protocol/packet.h"

namespace ctdb::client {

// The reply to a control as the caller sees it: the daemon's status (0 is
// success), the reply data and, on failure, the daemon's error message.
struct ControlReply {
  int32_t status = 0;
  Bytes data;
  std::string errmsg;
};

class Client {
 public:
  // Connects to the daemon at `socket_path` and asks for its pnn. Returns 0 or
  // an errno value.
  static int connect(const std::string& socket_path, std::unique_ptr<Client>* out);

  // The pnn of the daemon we are connected to.
  uint32_t pnn() const { return pnn_; }
  Connection& connection() { return *conn_; }

  // Sends a control to `destnode` and waits for the reply. Returns 0 when a
  // reply arrived (its status is in *reply) or an errno value (ETIMEDOUT when
  // the deadline passed). With CTRL_FLAG_NOREPLY it returns after sending.
  int control(uint32_t destnode, uint32_t opcode, const Bytes& data, const Deadline& deadline,
              ControlReply* reply, uint32_t flags = 0, uint64_t srvid = 0);

  // Registers / deregisters a srvid on the local daemon so that messages to
  // it reach us. Return 0, an errno value, or the daemon's non-zero status.
  int register_srvid(uint64_t srvid);
  int deregister_srvid(uint64_t srvid);

  // Sends REQ_MESSAGE to `srvid` on `destnode` (no reply exists).
  int send_message(uint32_t destnode, uint64_t srvid, const Bytes& data);

  // Returns the next message for any registered srvid, waiting until the deadline.
  int wait_message(const Deadline& deadline, Message* msg) {
    return conn_->wait_message(deadline, msg);
  }

  // Sends REQ_CALL to the local daemon and waits for REPLY_CALL. A REPLY_ERROR
  // becomes *reply with its status and EIO is returned.
  int call(const proto::ReqCall& req, const Deadline& deadline, proto::ReplyCall* reply);

 private:
  explicit Client(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}
  proto::Header header(uint32_t destnode);

  std::unique_ptr<Connection> conn_;
  uint32_t pnn_ = UNKNOWN_PNN;
};

}  // namespace ctdb::client
