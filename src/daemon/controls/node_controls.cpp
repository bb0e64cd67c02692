// Controls that report or change this node as a whole: identity, maps,
// runstate, capabilities, statistics, debug level, shutdown.
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>

#include "common/logging.h"
#include "common/nodes_file.h"
#include "daemon/clients/client_server.h"
#include "daemon/cluster/node_state.h"
#include "daemon/controls/dispatch.h"
#include "protocol/types.h"

namespace ctdb::daemon {
namespace {

proto::Timeval to_proto(const timeval& tv) { return {tv.tv_sec, tv.tv_usec}; }

// 4.17 answers these with the result in the status field.
ControlReply status_of(int32_t v) {
  ControlReply r;
  r.status = v;
  return r;
}

ControlReply ping(NodeControlsEnv& d, const ControlRequest&) {
  return status_of(static_cast<int32_t>(d.clients.num_clients()));
}

ControlReply get_pnn(NodeControlsEnv& d, const ControlRequest&) {
  return status_of(static_cast<int32_t>(d.state.pnn()));
}

ControlReply get_pid(NodeControlsEnv&, const ControlRequest&) { return status_of(getpid()); }

ControlReply dump_memory(NodeControlsEnv& d, const ControlRequest&) {
  ControlReply r;
  proto::Writer w(&r.data);
  proto::encode_cstring(w, d.memory_report());
  return r;
}

ControlReply get_recmode(NodeControlsEnv& d, const ControlRequest&) {
  return status_of(static_cast<int32_t>(d.state.recmode()));
}

// Obsolete in 4.17 (the tool learns the leader from SRVID_LEADER messages);
// we still answer it as CTDB 1.x did, for the seed's `ctdb recmaster`.
ControlReply get_recmaster(NodeControlsEnv& d, const ControlRequest&) {
  return status_of(static_cast<int32_t>(d.leader()));
}

ControlReply uptime(NodeControlsEnv& d, const ControlRequest&) {
  proto::Uptime u;
  timeval now;
  gettimeofday(&now, nullptr);
  u.current_time = to_proto(now);
  u.ctdbd_start_time = to_proto(d.state.start_time());
  u.last_recovery_started = to_proto(d.state.last_recovery_started());
  u.last_recovery_finished = to_proto(d.state.last_recovery_finished());
  ControlReply r;
  r.data = proto::to_bytes(u);
  return r;
}

ControlReply process_exists(NodeControlsEnv& d, const ControlRequest& req) {
  uint32_t pid;
  if (!payload_u32(req.c.data, &pid)) return control_error();
  // Only processes that are our clients count, as in 4.17.
  if (d.clients.find_by_pid(static_cast<pid_t>(pid)).empty()) return status_of(-1);
  return status_of(kill(static_cast<pid_t>(pid), 0) == 0 ? 0 : -1);
}

ControlReply get_runstate(NodeControlsEnv& d, const ControlRequest& req) {
  if (!req.c.data.empty()) return control_error();
  ControlReply r;
  r.data = u32_bytes(d.state.runstate());
  return r;
}

ControlReply get_nodemap(NodeControlsEnv& d, const ControlRequest& req) {
  if (!req.c.data.empty()) return control_error();
  ControlReply r;
  r.data = proto::to_bytes(d.state.nodemap());
  return r;
}

// The nodes file as it is on disk now (reloadnodes compares it with the
// running nodemap).
ControlReply get_nodes_file(NodeControlsEnv& d, const ControlRequest& req) {
  if (!req.c.data.empty()) return control_error();
  std::string error;
  auto entries = read_nodes_file(d.nodes_file, kDefaultCtdbPort, &error);
  if (!entries) {
    CTDB_LOGF(kLogError, "GET_NODES_FILE: %s", error.c_str());
    return control_error();
  }
  proto::NodeMap map;
  for (const auto& e : *entries) {
    proto::NodeAndFlags nf;
    nf.pnn = e.pnn;
    nf.flags = e.deleted ? NODE_FLAGS_DELETED : 0;
    nf.addr = e.addr;
    map.nodes.push_back(nf);
  }
  ControlReply r;
  r.data = proto::to_bytes(map);
  return r;
}

ControlReply getvnnmap(NodeControlsEnv& d, const ControlRequest& req) {
  if (!req.c.data.empty()) return control_error();
  ControlReply r;
  r.data = proto::to_bytes(d.state.vnnmap());
  return r;
}

ControlReply get_capabilities(NodeControlsEnv& d, const ControlRequest&) {
  ControlReply r;
  r.data = u32_bytes(d.state.capabilities());
  return r;
}

ControlReply statistics(NodeControlsEnv& d, const ControlRequest& req) {
  if (!req.c.data.empty()) return control_error();
  proto::Statistics& s = d.stats;
  s.num_clients = static_cast<uint32_t>(d.clients.num_clients());
  s.recovering = d.state.recmode() == RECOVERY_ACTIVE ? 1 : 0;
  timeval now;
  gettimeofday(&now, nullptr);
  s.statistics_current_time = to_proto(now);
  ControlReply r;
  r.data = proto::to_bytes(s);
  return r;
}

ControlReply statistics_reset(NodeControlsEnv& d, const ControlRequest& req) {
  if (!req.c.data.empty()) return control_error();
  d.reset_statistics();
  return {};
}

ControlReply get_control_statistics(NodeControlsEnv& d, const ControlRequest&) {
  ControlReply r;
  r.data = proto::to_bytes(d.table.statistics());
  return r;
}

ControlReply get_debug(NodeControlsEnv&, const ControlRequest& req) {
  if (!req.c.data.empty()) return control_error();
  ControlReply r;
  r.data = u32_bytes(static_cast<uint32_t>(logging::level()));
  return r;
}

ControlReply set_debug(NodeControlsEnv&, const ControlRequest& req) {
  // Any number is accepted, as 4.17 does; names map to 0, 1, 3, 5, 10.
  uint32_t level;
  if (!payload_u32(req.c.data, &level)) return control_error();
  logging::set_level(static_cast<int32_t>(level));
  return {};
}

ControlReply shutdown(NodeControlsEnv& d, const ControlRequest&) {
  CTDB_LOGF(kLogNotice, "Received SHUTDOWN command.");
  d.shutdown();
  return {};
}

ControlReply get_reclock_file(NodeControlsEnv& d, const ControlRequest&) {
  ControlReply r;
  proto::Writer w(&r.data);
  proto::encode_cstring(w, d.reclock);
  return r;
}

}  // namespace

void register_node_controls(ControlTable& t, NodeControlsEnv env) {
  auto d = std::make_shared<NodeControlsEnv>(std::move(env));
  t.add(CONTROL_PING, bind_handler(d, ping));
  t.add(CONTROL_GET_PNN, bind_handler(d, get_pnn));
  t.add(CONTROL_GET_PID, bind_handler(d, get_pid));
  t.add(CONTROL_DUMP_MEMORY, bind_handler(d, dump_memory));
  t.add(CONTROL_GET_RECMODE, bind_handler(d, get_recmode));
  t.add(CONTROL_GET_RECMASTER, bind_handler(d, get_recmaster));
  t.add(CONTROL_UPTIME, bind_handler(d, uptime));
  t.add(CONTROL_PROCESS_EXISTS, bind_handler(d, process_exists));
  t.add(CONTROL_GET_RUNSTATE, bind_handler(d, get_runstate));
  t.add(CONTROL_GET_NODEMAP, bind_handler(d, get_nodemap));
  t.add(CONTROL_GET_NODES_FILE, bind_handler(d, get_nodes_file));
  t.add(CONTROL_GETVNNMAP, bind_handler(d, getvnnmap));
  t.add(CONTROL_GET_CAPABILITIES, bind_handler(d, get_capabilities));
  t.add(CONTROL_STATISTICS, bind_handler(d, statistics));
  t.add(CONTROL_STATISTICS_RESET, bind_handler(d, statistics_reset));
  t.add(CONTROL_GET_CONTROL_STATISTICS, bind_handler(d, get_control_statistics));
  t.add(CONTROL_GET_DEBUG, bind_handler(d, get_debug));
  t.add(CONTROL_SET_DEBUG, bind_handler(d, set_debug));
  t.add(CONTROL_SHUTDOWN, bind_handler(d, shutdown));
  t.add(CONTROL_GET_RECLOCK_FILE, bind_handler(d, get_reclock_file));
}

}  // namespace ctdb::daemon
