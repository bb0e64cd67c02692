// Typed wrappers for the controls the tool and the database layer send (see controls.h).
#include "client/controls.h"

#include <errno.h>

#include "client/log.h"
#include "protocol/control.h"

namespace ctdb::client {
namespace {

// Sends the control and logs a transport failure the way 4.17 does.
int send_control(Client& c, uint32_t dest, const Deadline& d, uint32_t opcode, const Bytes& in,
                 ControlReply* reply) {
  int err = c.control(dest, opcode, in, d, reply);
  if (err != 0) {
    log(LogLevel::kError, "Control %s failed to node %u, ret=%d\n", proto::control_name(opcode),
        dest, err);
  }
  return err;
}

int reply_failed(uint32_t opcode, int ret) {
  log(LogLevel::kError, "Control %s failed, ret=%d\n", proto::control_name(opcode), ret);
  return ret;
}

// Controls whose reply data is one typed value.
template <typename T>
int typed(Client& c, uint32_t dest, const Deadline& d, uint32_t opcode, const Bytes& in, T* out) {
  ControlReply reply;
  int err = send_control(c, dest, d, opcode, in, &reply);
  if (err != 0) return err;
  if (reply.status != 0) return reply_failed(opcode, reply.status);
  if (!proto::from_bytes(reply.data, out)) return reply_failed(opcode, EMSGSIZE);
  return 0;
}

int u32_reply(Client& c, uint32_t dest, const Deadline& d, uint32_t opcode, const Bytes& in,
              uint32_t* out) {
  ControlReply reply;
  int err = send_control(c, dest, d, opcode, in, &reply);
  if (err != 0) return err;
  if (reply.status != 0) return reply_failed(opcode, reply.status);
  proto::Reader r(reply.data);
  if (!r.u32(out) || r.remaining() != 0) return reply_failed(opcode, EMSGSIZE);
  return 0;
}

// Controls that answer in the status field (PING, GET_PID, GET_RECMODE, ...).
int status_reply(Client& c, uint32_t dest, const Deadline& d, uint32_t opcode, const Bytes& in,
                 bool negative_is_error, int32_t* out) {
  ControlReply reply;
  int err = send_control(c, dest, d, opcode, in, &reply);
  if (err != 0) return err;
  if (negative_is_error && reply.status < 0) return reply_failed(opcode, reply.status);
  *out = reply.status;
  return 0;
}

int string_reply(Client& c, uint32_t dest, const Deadline& d, uint32_t opcode, const Bytes& in,
                 std::string* out) {
  ControlReply reply;
  int err = send_control(c, dest, d, opcode, in, &reply);
  if (err != 0) return err;
  if (reply.status != 0) return reply_failed(opcode, reply.status);
  proto::Reader r(reply.data);
  if (!proto::decode_cstring(r, out)) return reply_failed(opcode, EMSGSIZE);
  return 0;
}

Bytes u32_bytes(uint32_t v) {
  Bytes b;
  proto::Writer w(&b);
  w.u32(v);
  return b;
}

}  // namespace

int ctrl_simple(Client& c, uint32_t dest, const Deadline& d, uint32_t opcode, const Bytes& in,
                ControlReply* out) {
  ControlReply reply;
  int err = send_control(c, dest, d, opcode, in, &reply);
  if (err != 0) return err;
  if (out != nullptr) *out = reply;
  if (reply.status != 0) return reply_failed(opcode, reply.status);
  return 0;
}

int ctrl_ping(Client& c, uint32_t dest, const Deadline& d, int* num_clients) {
  int32_t v = 0;
  int err = status_reply(c, dest, d, CONTROL_PING, {}, true, &v);
  if (err == 0) *num_clients = v;
  return err;
}

int ctrl_get_pid(Client& c, uint32_t dest, const Deadline& d, int32_t* pid) {
  return status_reply(c, dest, d, CONTROL_GET_PID, {}, false, pid);
}

int ctrl_get_recmode(Client& c, uint32_t dest, const Deadline& d, int* recmode) {
  int32_t v = 0;
  int err = status_reply(c, dest, d, CONTROL_GET_RECMODE, {}, true, &v);
  if (err == 0) *recmode = v;
  return err;
}

int ctrl_process_exists(Client& c, uint32_t dest, const Deadline& d, int32_t pid, int* status) {
  int32_t v = 0;
  int err = status_reply(c, dest, d, CONTROL_PROCESS_EXISTS, u32_bytes(static_cast<uint32_t>(pid)),
                         false, &v);
  if (err == 0) *status = v;
  return err;
}

int ctrl_get_runstate(Client& c, uint32_t dest, const Deadline& d, uint32_t* runstate) {
  return u32_reply(c, dest, d, CONTROL_GET_RUNSTATE, {}, runstate);
}

int ctrl_uptime(Client& c, uint32_t dest, const Deadline& d, proto::Uptime* out) {
  return typed(c, dest, d, CONTROL_UPTIME, {}, out);
}

int ctrl_statistics(Client& c, uint32_t dest, const Deadline& d, proto::Statistics* out) {
  return typed(c, dest, d, CONTROL_STATISTICS, {}, out);
}

int ctrl_get_control_statistics(Client& c, uint32_t dest, const Deadline& d,
                                proto::ControlStatistics* out) {
  return typed(c, dest, d, CONTROL_GET_CONTROL_STATISTICS, {}, out);
}

int ctrl_statistics_reset(Client& c, uint32_t dest, const Deadline& d) {
  return ctrl_simple(c, dest, d, CONTROL_STATISTICS_RESET, {});
}

int ctrl_get_nodemap(Client& c, uint32_t dest, const Deadline& d, proto::NodeMap* out) {
  return typed(c, dest, d, CONTROL_GET_NODEMAP, {}, out);
}

int ctrl_getvnnmap(Client& c, uint32_t dest, const Deadline& d, proto::VnnMap* out) {
  return typed(c, dest, d, CONTROL_GETVNNMAP, {}, out);
}

int ctrl_list_tunables(Client& c, uint32_t dest, const Deadline& d, proto::VarList* out) {
  return typed(c, dest, d, CONTROL_LIST_TUNABLES, {}, out);
}

int ctrl_get_tunable(Client& c, uint32_t dest, const Deadline& d, const std::string& name,
                     uint32_t* value) {
  Bytes in;
  proto::Writer w(&in);
  w.stringn(name);
  return u32_reply(c, dest, d, CONTROL_GET_TUNABLE, in, value);
}

int ctrl_set_tunable(Client& c, uint32_t dest, const Deadline& d, const proto::Tunable& t) {
  return ctrl_simple(c, dest, d, CONTROL_SET_TUNABLE, proto::to_bytes(t));
}

int ctrl_get_dbmap(Client& c, uint32_t dest, const Deadline& d, proto::DbIdMap* out) {
  return typed(c, dest, d, CONTROL_GET_DBMAP, {}, out);
}

int ctrl_get_dbname(Client& c, uint32_t dest, const Deadline& d, uint32_t db_id,
                    std::string* name) {
  return string_reply(c, dest, d, CONTROL_GET_DBNAME, u32_bytes(db_id), name);
}

int ctrl_getdbpath(Client& c, uint32_t dest, const Deadline& d, uint32_t db_id, std::string* path) {
  return string_reply(c, dest, d, CONTROL_GETDBPATH, u32_bytes(db_id), path);
}

int ctrl_db_get_health(Client& c, uint32_t dest, const Deadline& d, uint32_t db_id,
                       std::string* reason) {
  return string_reply(c, dest, d, CONTROL_DB_GET_HEALTH, u32_bytes(db_id), reason);
}

int ctrl_get_db_seqnum(Client& c, uint32_t dest, const Deadline& d, uint32_t db_id,
                       uint64_t* seqnum) {
  Bytes in;
  proto::Writer w(&in);
  w.u32(db_id);
  w.u32(0);  // the request is padded to 8 bytes
  ControlReply reply;
  int err = send_control(c, dest, d, CONTROL_GET_DB_SEQNUM, in, &reply);
  if (err != 0) return err;
  if (reply.status != 0) return reply_failed(CONTROL_GET_DB_SEQNUM, reply.status);
  proto::Reader r(reply.data);
  if (!r.u64(seqnum) || r.remaining() != 0) return reply_failed(CONTROL_GET_DB_SEQNUM, EMSGSIZE);
  return 0;
}

int ctrl_get_capabilities(Client& c, uint32_t dest, const Deadline& d, uint32_t* caps) {
  return u32_reply(c, dest, d, CONTROL_GET_CAPABILITIES, {}, caps);
}

int ctrl_getdebug(Client& c, uint32_t dest, const Deadline& d, int* level) {
  uint32_t v = 0;
  int err = u32_reply(c, dest, d, CONTROL_GET_DEBUG, {}, &v);
  if (err == 0) *level = static_cast<int32_t>(v);
  return err;
}

int ctrl_setdebug(Client& c, uint32_t dest, const Deadline& d, int level) {
  return ctrl_simple(c, dest, d, CONTROL_SET_DEBUG, u32_bytes(static_cast<uint32_t>(level)));
}

int ctrl_shutdown(Client& c, uint32_t dest, const Deadline& d) {
  return ctrl_simple(c, dest, d, CONTROL_SHUTDOWN, {});
}

int ctrl_db_open_flags(Client& c, uint32_t dest, const Deadline& d, uint32_t db_id,
                       int32_t* tdb_flags) {
  uint32_t v = 0;
  int err = u32_reply(c, dest, d, CONTROL_DB_OPEN_FLAGS, u32_bytes(db_id), &v);
  if (err == 0) *tdb_flags = static_cast<int32_t>(v);
  return err;
}

int ctrl_db_detach(Client& c, uint32_t dest, const Deadline& d, uint32_t db_id) {
  return ctrl_simple(c, dest, d, CONTROL_DB_DETACH, u32_bytes(db_id));
}

int ctrl_get_public_ips(Client& c, uint32_t dest, const Deadline& d, uint32_t flags,
                        proto::PublicIpList* out) {
  ControlReply reply;
  // The "available only" choice travels in the control header's flags.
  int err = c.control(dest, CONTROL_GET_PUBLIC_IPS, {}, d, &reply, flags);
  if (err != 0) {
    log(LogLevel::kError, "Control %s failed to node %u, ret=%d\n",
        proto::control_name(CONTROL_GET_PUBLIC_IPS), dest, err);
    return err;
  }
  if (reply.status != 0) return reply_failed(CONTROL_GET_PUBLIC_IPS, reply.status);
  if (!proto::from_bytes(reply.data, out)) return reply_failed(CONTROL_GET_PUBLIC_IPS, EMSGSIZE);
  return 0;
}

int ctrl_get_public_ip_info(Client& c, uint32_t dest, const Deadline& d,
                            const proto::SockAddr& addr, proto::PublicIpInfo* out) {
  return typed(c, dest, d, CONTROL_GET_PUBLIC_IP_INFO, proto::to_bytes(addr), out);
}

int ctrl_get_ifaces(Client& c, uint32_t dest, const Deadline& d, proto::IfaceList* out) {
  return typed(c, dest, d, CONTROL_GET_IFACES, {}, out);
}

int ctrl_get_reclock_file(Client& c, uint32_t dest, const Deadline& d, std::string* reclock,
                          bool* has_reclock) {
  ControlReply reply;
  int err = send_control(c, dest, d, CONTROL_GET_RECLOCK_FILE, {}, &reply);
  if (err != 0) return err;
  if (reply.status != 0) return reply_failed(CONTROL_GET_RECLOCK_FILE, reply.status);
  *has_reclock = !reply.data.empty();
  proto::Reader r(reply.data);
  if (!proto::decode_cstring(r, reclock)) return reply_failed(CONTROL_GET_RECLOCK_FILE, EMSGSIZE);
  return 0;
}

int ctrl_set_recmode(Client& c, uint32_t dest, const Deadline& d, uint32_t recmode) {
  return ctrl_u32(c, dest, d, CONTROL_SET_RECMODE, recmode);
}

int ctrl_set_ban_state(Client& c, uint32_t dest, const Deadline& d, const proto::BanState& b) {
  return ctrl_simple(c, dest, d, CONTROL_SET_BAN_STATE, proto::to_bytes(b));
}

int ctrl_get_nodes_file(Client& c, uint32_t dest, const Deadline& d, proto::NodeMap* out) {
  return typed(c, dest, d, CONTROL_GET_NODES_FILE, {}, out);
}

int ctrl_get_db_statistics(Client& c, uint32_t dest, const Deadline& d, uint32_t db_id,
                           proto::DbStatistics* out) {
  return typed(c, dest, d, CONTROL_GET_DB_STATISTICS, u32_bytes(db_id), out);
}

int ctrl_get_event_script_status(Client& c, uint32_t dest, const Deadline& d, uint32_t event,
                                 proto::ScriptList* out, bool* never_run) {
  ControlReply reply;
  int err = send_control(c, dest, d, CONTROL_GET_EVENT_SCRIPT_STATUS, u32_bytes(event), &reply);
  if (err != 0) return err;
  if (reply.status != 0) return reply_failed(CONTROL_GET_EVENT_SCRIPT_STATUS, reply.status);
  *never_run = reply.data.empty();
  if (!proto::from_bytes(reply.data, out)) {
    return reply_failed(CONTROL_GET_EVENT_SCRIPT_STATUS, EMSGSIZE);
  }
  return 0;
}

int ctrl_u32(Client& c, uint32_t dest, const Deadline& d, uint32_t opcode, uint32_t value) {
  return ctrl_simple(c, dest, d, opcode, u32_bytes(value));
}

}  // namespace ctdb::client
