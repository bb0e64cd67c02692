// Helpers the ctdb tool's commands share: nodemap cache, database lookup,
// leader discovery and the nodes file.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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

}  // namespace ctdb::tool
