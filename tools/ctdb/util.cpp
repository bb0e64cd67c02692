// Helpers the ctdb tool's commands share: nodemap cache, database lookup, leader
// discovery, generations, takeover runs, multi-node controls, the nodes file.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>

#include "client/controls.h"
#include "client/format.h"
#include "tool.h"

namespace ctdb::tool {

const proto::NodeMap* get_nodemap(Context* ctx, bool force) {
  if (force) ctx->nodemap.reset();
  if (ctx->nodemap) return &*ctx->nodemap;

  uint32_t current = ctx->pnn;
  for (;;) {
    proto::NodeMap nodemap;
    if (client::ctrl_get_nodemap(ctx->c(), current, ctx->timeout(), &nodemap) != 0) {
      fprintf(stderr, "Failed to get nodemap from node %u\n", current);
      return nullptr;
    }
    auto by_pnn = [&](uint32_t pnn) -> const proto::NodeAndFlags* {
      for (const auto& n : nodemap.nodes) {
        if (n.pnn == pnn) return &n;
      }
      return nullptr;
    };
    const proto::NodeAndFlags* node = by_pnn(current);
    if (node == nullptr || !(node->flags & NODE_FLAGS_BANNED) || nodemap.nodes.empty()) {
      ctx->nodemap = std::move(nodemap);
      return &*ctx->nodemap;
    }
    // A banned node's view may be stale: ask the next reachable node instead.
    do {
      current = (current + 1) % static_cast<uint32_t>(nodemap.nodes.size());
      node = by_pnn(current);
      if (node != nullptr && !(node->flags & (NODE_FLAGS_DELETED | NODE_FLAGS_DISCONNECTED))) {
        break;
      }
    } while (current != ctx->pnn);
    if (current == ctx->pnn) {
      fprintf(stderr, "Warning: All nodes are banned.\n");
      return nullptr;
    }
  }
}

bool db_exists(Context* ctx, const std::string& arg, uint32_t* db_id, std::string* db_name,
               uint8_t* db_flags) {
  proto::DbIdMap dbmap;
  if (client::ctrl_get_dbmap(ctx->c(), ctx->pnn, ctx->timeout(), &dbmap) != 0) return false;

  const proto::DbId* found = nullptr;
  std::string name;
  if (arg.compare(0, 2, "0x") == 0) {
    unsigned long id = 0;
    if (client::parse_ulong(arg, &id) != 0) return false;
    for (const auto& db : dbmap.dbs) {
      if (db.db_id == id) {
        found = &db;
        break;
      }
    }
  } else {
    for (const auto& db : dbmap.dbs) {
      std::string n;
      if (client::ctrl_get_dbname(ctx->c(), ctx->pnn, ctx->timeout(), db.db_id, &n) != 0) {
        return false;
      }
      if (n == arg) {
        found = &db;
        name = n;
        break;
      }
    }
  }
  if (found == nullptr) {
    fprintf(stderr, "No database matching '%s' found\n", arg.c_str());
    return false;
  }
  if (name.empty() &&
      client::ctrl_get_dbname(ctx->c(), ctx->pnn, ctx->timeout(), found->db_id, &name) != 0) {
    return false;
  }
  if (db_id) *db_id = found->db_id;
  if (db_name) *db_name = name;
  if (db_flags) *db_flags = found->flags;
  return true;
}

int get_leader(Context* ctx, uint32_t* leader) {
  // The leader announces itself to SRVID_LEADER every few seconds; without an
  // announcement within the time limit there is no leader.
  client::Deadline deadline = ctx->timeout();
  while (ctx->leader_pnn == UNKNOWN_PNN) {
    client::Message msg;
    int err = ctx->c().wait_message(deadline, &msg);
    if (err == ETIMEDOUT) break;
    if (err != 0) {
      fprintf(stderr, "Error getting leader\n");
      return err;
    }
    if (msg.srvid != SRVID_LEADER) continue;
    proto::Reader r(msg.data);
    uint32_t pnn;
    if (r.u32(&pnn)) ctx->leader_pnn = pnn;
  }
  *leader = ctx->leader_pnn;
  return 0;
}

void print_pnn(uint32_t pnn) {
  if (pnn == UNKNOWN_PNN) {
    printf("UNKNOWN\n");
  } else {
    printf("%u\n", pnn);
  }
}

std::optional<proto::NodeMap> read_nodes_file() {
  const char* base = getenv("CTDB_BASE");
  std::string path = std::string(base != nullptr ? base : "/etc/ctdb") + "/nodes";
  std::ifstream in(path);
  if (!in) {
    fprintf(stderr, "Failed to read nodes file \"%s\"\n", path.c_str());
    return std::nullopt;
  }
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  while (!lines.empty() && lines.back().empty()) lines.pop_back();

  proto::NodeMap nodemap;
  for (std::string line : lines) {
    size_t b = line.find_first_not_of(" \t");
    line = b == std::string::npos ? "" : line.substr(b);
    while (line.size() > 1 && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
    if (line.empty()) continue;
    proto::NodeAndFlags node;
    node.pnn = static_cast<uint32_t>(nodemap.nodes.size());
    // A commented-out line is a deleted node: it keeps its pnn slot.
    std::string text = line;
    if (line[0] == '#') {
      node.flags = NODE_FLAGS_DELETED;
      text = "0.0.0.0";
    }
    auto addr = proto::SockAddr::parse(text);
    if (!addr) {
      fprintf(stderr, "Invalid IP address %s\n", text.c_str());
      fprintf(stderr, "Failed to read nodes file \"%s\"\n", path.c_str());
      return std::nullopt;
    }
    node.addr = *addr;
    nodemap.nodes.push_back(node);
  }
  return nodemap;
}

std::vector<uint32_t> list_of_nodes(const proto::NodeMap& nodemap, uint32_t exclude_flags) {
  std::vector<uint32_t> pnns;
  for (const auto& n : nodemap.nodes) {
    if (n.flags & exclude_flags) continue;
    pnns.push_back(n.pnn);
  }
  return pnns;
}

int get_generation(Context* ctx, uint32_t* generation) {
  // Recovery ends with a new generation on the leader; until then, ask again
  // once a second as 4.17 does (the tool's -T limit bounds the wait).
  for (;;) {
    uint32_t leader = UNKNOWN_PNN;
    int ret = get_leader(ctx, &leader);
    if (ret != 0) {
      fprintf(stderr, "Failed to find leader\n");
      return ret;
    }
    int recmode = 0;
    ret = client::ctrl_get_recmode(ctx->c(), leader, ctx->timeout(), &recmode);
    if (ret != 0) {
      fprintf(stderr, "Failed to get recovery mode from node %u\n", leader);
      return ret;
    }
    if (recmode == static_cast<int>(RECOVERY_ACTIVE)) {
      sleep(1);
      continue;
    }
    proto::VnnMap vnnmap;
    ret = client::ctrl_getvnnmap(ctx->c(), leader, ctx->timeout(), &vnnmap);
    if (ret != 0) {
      fprintf(stderr, "Failed to get generation from node %u\n", leader);
      return ret;
    }
    if (vnnmap.generation == INVALID_GENERATION) {
      sleep(1);
      continue;
    }
    *generation = vnnmap.generation;
    return 0;
  }
}

int control_multi(Context* ctx, const std::vector<uint32_t>& pnns, uint32_t opcode,
                  const Bytes& data, std::vector<client::ControlReply>* replies) {
  int first_error = 0;
  if (replies != nullptr) replies->assign(pnns.size(), client::ControlReply());
  for (size_t i = 0; i < pnns.size(); i++) {
    client::ControlReply reply;
    int err = ctx->c().control(pnns[i], opcode, data, ctx->timeout(), &reply);
    if (err == 0 && reply.status != 0) err = reply.status;
    if (err != 0 && first_error == 0) first_error = err;
    if (replies != nullptr) (*replies)[i] = std::move(reply);
  }
  return first_error;
}

namespace {

// Waits for a message to `srvid` until the deadline; leader announcements seen
// meanwhile are remembered, anything else is dropped.
}  // namespace

int wait_srvid_message(Context* ctx, uint64_t srvid, const client::Deadline& deadline,
                       Bytes* data) {
  for (;;) {
    client::Message msg;
    int err = ctx->c().wait_message(deadline, &msg);
    if (err != 0) return err;
    if (msg.srvid == SRVID_LEADER) {
      proto::Reader r(msg.data);
      uint32_t pnn;
      if (r.u32(&pnn)) ctx->leader_pnn = pnn;
      continue;
    }
    if (msg.srvid == srvid) {
      *data = std::move(msg.data);
      return 0;
    }
  }
}

int ipreallocate(Context* ctx) {
  proto::SrvidMessage request;
  request.pnn = ctx->pnn;
  request.srvid = ctx->next_srvid();
  int ret = ctx->c().register_srvid(request.srvid);
  if (ret != 0) return ret;
  Bytes payload = proto::to_bytes(request);
  for (;;) {
    ret = ctx->c().send_message(BROADCAST_CONNECTED, SRVID_TAKEOVER_RUN, payload);
    if (ret != 0) break;
    // No answer within -t: the leader may have changed, so ask again.
    Bytes data;
    client::Deadline deadline = ctx->timeout();
    bool answered = false;
    int32_t status = 0;
    while (wait_srvid_message(ctx, request.srvid, deadline, &data) == 0) {
      proto::Reader r(data);
      uint32_t v;
      if (data.size() != 4 || !r.u32(&v)) continue;  // not an answer: ignore
      status = static_cast<int32_t>(v);
      answered = true;
      break;
    }
    if (!answered) continue;
    ret = status >= 0 ? 0 : status;
    break;
  }
  ctx->c().deregister_srvid(request.srvid);
  return ret;
}

int parse_data_arg(const std::string& arg, const char* what, Bytes* out) {
  std::string error;
  int ret = client::string_to_data(arg, out, &error);
  if (ret != 0) {
    fputs(error.c_str(), stderr);
    fprintf(stderr, "Failed to parse %s %s\n", what, arg.c_str());
  }
  return ret;
}

void RecordPrinter::print(const Bytes& key, const proto::LtdbHeader& header, const Bytes& data) {
  buf_ += client::dump_data("key", key);
  buf_ += client::dump_ltdb_header(header.dmaster, header.rsn, header.flags);
  buf_ += client::dump_data("data", data);
  buf_ += '\n';
  if (buf_.size() >= 64 * 1024) flush();
}

void RecordPrinter::flush() {
  if (buf_.empty()) return;
  fwrite(buf_.data(), 1, buf_.size(), stdout);
  fflush(stdout);
  buf_.clear();
}

}  // namespace ctdb::tool
