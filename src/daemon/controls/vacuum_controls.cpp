// Controls of vacuuming: SCHEDULE_FOR_DELETION (clients), VACUUM_FETCH and TRY_DELETE_RECORDS
// (between nodes), DB_VACUUM (a run on demand). The work is the VacuumManager's (vacuum.h).
#include <cerrno>

#include "common/logging.h"
#include "daemon/controls/dispatch.h"
#include "daemon/db/vacuum.h"
#include "protocol/types.h"

namespace ctdb::daemon {
namespace {

// What these handlers work on.
struct VacuumCtx {
  VacuumManager& vacuum;
  ReplySink& replies;
};

// smbd and the tools send this after emptying a record (usually with NOREPLY).
ControlReply schedule_for_deletion(VacuumCtx& d, const ControlRequest& req) {
  proto::KeyData kd;
  if (!proto::from_bytes(req.c.data, &kd)) return control_error();
  if (!d.vacuum.schedule_for_deletion(kd)) {
    CTDB_LOGF(kLogError, "SCHEDULE_FOR_DELETION: unknown db id 0x%08x", kd.db_id);
    return control_error();
  }
  return {};
}

// A rec_buffer may carry bytes after its records inside a control (4.17 tolerates them).
bool recbuf_payload(const proto::Bytes& data, proto::RecBuffer* recs) {
  proto::Reader r(data);
  return proto::decode(r, recs) && r.ok();
}

ControlReply vacuum_fetch(VacuumCtx& d, const ControlRequest& req) {
  proto::RecBuffer recs;
  if (!recbuf_payload(req.c.data, &recs)) {
    CTDB_LOGF(kLogError, "Invalid data in vacuum_fetch");
    return control_error();
  }
  if (!d.vacuum.vacuum_fetch(recs)) {
    CTDB_LOGF(kLogError, "VACUUM_FETCH: unknown db 0x%08x", recs.db_id);
    return control_error();
  }
  return {};
}

// The reply lists the records this node kept (4.17: "the records we failed to delete").
ControlReply try_delete_records(VacuumCtx& d, const ControlRequest& req) {
  proto::RecBuffer recs;
  if (!recbuf_payload(req.c.data, &recs)) {
    CTDB_LOGF(kLogError, "invalid data in try_delete_records");
    return control_error();
  }
  proto::RecBuffer kept;
  if (!d.vacuum.try_delete_records(recs, &kept)) return control_error();
  ControlReply r;
  r.data = proto::to_bytes(kept);
  return r;
}

// Answers once the run is over: 0 if it went through, -1 if it was aborted or could not start
// (another run going, recovery).
ControlReply db_vacuum(VacuumCtx& d, const ControlRequest& req) {
  proto::DbVacuum v;
  if (!proto::from_bytes(req.c.data, &v)) return control_error();
  Responder to = req.responder;
  int err = d.vacuum.start_run(v.db_id, v.full_vacuum_run, [&d, to](int32_t status) {
    ControlReply r;
    r.status = status;
    d.replies.respond(to, r);
  });
  if (err == 0) {
    ControlReply r;
    r.async = true;
    return r;
  }
  if (err == EBUSY) {
    CTDB_LOGF(kLogWarning, "Vacuuming collision");
  } else if (err == ENOENT) {
    CTDB_LOGF(kLogError, "DB_VACUUM: unknown or non-volatile db id 0x%08x", v.db_id);
  } else {
    CTDB_LOGF(kLogError, "Temporary vacuuming failure, ret=%d", err);
  }
  return control_error();
}

}  // namespace

void register_vacuum_controls(ControlTable& t, VacuumManager& vacuum, ReplySink& replies) {
  auto d = std::make_shared<VacuumCtx>(VacuumCtx{vacuum, replies});
  t.add(CONTROL_SCHEDULE_FOR_DELETION, bind_handler(d, schedule_for_deletion));
  t.add(CONTROL_VACUUM_FETCH, bind_handler(d, vacuum_fetch), ControlAccess::kNodeOnly);
  t.add(CONTROL_TRY_DELETE_RECORDS, bind_handler(d, try_delete_records));
  t.add(CONTROL_DB_VACUUM, bind_handler(d, db_vacuum));
}

}  // namespace ctdb::daemon
