// The control table (see control.h): one row per 4.17 opcode, and the payload
// checker that decodes a payload by its kind.
#include "protocol/control.h"

#include <algorithm>
#include <string>

#include "protocol/types.h"

namespace ctdb::proto {

namespace {

using K = PayloadKind;
using R = ResultIn;

// Ordered by opcode. Adding a control is one row here (plus, for a new payload
// type, one PayloadKind and a case in check_payload). Request and reply kinds
// follow protocol_control.c; `result` follows server/ctdb_control.c, which
// returns GET_PNN, GET_PID, GET_RECMODE, PING, PROCESS_EXISTS and
// CHECK_PID_SRVID answers as the reply status. Obsolete rows carry the layout
// older CTDB used where our own tool still speaks it (scriptstatus, scripts).
constexpr ControlInfo kControls[] = {
    {CONTROL_PROCESS_EXISTS, "PROCESS_EXISTS", K::kPid, K::kNone, R::kStatus, false},
    {CONTROL_STATISTICS, "STATISTICS", K::kNone, K::kStatistics, R::kData, false},
    {CONTROL_PING, "PING", K::kNone, K::kNone, R::kStatus, false},
    {CONTROL_GETDBPATH, "GETDBPATH", K::kDbId, K::kString, R::kData, false},
    {CONTROL_GETVNNMAP, "GETVNNMAP", K::kNone, K::kVnnMap, R::kData, false},
    {CONTROL_SETVNNMAP, "SETVNNMAP", K::kVnnMap, K::kNone, R::kData, false},
    {CONTROL_GET_DEBUG, "GET_DEBUG", K::kNone, K::kUint32, R::kData, false},
    {CONTROL_SET_DEBUG, "SET_DEBUG", K::kUint32, K::kNone, R::kData, false},
    {CONTROL_GET_DBMAP, "GET_DBMAP", K::kNone, K::kDbIdMap, R::kData, false},
    {CONTROL_GET_NODEMAPv4, "GET_NODEMAPv4", K::kAny, K::kAny, R::kData, true},
    {CONTROL_SET_DMASTER, "SET_DMASTER", K::kAny, K::kAny, R::kData, true},
    {CONTROL_PULL_DB, "PULL_DB", K::kPullDb, K::kRecBuffer, R::kData, true},
    {CONTROL_PUSH_DB, "PUSH_DB", K::kRecBuffer, K::kNone, R::kData, true},
    {CONTROL_GET_RECMODE, "GET_RECMODE", K::kNone, K::kNone, R::kStatus, false},
    {CONTROL_SET_RECMODE, "SET_RECMODE", K::kUint32, K::kNone, R::kData, false},
    {CONTROL_STATISTICS_RESET, "STATISTICS_RESET", K::kNone, K::kNone, R::kData, false},
    {CONTROL_DB_ATTACH, "DB_ATTACH", K::kString, K::kDbId, R::kData, false},
    {CONTROL_SET_CALL, "SET_CALL", K::kAny, K::kAny, R::kData, true},
    {CONTROL_TRAVERSE_START, "TRAVERSE_START", K::kTraverseStart, K::kNone, R::kData, false},
    {CONTROL_TRAVERSE_ALL, "TRAVERSE_ALL", K::kTraverseAll, K::kNone, R::kData, false},
    {CONTROL_TRAVERSE_DATA, "TRAVERSE_DATA", K::kRecData, K::kNone, R::kData, false},
    {CONTROL_REGISTER_SRVID, "REGISTER_SRVID", K::kNone, K::kNone, R::kData, false},
    {CONTROL_DEREGISTER_SRVID, "DEREGISTER_SRVID", K::kNone, K::kNone, R::kData, false},
    {CONTROL_GET_DBNAME, "GET_DBNAME", K::kDbId, K::kString, R::kData, false},
    {CONTROL_ENABLE_SEQNUM, "ENABLE_SEQNUM", K::kDbId, K::kNone, R::kData, false},
    {CONTROL_UPDATE_SEQNUM, "UPDATE_SEQNUM", K::kDbId, K::kNone, R::kData, false},
    {CONTROL_DUMP_MEMORY, "DUMP_MEMORY", K::kNone, K::kString, R::kData, false},
    {CONTROL_GET_PID, "GET_PID", K::kNone, K::kNone, R::kStatus, false},
    {CONTROL_GET_RECMASTER, "GET_RECMASTER", K::kNone, K::kNone, R::kStatus, true},
    {CONTROL_SET_RECMASTER, "SET_RECMASTER", K::kUint32, K::kNone, R::kData, true},
    {CONTROL_FREEZE, "FREEZE", K::kNone, K::kNone, R::kData, false},
    {CONTROL_THAW, "THAW", K::kNone, K::kNone, R::kData, true},
    {CONTROL_GET_PNN, "GET_PNN", K::kNone, K::kNone, R::kStatus, false},
    {CONTROL_SHUTDOWN, "SHUTDOWN", K::kNone, K::kNone, R::kData, false},
    {CONTROL_GET_MONMODE, "GET_MONMODE", K::kNone, K::kNone, R::kStatus, true},
    {CONTROL_TAKEOVER_IPv4, "TAKEOVER_IPv4", K::kAny, K::kAny, R::kData, true},
    {CONTROL_RELEASE_IPv4, "RELEASE_IPv4", K::kAny, K::kAny, R::kData, true},
    {CONTROL_TCP_CLIENT, "TCP_CLIENT", K::kConnection, K::kNone, R::kData, false},
    {CONTROL_TCP_ADD, "TCP_ADD", K::kConnection, K::kNone, R::kData, false},
    {CONTROL_TCP_REMOVE, "TCP_REMOVE", K::kConnection, K::kNone, R::kData, false},
    {CONTROL_STARTUP, "STARTUP", K::kNone, K::kNone, R::kData, false},
    {CONTROL_SET_TUNABLE, "SET_TUNABLE", K::kTunable, K::kNone, R::kData, false},
    {CONTROL_GET_TUNABLE, "GET_TUNABLE", K::kStringN, K::kUint32, R::kData, false},
    {CONTROL_LIST_TUNABLES, "LIST_TUNABLES", K::kNone, K::kVarList, R::kData, false},
    {CONTROL_GET_PUBLIC_IPSv4, "GET_PUBLIC_IPSv4", K::kAny, K::kAny, R::kData, true},
    {CONTROL_MODIFY_FLAGS, "MODIFY_FLAGS", K::kNodeFlagChange, K::kNone, R::kData, false},
    {CONTROL_GET_ALL_TUNABLES, "GET_ALL_TUNABLES", K::kNone, K::kTunableList, R::kData, false},
    {CONTROL_KILL_TCP, "KILL_TCP", K::kConnection, K::kNone, R::kData, true},
    {CONTROL_GET_TCP_TICKLE_LIST, "GET_TCP_TICKLE_LIST", K::kSockAddr, K::kTickleList, R::kData,
     false},
    {CONTROL_SET_TCP_TICKLE_LIST, "SET_TCP_TICKLE_LIST", K::kTickleList, K::kNone, R::kData, false},
    {CONTROL_REGISTER_SERVER_ID, "REGISTER_SERVER_ID", K::kAny, K::kAny, R::kData, true},
    {CONTROL_UNREGISTER_SERVER_ID, "UNREGISTER_SERVER_ID", K::kAny, K::kAny, R::kData, true},
    {CONTROL_CHECK_SERVER_ID, "CHECK_SERVER_ID", K::kAny, K::kAny, R::kData, true},
    {CONTROL_GET_SERVER_ID_LIST, "GET_SERVER_ID_LIST", K::kAny, K::kAny, R::kData, true},
    {CONTROL_DB_ATTACH_PERSISTENT, "DB_ATTACH_PERSISTENT", K::kString, K::kDbId, R::kData, false},
    {CONTROL_PERSISTENT_STORE, "PERSISTENT_STORE", K::kAny, K::kAny, R::kData, true},
    {CONTROL_UPDATE_RECORD, "UPDATE_RECORD", K::kRecBuffer, K::kNone, R::kData, false},
    {CONTROL_SEND_GRATUITOUS_ARP, "SEND_GRATUITOUS_ARP", K::kAddrInfo, K::kNone, R::kData, false},
    {CONTROL_TRANSACTION_START, "TRANSACTION_START", K::kAny, K::kAny, R::kData, true},
    {CONTROL_TRANSACTION_COMMIT, "TRANSACTION_COMMIT", K::kAny, K::kAny, R::kData, true},
    {CONTROL_WIPE_DATABASE, "WIPE_DATABASE", K::kTransDb, K::kNone, R::kData, false},
    {CONTROL_UPTIME, "UPTIME", K::kNone, K::kUptime, R::kData, false},
    {CONTROL_START_RECOVERY, "START_RECOVERY", K::kNone, K::kNone, R::kData, false},
    {CONTROL_END_RECOVERY, "END_RECOVERY", K::kNone, K::kNone, R::kData, false},
    {CONTROL_RELOAD_NODES_FILE, "RELOAD_NODES_FILE", K::kNone, K::kNone, R::kData, false},
    {CONTROL_TRY_DELETE_RECORDS, "TRY_DELETE_RECORDS", K::kRecBuffer, K::kRecBuffer, R::kData,
     false},
    {CONTROL_ENABLE_MONITOR, "ENABLE_MONITOR", K::kNone, K::kNone, R::kData, true},
    {CONTROL_DISABLE_MONITOR, "DISABLE_MONITOR", K::kNone, K::kNone, R::kData, true},
    {CONTROL_ADD_PUBLIC_IP, "ADD_PUBLIC_IP", K::kAddrInfo, K::kNone, R::kData, false},
    {CONTROL_DEL_PUBLIC_IP, "DEL_PUBLIC_IP", K::kAddrInfo, K::kNone, R::kData, false},
    {CONTROL_RUN_EVENTSCRIPTS, "RUN_EVENTSCRIPTS", K::kString, K::kNone, R::kData, true},
    {CONTROL_GET_CAPABILITIES, "GET_CAPABILITIES", K::kNone, K::kUint32, R::kData, false},
    {CONTROL_START_PERSISTENT_UPDATE, "START_PERSISTENT_UPDATE", K::kNone, K::kNone, R::kData,
     false},
    {CONTROL_CANCEL_PERSISTENT_UPDATE, "CANCEL_PERSISTENT_UPDATE", K::kNone, K::kNone, R::kData,
     false},
    {CONTROL_TRANS2_COMMIT, "TRANS2_COMMIT", K::kAny, K::kAny, R::kData, true},
    {CONTROL_TRANS2_FINISHED, "TRANS2_FINISHED", K::kAny, K::kAny, R::kData, true},
    {CONTROL_TRANS2_ERROR, "TRANS2_ERROR", K::kAny, K::kAny, R::kData, true},
    {CONTROL_TRANS2_COMMIT_RETRY, "TRANS2_COMMIT_RETRY", K::kAny, K::kAny, R::kData, true},
    {CONTROL_RECD_PING, "RECD_PING", K::kNone, K::kNone, R::kData, false},
    {CONTROL_RELEASE_IP, "RELEASE_IP", K::kPublicIp, K::kNone, R::kData, false},
    {CONTROL_TAKEOVER_IP, "TAKEOVER_IP", K::kPublicIp, K::kNone, R::kData, false},
    {CONTROL_GET_PUBLIC_IPS, "GET_PUBLIC_IPS", K::kNone, K::kPublicIpList, R::kData, false},
    {CONTROL_GET_NODEMAP, "GET_NODEMAP", K::kNone, K::kNodeMap, R::kData, false},
    {CONTROL_GET_EVENT_SCRIPT_STATUS, "GET_EVENT_SCRIPT_STATUS", K::kUint32, K::kScriptList,
     R::kData, true},
    {CONTROL_TRAVERSE_KILL, "TRAVERSE_KILL", K::kTraverseStart, K::kNone, R::kData, false},
    {CONTROL_RECD_RECLOCK_LATENCY, "RECD_RECLOCK_LATENCY", K::kDouble, K::kNone, R::kData, false},
    {CONTROL_GET_RECLOCK_FILE, "GET_RECLOCK_FILE", K::kNone, K::kString, R::kData, false},
    {CONTROL_SET_RECLOCK_FILE, "SET_RECLOCK_FILE", K::kString, K::kNone, R::kData, true},
    {CONTROL_STOP_NODE, "STOP_NODE", K::kNone, K::kNone, R::kData, false},
    {CONTROL_CONTINUE_NODE, "CONTINUE_NODE", K::kNone, K::kNone, R::kData, false},
    {CONTROL_SET_NATGWSTATE, "SET_NATGWSTATE", K::kUint32, K::kNone, R::kData, true},
    {CONTROL_SET_LMASTERROLE, "SET_LMASTERROLE", K::kUint32, K::kNone, R::kData, false},
    {CONTROL_SET_RECMASTERROLE, "SET_RECMASTERROLE", K::kUint32, K::kNone, R::kData, false},
    {CONTROL_ENABLE_SCRIPT, "ENABLE_SCRIPT", K::kString, K::kNone, R::kData, true},
    {CONTROL_DISABLE_SCRIPT, "DISABLE_SCRIPT", K::kString, K::kNone, R::kData, true},
    {CONTROL_SET_BAN_STATE, "SET_BAN_STATE", K::kBanState, K::kNone, R::kData, false},
    {CONTROL_GET_BAN_STATE, "GET_BAN_STATE", K::kNone, K::kBanState, R::kData, false},
    {CONTROL_SET_DB_PRIORITY, "SET_DB_PRIORITY", K::kAny, K::kAny, R::kData, true},
    {CONTROL_GET_DB_PRIORITY, "GET_DB_PRIORITY", K::kAny, K::kAny, R::kData, true},
    {CONTROL_TRANSACTION_CANCEL, "TRANSACTION_CANCEL", K::kAny, K::kAny, R::kData, true},
    {CONTROL_REGISTER_NOTIFY, "REGISTER_NOTIFY", K::kNotifyData, K::kNone, R::kData, false},
    {CONTROL_DEREGISTER_NOTIFY, "DEREGISTER_NOTIFY", K::kUint64, K::kNone, R::kData, false},
    {CONTROL_TRANS2_ACTIVE, "TRANS2_ACTIVE", K::kAny, K::kAny, R::kData, true},
    {CONTROL_GET_LOG, "GET_LOG", K::kAny, K::kAny, R::kData, true},
    {CONTROL_CLEAR_LOG, "CLEAR_LOG", K::kAny, K::kAny, R::kData, true},
    {CONTROL_TRANS3_COMMIT, "TRANS3_COMMIT", K::kRecBuffer, K::kNone, R::kData, false},
    {CONTROL_GET_DB_SEQNUM, "GET_DB_SEQNUM", K::kDbIdPad, K::kUint64, R::kData, false},
    {CONTROL_DB_SET_HEALTHY, "DB_SET_HEALTHY", K::kDbId, K::kNone, R::kData, false},
    {CONTROL_DB_GET_HEALTH, "DB_GET_HEALTH", K::kDbId, K::kString, R::kData, false},
    {CONTROL_GET_PUBLIC_IP_INFO, "GET_PUBLIC_IP_INFO", K::kSockAddr, K::kPublicIpInfo, R::kData,
     false},
    {CONTROL_GET_IFACES, "GET_IFACES", K::kNone, K::kIfaceList, R::kData, false},
    {CONTROL_SET_IFACE_LINK_STATE, "SET_IFACE_LINK_STATE", K::kIface, K::kNone, R::kData, false},
    {CONTROL_TCP_ADD_DELAYED_UPDATE, "TCP_ADD_DELAYED_UPDATE", K::kConnection, K::kNone, R::kData,
     false},
    {CONTROL_GET_STAT_HISTORY, "GET_STAT_HISTORY", K::kNone, K::kStatisticsList, R::kData, false},
    {CONTROL_SCHEDULE_FOR_DELETION, "SCHEDULE_FOR_DELETION", K::kKeyData, K::kNone, R::kData,
     false},
    {CONTROL_SET_DB_READONLY, "SET_DB_READONLY", K::kDbId, K::kNone, R::kData, false},
    {CONTROL_CHECK_SRVIDS, "CHECK_SRVIDS", K::kAny, K::kAny, R::kData, true},
    {CONTROL_TRAVERSE_START_EXT, "TRAVERSE_START_EXT", K::kTraverseStartExt, K::kNone, R::kData,
     false},
    {CONTROL_GET_DB_STATISTICS, "GET_DB_STATISTICS", K::kDbId, K::kDbStatistics, R::kData, false},
    {CONTROL_SET_DB_STICKY, "SET_DB_STICKY", K::kDbId, K::kNone, R::kData, false},
    {CONTROL_RELOAD_PUBLIC_IPS, "RELOAD_PUBLIC_IPS", K::kNone, K::kNone, R::kData, false},
    {CONTROL_TRAVERSE_ALL_EXT, "TRAVERSE_ALL_EXT", K::kTraverseAllExt, K::kNone, R::kData, false},
    {CONTROL_RECEIVE_RECORDS, "RECEIVE_RECORDS", K::kRecBuffer, K::kRecBuffer, R::kData, true},
    {CONTROL_IPREALLOCATED, "IPREALLOCATED", K::kNone, K::kNone, R::kData, false},
    {CONTROL_GET_RUNSTATE, "GET_RUNSTATE", K::kNone, K::kUint32, R::kData, false},
    {CONTROL_DB_DETACH, "DB_DETACH", K::kDbId, K::kNone, R::kData, false},
    {CONTROL_GET_NODES_FILE, "GET_NODES_FILE", K::kNone, K::kNodeMap, R::kData, false},
    {CONTROL_DB_FREEZE, "DB_FREEZE", K::kDbId, K::kNone, R::kData, false},
    {CONTROL_DB_THAW, "DB_THAW", K::kDbId, K::kNone, R::kData, false},
    {CONTROL_DB_TRANSACTION_START, "DB_TRANSACTION_START", K::kTransDb, K::kNone, R::kData, false},
    {CONTROL_DB_TRANSACTION_COMMIT, "DB_TRANSACTION_COMMIT", K::kTransDb, K::kNone, R::kData,
     false},
    {CONTROL_DB_TRANSACTION_CANCEL, "DB_TRANSACTION_CANCEL", K::kDbId, K::kNone, R::kData, false},
    {CONTROL_DB_PULL, "DB_PULL", K::kPullDbExt, K::kUint32, R::kData, false},
    {CONTROL_DB_PUSH_START, "DB_PUSH_START", K::kPullDbExt, K::kNone, R::kData, false},
    {CONTROL_DB_PUSH_CONFIRM, "DB_PUSH_CONFIRM", K::kDbId, K::kUint32, R::kData, false},
    {CONTROL_DB_OPEN_FLAGS, "DB_OPEN_FLAGS", K::kDbId, K::kInt32, R::kData, false},
    {CONTROL_DB_ATTACH_REPLICATED, "DB_ATTACH_REPLICATED", K::kString, K::kDbId, R::kData, false},
    {CONTROL_CHECK_PID_SRVID, "CHECK_PID_SRVID", K::kPidSrvid, K::kNone, R::kStatus, false},
    {CONTROL_TUNNEL_REGISTER, "TUNNEL_REGISTER", K::kNone, K::kNone, R::kData, false},
    {CONTROL_TUNNEL_DEREGISTER, "TUNNEL_DEREGISTER", K::kNone, K::kNone, R::kData, false},
    {CONTROL_VACUUM_FETCH, "VACUUM_FETCH", K::kRecBuffer, K::kNone, R::kData, false},
    {CONTROL_DB_VACUUM, "DB_VACUUM", K::kDbVacuum, K::kNone, R::kData, false},
    {CONTROL_ECHO_DATA, "ECHO_DATA", K::kEchoData, K::kEchoData, R::kData, false},
    {CONTROL_DISABLE_NODE, "DISABLE_NODE", K::kNone, K::kNone, R::kData, false},
    {CONTROL_ENABLE_NODE, "ENABLE_NODE", K::kNone, K::kNone, R::kData, false},
    {CONTROL_GET_CONTROL_STATISTICS, "GET_CONTROL_STATISTICS", K::kNone, K::kControlStatistics,
     R::kData, false},
};

constexpr size_t kNumControls = sizeof(kControls) / sizeof(kControls[0]);

template <typename T>
bool check_typed(const Bytes& payload) {
  T v;
  return from_bytes(payload, &v);
}

bool check_fixed(const Bytes& payload, size_t n) { return payload.size() == n; }

}  // namespace

const ControlInfo* find_control(uint32_t opcode) {
  const ControlInfo* end = kControls + kNumControls;
  const ControlInfo* it = std::lower_bound(
      kControls, end, opcode, [](const ControlInfo& c, uint32_t op) { return c.opcode < op; });
  return it != end && it->opcode == opcode ? it : nullptr;
}

const char* control_name(uint32_t opcode) {
  const ControlInfo* c = find_control(opcode);
  return c ? c->name : "UNKNOWN";
}

const ControlInfo* control_table(size_t* count) {
  *count = kNumControls;
  return kControls;
}

bool check_payload(PayloadKind kind, const Bytes& payload) {
  switch (kind) {
    case K::kNone:
      return payload.empty();
    case K::kAny:
      return true;
    case K::kUint32:
    case K::kInt32:
    case K::kPid:
    case K::kDbId:
      return check_fixed(payload, 4);
    case K::kUint64:
    case K::kDouble:
    case K::kDbIdPad:
      return check_fixed(payload, 8);
    case K::kString: {
      Reader r(payload);
      std::string s;
      return decode_cstring(r, &s) && r.remaining() == 0;
    }
    case K::kStringN: {
      Reader r(payload);
      std::string s;
      return r.stringn(&s) && r.remaining() == 0;
    }
    case K::kStatistics:
      return check_typed<Statistics>(payload);
    case K::kStatisticsList:
      return check_typed<StatisticsList>(payload);
    case K::kVnnMap:
      return check_typed<VnnMap>(payload);
    case K::kDbIdMap:
      return check_typed<DbIdMap>(payload);
    case K::kPullDb:
      return check_typed<PullDb>(payload);
    case K::kPullDbExt:
      return check_typed<PullDbExt>(payload);
    case K::kRecData:
      return check_typed<RecData>(payload);
    case K::kRecBuffer:
      return check_typed<RecBuffer>(payload);
    case K::kTraverseStart:
      return check_typed<TraverseStart>(payload);
    case K::kTraverseAll:
      return check_typed<TraverseAll>(payload);
    case K::kTraverseStartExt:
      return check_typed<TraverseStartExt>(payload);
    case K::kTraverseAllExt:
      return check_typed<TraverseAllExt>(payload);
    case K::kSockAddr:
      return check_typed<SockAddr>(payload);
    case K::kConnection:
      return check_typed<Connection>(payload);
    case K::kTunable:
      return check_typed<Tunable>(payload);
    case K::kVarList:
      return check_typed<VarList>(payload);
    case K::kNodeFlagChange:
      return check_typed<NodeFlagChange>(payload);
    case K::kTunableList:
      return check_typed<TunableList>(payload);
    case K::kTickleList:
      return check_typed<TickleList>(payload);
    case K::kAddrInfo:
      return check_typed<AddrInfo>(payload);
    case K::kTransDb:
      return check_typed<TransDb>(payload);
    case K::kUptime:
      return check_typed<Uptime>(payload);
    case K::kPublicIp:
      return check_typed<PublicIp>(payload);
    case K::kPublicIpList:
      return check_typed<PublicIpList>(payload);
    case K::kNodeMap:
      return check_typed<NodeMap>(payload);
    case K::kScriptList:
      return check_typed<ScriptList>(payload);
    case K::kBanState:
      return check_typed<BanState>(payload);
    case K::kNotifyData:
      return check_typed<NotifyData>(payload);
    case K::kIface:
      return check_typed<Iface>(payload);
    case K::kIfaceList:
      return check_typed<IfaceList>(payload);
    case K::kPublicIpInfo:
      return check_typed<PublicIpInfo>(payload);
    case K::kKeyData:
      return check_typed<KeyData>(payload);
    case K::kDbStatistics:
      return check_typed<DbStatistics>(payload);
    case K::kPidSrvid:
      return check_typed<PidSrvid>(payload);
    case K::kDbVacuum:
      return check_typed<DbVacuum>(payload);
    case K::kEchoData:
      return check_typed<EchoData>(payload);
    case K::kControlStatistics:
      return check_typed<ControlStatistics>(payload);
  }
  return false;
}

bool check_request_payload(uint32_t opcode, const Bytes& payload) {
  const ControlInfo* c = find_control(opcode);
  return c != nullptr && check_payload(c->request, payload);
}

bool check_reply_payload(uint32_t opcode, const Bytes& payload) {
  const ControlInfo* c = find_control(opcode);
  return c != nullptr && check_payload(c->reply, payload);
}

const char* payload_kind_name(PayloadKind kind) {
  switch (kind) {
    case K::kNone:
      return "NONE";
    case K::kAny:
      return "ANY";
    case K::kUint32:
      return "UINT32";
    case K::kInt32:
      return "INT32";
    case K::kUint64:
      return "UINT64";
    case K::kDouble:
      return "DOUBLE";
    case K::kPid:
      return "PID";
    case K::kDbId:
      return "DB_ID";
    case K::kDbIdPad:
      return "DB_ID_PAD";
    case K::kString:
      return "STRING";
    case K::kStringN:
      return "STRINGN";
    case K::kStatistics:
      return "STATISTICS";
    case K::kStatisticsList:
      return "STATISTICS_LIST";
    case K::kVnnMap:
      return "VNN_MAP";
    case K::kDbIdMap:
      return "DB_ID_MAP";
    case K::kPullDb:
      return "PULL_DB";
    case K::kPullDbExt:
      return "PULL_DB_EXT";
    case K::kRecData:
      return "REC_DATA";
    case K::kRecBuffer:
      return "REC_BUFFER";
    case K::kTraverseStart:
      return "TRAVERSE_START";
    case K::kTraverseAll:
      return "TRAVERSE_ALL";
    case K::kTraverseStartExt:
      return "TRAVERSE_START_EXT";
    case K::kTraverseAllExt:
      return "TRAVERSE_ALL_EXT";
    case K::kSockAddr:
      return "SOCK_ADDR";
    case K::kConnection:
      return "CONNECTION";
    case K::kTunable:
      return "TUNABLE";
    case K::kVarList:
      return "VAR_LIST";
    case K::kNodeFlagChange:
      return "NODE_FLAG_CHANGE";
    case K::kTunableList:
      return "TUNABLE_LIST";
    case K::kTickleList:
      return "TICKLE_LIST";
    case K::kAddrInfo:
      return "ADDR_INFO";
    case K::kTransDb:
      return "TRANS_DB";
    case K::kUptime:
      return "UPTIME";
    case K::kPublicIp:
      return "PUBLIC_IP";
    case K::kPublicIpList:
      return "PUBLIC_IP_LIST";
    case K::kNodeMap:
      return "NODE_MAP";
    case K::kScriptList:
      return "SCRIPT_LIST";
    case K::kBanState:
      return "BAN_STATE";
    case K::kNotifyData:
      return "NOTIFY_DATA";
    case K::kIface:
      return "IFACE";
    case K::kIfaceList:
      return "IFACE_LIST";
    case K::kPublicIpInfo:
      return "PUBLIC_IP_INFO";
    case K::kKeyData:
      return "KEY_DATA";
    case K::kDbStatistics:
      return "DB_STATISTICS";
    case K::kPidSrvid:
      return "PID_SRVID";
    case K::kDbVacuum:
      return "DB_VACUUM";
    case K::kEchoData:
      return "ECHO_DATA";
    case K::kControlStatistics:
      return "CONTROL_STATISTICS";
  }
  return "UNKNOWN";
}

}  // namespace ctdb::proto
