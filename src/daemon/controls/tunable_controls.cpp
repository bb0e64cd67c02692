// Tunable controls: GET_TUNABLE, SET_TUNABLE, LIST_TUNABLES, GET_ALL_TUNABLES.
#include <cerrno>

#include "common/logging.h"
#include "common/tunables.h"
#include "daemon/controls/dispatch.h"
#include "protocol/types.h"

namespace ctdb::daemon {
namespace {

ControlReply get_tunable(Tunables& tunables, const ControlRequest& req) {
  proto::Reader r(req.c.data);
  std::string name;
  if (!r.stringn(&name)) return control_error();
  auto value = tunables.get(name);
  if (!value) {
    ControlReply rep;
    rep.status = -EINVAL;  // what the stock tool reports as an unknown name
    return rep;
  }
  ControlReply rep;
  rep.data = u32_bytes(*value);
  return rep;
}

ControlReply set_tunable(Tunables& tunables, const ControlRequest& req) {
  proto::Tunable t;
  if (!proto::from_bytes(req.c.data, &t)) return control_error();
  std::string error;
  switch (tunables.set(t.name, t.value, &error)) {
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

ControlReply list_tunables(Tunables& tunables, const ControlRequest&) {
  proto::VarList list;
  list.vars = tunables.list();
  ControlReply rep;
  rep.data = proto::to_bytes(list);
  return rep;
}

ControlReply get_all_tunables(Tunables& tunables, const ControlRequest& req) {
  if (!req.c.data.empty()) return control_error();
  std::vector<uint32_t> wire = tunables.to_wire();
  proto::TunableList list;
  for (size_t i = 0; i < proto::TunableList::kCount && i < wire.size(); i++) {
    *list.field(i) = wire[i];
  }
  ControlReply rep;
  rep.data = proto::to_bytes(list);
  return rep;
}

}  // namespace

void register_tunable_controls(ControlTable& t, Tunables& tunables) {
  t.add(CONTROL_GET_TUNABLE, bind_handler(tunables, get_tunable));
  t.add(CONTROL_SET_TUNABLE, bind_handler(tunables, set_tunable));
  t.add(CONTROL_LIST_TUNABLES, bind_handler(tunables, list_tunables));
  t.add(CONTROL_GET_ALL_TUNABLES, bind_handler(tunables, get_all_tunables));
}

}  // namespace ctdb::daemon
