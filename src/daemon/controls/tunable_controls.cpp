// Tunable controls: GET_TUNABLE, SET_TUNABLE, LIST_TUNABLES, GET_ALL_TUNABLES.
#include <cerrno>

#include "common/logging.h"
#include "daemon/controls/dispatch.h"
#include "daemon/daemon.h"
#include "protocol/types.h"

namespace ctdb::daemon {
namespace {

ControlReply get_tunable(Daemon& d, const ControlRequest& req) {
  proto::Reader r(req.c.data);
  std::string name;
  if (!r.stringn(&name)) return control_error();
  auto value = d.tunables().get(name);
  if (!value) {
    ControlReply rep;
    rep.status = -EINVAL;  // what the stock tool reports as an unknown name
    return rep;
  }
  ControlReply rep;
  rep.data = u32_bytes(*value);
  return rep;
}

ControlReply set_tunable(Daemon& d, const ControlRequest& req) {
  proto::Tunable t;
  if (!proto::from_bytes(req.c.data, &t)) return control_error();
  std::string error;
  switch (d.tunables().set(t.name, t.value, &error)) {
    case TunableSetResult::kOk:
      CTDB_LOGF(kLogNotice, "Tunable %s set to %u", t.name.c_str(), t.value);
      return {};
    case TunableSetResult::kObsolete: {
      CTDB_LOGF(kLogWarning, "Setting obsolete tunable \"%s\"", t.name.c_str());
      ControlReply rep;
      rep.status = 1;
      return rep;
    }
    default:
      CTDB_LOGF(kLogError, "SET_TUNABLE refused: %s", error.c_str());
      return control_error(error);
  }
}

ControlReply list_tunables(Daemon& d, const ControlRequest&) {
  proto::VarList list;
  list.vars = d.tunables().list();
  ControlReply rep;
  rep.data = proto::to_bytes(list);
  return rep;
}

ControlReply get_all_tunables(Daemon& d, const ControlRequest& req) {
  if (!req.c.data.empty()) return control_error();
  std::vector<uint32_t> wire = d.tunables().to_wire();
  proto::TunableList list;
  for (size_t i = 0; i < proto::TunableList::kCount && i < wire.size(); i++) {
    *list.field(i) = wire[i];
  }
  ControlReply rep;
  rep.data = proto::to_bytes(list);
  return rep;
}

}  // namespace

void register_tunable_controls(ControlTable& t) {
  t.add(CONTROL_GET_TUNABLE, get_tunable);
  t.add(CONTROL_SET_TUNABLE, set_tunable);
  t.add(CONTROL_LIST_TUNABLES, list_tunables);
  t.add(CONTROL_GET_ALL_TUNABLES, get_all_tunables);
}

}  // namespace ctdb::daemon
