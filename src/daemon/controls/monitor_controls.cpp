// Controls of the event scripts and node health: the recovery events, the
// seed's script status and enable/disable, running an event by hand, and the
// startup notice from other nodes.
#include <sstream>

#include "common/logging.h"
#include "daemon/controls/dispatch.h"
#include "daemon/monitor/monitor.h"
#include "daemon/monitor/script_dir.h"
#include "protocol/names.h"
#include "protocol/types.h"

namespace ctdb::daemon {
namespace {

// What these handlers work on.
struct MonitorCtx {
  monitor::Monitor& monitor;
  ReplySink& replies;
};

ControlReply async_reply() {
  ControlReply r;
  r.async = true;
  return r;
}

// START_RECOVERY and END_RECOVERY answer once their event has run; a failed
// event fails the control, and so the recovery (4.17's recovery helper).
std::function<void(int32_t)> answer_event(MonitorCtx& d, const ControlRequest& req,
                                          const char* failed) {
  return [&d, to = req.responder, failed](int32_t status) {
    ControlReply r;
    r.status = status;
    if (status != 0) r.errmsg = failed;
    d.replies.respond(to, r);
  };
}

ControlReply start_recovery(MonitorCtx& d, const ControlRequest& req) {
  d.monitor.startrecovery(answer_event(d, req, "startrecovery event failed"));
  return async_reply();
}

ControlReply end_recovery(MonitorCtx& d, const ControlRequest& req) {
  CTDB_LOGF(kLogNotice, "Recovery has finished");
  d.monitor.recovered(answer_event(d, req, "recovered event failed"));
  return async_reply();
}

ControlReply get_event_script_status(MonitorCtx& d, const ControlRequest& req) {
  uint32_t event;
  if (!payload_u32(req.c.data, &event) || proto::event_name(event) == nullptr) {
    return control_error("unknown event");
  }
  ControlReply r;
  const auto& last = d.monitor.runner().last_run(event);
  if (last) r.data = proto::to_bytes(*last);  // never run: no data, as 4.17
  return r;
}

ControlReply set_script(MonitorCtx& d, const ControlRequest& req, bool enable) {
  proto::Reader rd(req.c.data);
  std::string name, error;
  if (!proto::decode_cstring(rd, &name)) return control_error("bad script name");
  if (!monitor::set_script_enabled(d.monitor.runner().dir(), name, enable, &error)) {
    CTDB_LOGF(kLogError, "Cannot %s event script: %s", enable ? "enable" : "disable",
              error.c_str());
    return control_error(error);
  }
  CTDB_LOGF(kLogNotice, "Event script %s %s", name.c_str(), enable ? "enabled" : "disabled");
  return {};
}

ControlReply enable_script(MonitorCtx& d, const ControlRequest& req) {
  return set_script(d, req, true);
}
ControlReply disable_script(MonitorCtx& d, const ControlRequest& req) {
  return set_script(d, req, false);
}

// "EVENT ARG..." (the old `ctdb eventscript` and our `ctdb event run`):
// answers with 0 once the event succeeded, -1 otherwise.
ControlReply run_eventscripts(MonitorCtx& d, const ControlRequest& req) {
  proto::Reader rd(req.c.data);
  std::string line;
  if (!proto::decode_cstring(rd, &line)) return control_error("bad event arguments");
  std::istringstream in(line);
  std::string name, word;
  in >> name;
  std::vector<std::string> args;
  while (in >> word) args.push_back(word);
  uint32_t event;
  if (!proto::event_from_name(name, &event)) return control_error("unknown event " + name);
  Responder to = req.responder;
  std::string error;
  bool ok = d.monitor.run_event(
      event, std::move(args),
      [&d, to](monitor::EventResult result) {
        ControlReply r;
        if (result != monitor::EventResult::kOk) {
          r.status = -1;
          r.errmsg = std::string("event ") + monitor::event_result_name(result);
        }
        d.replies.respond(to, r);
      },
      &error);
  if (!ok) return control_error(error);
  return async_reply();
}

}  // namespace

void register_monitor_controls(ControlTable& t, monitor::Monitor& monitor, ReplySink& replies) {
  auto d = std::make_shared<MonitorCtx>(MonitorCtx{monitor, replies});
  t.add(CONTROL_START_RECOVERY, bind_handler(d, start_recovery));
  t.add(CONTROL_END_RECOVERY, bind_handler(d, end_recovery));
  t.add(CONTROL_GET_EVENT_SCRIPT_STATUS, bind_handler(d, get_event_script_status));
  t.add(CONTROL_ENABLE_SCRIPT, bind_handler(d, enable_script));
  t.add(CONTROL_DISABLE_SCRIPT, bind_handler(d, disable_script));
  t.add(CONTROL_RUN_EVENTSCRIPTS, bind_handler(d, run_eventscripts));
}

}  // namespace ctdb::daemon
