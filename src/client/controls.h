// Typed wrappers for the controls the ctdb tool and the database layer send.
// Each returns 0 on success; otherwise an errno value from the transport
// (logged "Control NAME failed to node N, ret=E") or the daemon's non-zero
// status or a decode error (logged "Control NAME failed, ret=E"), as 4.17 does.
#pragma once

#include <cstdint>
#include <string>

#include "client/client.h"
#include "protocol/types.h"

namespace ctdb::client {

int ctrl_ping(Client& c, uint32_t dest, const Deadline& d, int* num_clients);
int ctrl_get_pid(Client& c, uint32_t dest, const Deadline& d, int32_t* pid);
int ctrl_get_recmode(Client& c, uint32_t dest, const Deadline& d, int* recmode);
int ctrl_get_runstate(Client& c, uint32_t dest, const Deadline& d, uint32_t* runstate);
int ctrl_uptime(Client& c, uint32_t dest, const Deadline& d, proto::Uptime* out);
int ctrl_statistics(Client& c, uint32_t dest, const Deadline& d, proto::Statistics* out);
int ctrl_statistics_reset(Client& c, uint32_t dest, const Deadline& d);
// Ours: the daemon's per-control counters (a stock node refuses it).
int ctrl_get_control_statistics(Client& c, uint32_t dest, const Deadline& d,
                                proto::ControlStatistics* out);
int ctrl_get_nodemap(Client& c, uint32_t dest, const Deadline& d, proto::NodeMap* out);
int ctrl_getvnnmap(Client& c, uint32_t dest, const Deadline& d, proto::VnnMap* out);
int ctrl_list_tunables(Client& c, uint32_t dest, const Deadline& d, proto::VarList* out);
int ctrl_get_tunable(Client& c, uint32_t dest, const Deadline& d, const std::string& name,
                     uint32_t* value);
// The daemon answers status 1 for an obsolete tunable; it is returned as is.
int ctrl_set_tunable(Client& c, uint32_t dest, const Deadline& d, const proto::Tunable& t);
int ctrl_get_dbmap(Client& c, uint32_t dest, const Deadline& d, proto::DbIdMap* out);
int ctrl_get_dbname(Client& c, uint32_t dest, const Deadline& d, uint32_t db_id, std::string* name);
int ctrl_getdbpath(Client& c, uint32_t dest, const Deadline& d, uint32_t db_id, std::string* path);
// *reason is empty when the database is healthy.
int ctrl_db_get_health(Client& c, uint32_t dest, const Deadline& d, uint32_t db_id,
                       std::string* reason);
int ctrl_get_db_seqnum(Client& c, uint32_t dest, const Deadline& d, uint32_t db_id,
                       uint64_t* seqnum);
int ctrl_get_capabilities(Client& c, uint32_t dest, const Deadline& d, uint32_t* caps);
int ctrl_getdebug(Client& c, uint32_t dest, const Deadline& d, int* level);
int ctrl_setdebug(Client& c, uint32_t dest, const Deadline& d, int level);
int ctrl_shutdown(Client& c, uint32_t dest, const Deadline& d);
int ctrl_process_exists(Client& c, uint32_t dest, const Deadline& d, int32_t pid, int* status);
int ctrl_db_open_flags(Client& c, uint32_t dest, const Deadline& d, uint32_t db_id,
                       int32_t* tdb_flags);
int ctrl_db_detach(Client& c, uint32_t dest, const Deadline& d, uint32_t db_id);

// Public addresses of `dest`; flags may be PUBLIC_IP_FLAGS_ONLY_AVAILABLE.
int ctrl_get_public_ips(Client& c, uint32_t dest, const Deadline& d, uint32_t flags,
                        proto::PublicIpList* out);
// Returns the daemon's status as is (-1: the node does not know the address).
int ctrl_get_public_ip_info(Client& c, uint32_t dest, const Deadline& d,
                            const proto::SockAddr& addr, proto::PublicIpInfo* out);
int ctrl_get_ifaces(Client& c, uint32_t dest, const Deadline& d, proto::IfaceList* out);
// *has_reclock is false when the daemon has no cluster lock (empty reply).
int ctrl_get_reclock_file(Client& c, uint32_t dest, const Deadline& d, std::string* reclock,
                          bool* has_reclock);
int ctrl_set_recmode(Client& c, uint32_t dest, const Deadline& d, uint32_t recmode);
int ctrl_set_ban_state(Client& c, uint32_t dest, const Deadline& d, const proto::BanState& b);
int ctrl_get_nodes_file(Client& c, uint32_t dest, const Deadline& d, proto::NodeMap* out);
int ctrl_get_db_statistics(Client& c, uint32_t dest, const Deadline& d, uint32_t db_id,
                           proto::DbStatistics* out);
// The seed's event script status for one event; *never_run when the reply is empty.
int ctrl_get_event_script_status(Client& c, uint32_t dest, const Deadline& d, uint32_t event,
                                 proto::ScriptList* out, bool* never_run);
// A control whose request is one u32 (db id, role, ...) and whose reply has no data.
int ctrl_u32(Client& c, uint32_t dest, const Deadline& d, uint32_t opcode, uint32_t value);

// Sends a control whose reply carries no data; logs failures as above.
int ctrl_simple(Client& c, uint32_t dest, const Deadline& d, uint32_t opcode, const Bytes& in,
                ControlReply* reply = nullptr);

}  // namespace ctdb::client
