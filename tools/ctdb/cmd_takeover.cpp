// ctdb commands that change where public addresses are and what they carry: moveip, addip,
// delip, reloadips, setifacelink, gratarp, and the TCP tickle lists (gettickles, addtickle,
// deltickle, tickle), with 4.17's arguments, messages and exit codes.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <optional>
#include <string>

#include "client/controls.h"
#include "common/raw_net.h"
#include "tool.h"

namespace ctdb::tool {
namespace {

bool parse_ip(const std::string& arg, proto::SockAddr* out) {
  auto a = proto::SockAddr::parse(arg);
  if (!a) {
    fprintf(stderr, "Invalid IP address %s\n", arg.c_str());
    return false;
  }
  *out = *a;
  return true;
}

bool parse_ip_port(const std::string& arg, proto::SockAddr* out) {
  auto a = proto::SockAddr::parse_with_port(arg);
  if (!a) {
    fprintf(stderr, "Invalid IP address %s\n", arg.c_str());
    return false;
  }
  *out = *a;
  return true;
}

// "IP:PORT IP:PORT" pairs from stdin, one a line (blank and '#' lines skipped), as 4.17 reads
// them for addtickle, deltickle and tickle without arguments. False on a malformed line.
bool read_connections(std::vector<proto::Connection>* out) {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty() || line[0] == '#') continue;
    char a[128], b[128];
    if (line.size() >= sizeof(a) || sscanf(line.c_str(), "%127s %127s", a, b) != 2) return false;
    auto src = proto::SockAddr::parse_with_port(a);
    auto dst = proto::SockAddr::parse_with_port(b);
    if (!src || !dst || src->family != dst->family) return false;
    out->push_back({*src, *dst});
  }
  return true;
}

bool knows_ip(const proto::PublicIpList& ips, const proto::SockAddr& addr) {
  for (const auto& ip : ips.ips) {
    if (ip.addr.same_ip(addr)) return true;
  }
  return false;
}

// Asks every node in `pnns` to hold off takeover runs for `seconds` (0: resume) and waits for
// all answers, as 4.17's reloadips does; 0, 1 when a node refused, or ETIME.
int disable_takeover_runs(Context* ctx, uint32_t seconds, const std::vector<uint32_t>& pnns) {
  proto::DisableMessage m;
  m.pnn = ctx->pnn;
  m.srvid = ctx->next_srvid();
  m.timeout = seconds;
  int ret = ctx->c().register_srvid(m.srvid);
  if (ret != 0) return ret;
  Bytes payload = proto::to_bytes(m);
  for (uint32_t pnn : pnns) {
    ret = ctx->c().send_message(pnn, SRVID_DISABLE_TAKEOVER_RUNS, payload);
    if (ret != 0) break;
  }
  int32_t worst = 0;
  size_t answers = 0;
  client::Deadline deadline = ctx->timeout();
  while (ret == 0 && answers < pnns.size()) {
    Bytes data;
    if (wait_srvid_message(ctx, m.srvid, deadline, &data) != 0) {
      fprintf(stderr, "Timed out waiting to disable takeover runs\n");
      ret = ETIME;
      break;
    }
    proto::Reader r(data);
    uint32_t v;
    if (data.size() != 4 || !r.u32(&v)) continue;
    answers++;
    if (static_cast<int32_t>(v) < worst) worst = static_cast<int32_t>(v);
  }
  if (ret == 0 && worst < 0) ret = 1;
  ctx->c().deregister_srvid(m.srvid);
  return ret;
}

// One attempt of moveip: every other active node releases the address (telling them where it
// goes), then `pnn` takes it.
int moveip_once(Context* ctx, const proto::SockAddr& addr, uint32_t pnn) {
  proto::Bytes timeout;
  proto::Writer(&timeout).u32(static_cast<uint32_t>(2 * options.timelimit));
  int ret = ctx->c().send_message(BROADCAST_CONNECTED, SRVID_DISABLE_IP_CHECK, timeout);
  if (ret != 0) {
    fprintf(stderr, "Failed to disable IP check\n");
    return ret;
  }
  proto::PublicIpList ips;
  ret = client::ctrl_get_public_ips(ctx->c(), pnn, ctx->timeout(), 0, &ips);
  if (ret != 0) {
    fprintf(stderr, "Failed to get Public IPs from node %u\n", pnn);
    return ret;
  }
  if (!knows_ip(ips, addr)) {
    fprintf(stderr, "Node %u CANNOT host IP address %s\n", pnn, addr.to_string().c_str());
    return 1;
  }
  const proto::NodeMap* nodemap = get_nodemap(ctx, true);
  if (nodemap == nullptr) return 1;
  std::vector<uint32_t> others;
  for (uint32_t n : list_of_nodes(*nodemap, NODE_FLAGS_INACTIVE)) {
    if (n != pnn) others.push_back(n);
  }
  proto::PublicIp ip{pnn, addr};
  ret = control_multi(ctx, others, CONTROL_RELEASE_IP, proto::to_bytes(ip));
  if (ret != 0) {
    fprintf(stderr, "Failed to release IP on nodes\n");
    return ret;
  }
  ret =
      client::ctrl_simple(ctx->c(), pnn, ctx->timeout(), CONTROL_TAKEOVER_IP, proto::to_bytes(ip));
  if (ret != 0) {
    fprintf(stderr, "Failed to takeover IP on node %u\n", pnn);
    return ret;
  }
  return 0;
}

// addtickle / deltickle: one connection from the arguments or many from stdin.
int change_tickles(Context* ctx, const std::vector<std::string>& args, const char* cmd,
                   uint32_t opcode, const char* one_failed, const char* many_failed) {
  if (!args.empty() && args.size() != 2) usage(cmd);
  std::vector<proto::Connection> conns;
  if (args.empty()) {
    if (!read_connections(&conns)) return EINVAL;
    unsigned failed = 0;
    for (const proto::Connection& c : conns) {
      if (client::ctrl_simple(ctx->c(), ctx->cmd_pnn, ctx->timeout(), opcode, proto::to_bytes(c)) !=
          0) {
        failed++;
      }
    }
    if (failed > 0) {
      fprintf(stderr, "%s %u tickles\n", many_failed, failed);
      return 1;
    }
    return 0;
  }
  proto::Connection c;
  if (!parse_ip_port(args[0], &c.src) || !parse_ip_port(args[1], &c.dst)) return 1;
  int ret = client::ctrl_simple(ctx->c(), ctx->cmd_pnn, ctx->timeout(), opcode, proto::to_bytes(c));
  if (ret != 0) {
    fprintf(stderr, "%s\n", one_failed);
    return ret;
  }
  return 0;
}

}  // namespace

int control_setifacelink(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) usage("setifacelink");
  if (args[0].size() > IFACE_SIZE) {
    fprintf(stderr, "Interface name '%s' too long\n", args[0].c_str());
    return 1;
  }
  proto::IfaceList ifaces;
  int ret = client::ctrl_get_ifaces(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &ifaces);
  if (ret != 0) {
    fprintf(stderr, "Failed to get interface information from node %u\n", ctx->cmd_pnn);
    return ret;
  }
  proto::Iface* iface = nullptr;
  for (auto& i : ifaces.ifaces) {
    if (i.name == args[0]) iface = &i;
  }
  if (iface == nullptr) {
    print_failure("Interface %s not configured on node %u\n", args[0].c_str(), ctx->cmd_pnn);
    return 1;
  }
  if (args[1] == "up") {
    iface->link_state = 1;
  } else if (args[1] == "down") {
    iface->link_state = 0;
  } else {
    usage("setifacelink");
  }
  iface->references = 0;
  ret = client::ctrl_simple(ctx->c(), ctx->cmd_pnn, ctx->timeout(), CONTROL_SET_IFACE_LINK_STATE,
                            proto::to_bytes(*iface));
  if (ret != 0) {
    fprintf(stderr, "Failed to set interface %s link state on node %u\n", args[0].c_str(),
            ctx->cmd_pnn);
  }
  return ret;
}

int control_gratarp(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) usage("gratarp");
  proto::AddrInfo info;
  if (!parse_ip(args[0], &info.addr)) return 1;
  info.iface = args[1];
  int ret = client::ctrl_simple(ctx->c(), ctx->cmd_pnn, ctx->timeout(), CONTROL_SEND_GRATUITOUS_ARP,
                                proto::to_bytes(info));
  if (ret != 0) fprintf(stderr, "Unable to send gratuitous arp from node %u\n", ctx->cmd_pnn);
  return ret;
}

// The tickle goes to the first address of each pair, from the second (4.17's order).
int control_tickle(Context*, const std::vector<std::string>& args) {
  if (!args.empty() && args.size() != 2) usage("tickle");
  if (args.empty()) {
    std::vector<proto::Connection> conns;
    if (!read_connections(&conns)) return EINVAL;
    unsigned failed = 0;
    for (const proto::Connection& c : conns) {
      if (raw_net::send_tcp(c.dst, c.src, 0, 0, false) != 0) failed++;
    }
    if (failed > 0) {
      fprintf(stderr, "Failed to send %u tickles\n", failed);
      return 1;
    }
    return 0;
  }
  proto::SockAddr to, from;
  if (!parse_ip_port(args[0], &to) || !parse_ip_port(args[1], &from)) return 1;
  int ret = raw_net::send_tcp(from, to, 0, 0, false);
  if (ret != 0) {
    fprintf(stderr, "Failed to send tickle ack\n");
    return ret;
  }
  return 0;
}

int control_gettickles(Context* ctx, const std::vector<std::string>& args) {
  if (args.empty() || args.size() > 2) usage("gettickles");
  unsigned long port = 0;
  if (args.size() == 2) {
    char* end = nullptr;
    errno = 0;
    port = strtoul(args[1].c_str(), &end, 10);
    if (errno != 0 || end == args[1].c_str() || *end != 0) return EINVAL;
  }
  proto::SockAddr addr;
  if (!parse_ip(args[0], &addr)) return 1;
  addr.port = static_cast<uint16_t>(port);
  client::ControlReply reply;
  proto::TickleList list;
  int ret = client::ctrl_simple(ctx->c(), ctx->cmd_pnn, ctx->timeout(), CONTROL_GET_TCP_TICKLE_LIST,
                                proto::to_bytes(addr), &reply);
  if (ret == 0 && !proto::from_bytes(reply.data, &list)) ret = EPROTO;
  if (ret != 0) {
    fprintf(stderr, "Failed to get list of connections\n");
    return ret;
  }
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).field("address", list.addr.to_string());
    w.key("connections").begin_array();
    for (const auto& c : list.conns) {
      w.begin_object().field("source", c.src.to_string()).field("source_port", c.src.port);
      w.field("destination", c.dst.to_string()).field("destination_port", c.dst.port);
      w.end_object();
    }
    print_json(ctx, w.end_array().end_object());
    return 0;
  }
  const char* s = options.sep;
  if (options.machinereadable) {
    // "Destiation" is 4.17's spelling.
    printf("%sSource IP%sPort%sDestiation IP%sPort%s\n", s, s, s, s, s);
    for (const auto& c : list.conns) {
      printf("%s%s%s%u%s%s%s%u%s\n", s, c.src.to_string().c_str(), s, c.src.port, s,
             c.dst.to_string().c_str(), s, c.dst.port, s);
    }
  } else {
    printf("Connections for IP: %s\n", list.addr.to_string().c_str());
    printf("Num connections: %zu\n", list.conns.size());
    for (const auto& c : list.conns) {
      printf("SRC: %s   DST: %s\n", c.src.to_string_with_port().c_str(),
             c.dst.to_string_with_port().c_str());
    }
  }
  return 0;
}

int control_addtickle(Context* ctx, const std::vector<std::string>& args) {
  return change_tickles(ctx, args, "addtickle", CONTROL_TCP_ADD_DELAYED_UPDATE,
                        "Failed to register connection", "Failed to add");
}

int control_deltickle(Context* ctx, const std::vector<std::string>& args) {
  return change_tickles(ctx, args, "deltickle", CONTROL_TCP_REMOVE,
                        "Failed to unregister connection", "Failed to remove");
}

int control_moveip(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) usage("moveip");
  proto::SockAddr addr;
  if (!parse_ip(args[0], &addr)) return 1;
  char* end = nullptr;
  errno = 0;
  unsigned long pnn = strtoul(args[1].c_str(), &end, 10);
  if (errno != 0 || end == args[1].c_str() || *end != 0 || pnn >= UNKNOWN_PNN) {
    fprintf(stderr, "Invalid PNN %s\n", args[1].c_str());
    return 1;
  }
  int ret = 0;
  // 4.17 tries five times, three seconds apart.
  for (int attempt = 0; attempt < 5; attempt++) {
    ret = moveip_once(ctx, addr, static_cast<uint32_t>(pnn));
    if (ret == 0) break;
    sleep(3);
  }
  if (ret != 0) {
    fprintf(stderr, "Failed to move IP %s to node %lu\n", args[0].c_str(), pnn);
  }
  return ret;
}

int control_addip(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 2) usage("addip");
  size_t slash = args[0].rfind('/');
  proto::AddrInfo info;
  std::optional<proto::SockAddr> addr;
  char* end = nullptr;
  unsigned long mask = 0;
  if (slash != std::string::npos) {
    addr = proto::SockAddr::parse(args[0].substr(0, slash));
    errno = 0;
    mask = strtoul(args[0].c_str() + slash + 1, &end, 10);
  }
  if (!addr || end == args[0].c_str() + slash + 1 || *end != 0 || errno != 0 ||
      mask > (addr->is_ipv6() ? 128u : 32u)) {
    fprintf(stderr, "Invalid IP/Mask %s\n", args[0].c_str());
    return 1;
  }
  proto::PublicIpList ips;
  if (client::ctrl_get_public_ips(ctx->c(), ctx->cmd_pnn, ctx->timeout(), 0, &ips) != 0) {
    fprintf(stderr, "Failed to get Public IPs from node %u\n", ctx->cmd_pnn);
    return 1;
  }
  if (knows_ip(ips, *addr)) {
    fprintf(stderr, "Node already knows about IP %s\n", addr->to_string().c_str());
    return 0;
  }
  info.addr = *addr;
  info.mask = static_cast<uint32_t>(mask);
  info.iface = args[1];
  int ret = 0;
  for (int attempt = 0; attempt < 5; attempt++) {
    ret = client::ctrl_simple(ctx->c(), ctx->cmd_pnn, ctx->timeout(), CONTROL_ADD_PUBLIC_IP,
                              proto::to_bytes(info));
    if (ret == 0) break;
    sleep(3);
  }
  if (ret != 0) {
    fprintf(stderr, "Failed to add public IP to node %u. Giving up\n", ctx->cmd_pnn);
    return ret;
  }
  // The leader moves addresses onto the node at the next takeover run.
  proto::Bytes pnn;
  proto::Writer(&pnn).u32(ctx->cmd_pnn);
  ret = ctx->c().send_message(BROADCAST_CONNECTED, SRVID_REBALANCE_NODE, pnn);
  if (ret != 0) fprintf(stderr, "Failed to ask leader to distribute IPs\n");
  return ret;
}

int control_delip(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("delip");
  proto::AddrInfo info;
  if (!parse_ip(args[0], &info.addr)) return 1;
  proto::PublicIpList ips;
  if (client::ctrl_get_public_ips(ctx->c(), ctx->cmd_pnn, ctx->timeout(), 0, &ips) != 0) {
    fprintf(stderr, "Failed to get Public IPs from node %u\n", ctx->cmd_pnn);
    return 1;
  }
  if (!knows_ip(ips, info.addr)) {
    fprintf(stderr, "Node does not know about IP address %s\n", info.addr.to_string().c_str());
    return 0;
  }
  int ret = client::ctrl_simple(ctx->c(), ctx->cmd_pnn, ctx->timeout(), CONTROL_DEL_PUBLIC_IP,
                                proto::to_bytes(info));
  if (ret != 0) fprintf(stderr, "Failed to delete public IP from node %u\n", ctx->cmd_pnn);
  return ret;
}

int control_reloadips(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() > 1) usage("reloadips");
  const proto::NodeMap* nodemap = get_nodemap(ctx, false);
  if (nodemap == nullptr) return 1;
  std::vector<uint32_t> connected = list_of_nodes(*nodemap, NODE_FLAGS_DISCONNECTED);
  proto::NodeMap targets;
  if (!parse_nodestring(ctx, args.empty() ? nullptr : &args[0], &targets)) return 1;
  std::vector<uint32_t> active = list_of_nodes(targets, NODE_FLAGS_INACTIVE);
  // Every connected node must hold off takeover runs while the lists change.
  int ret = disable_takeover_runs(ctx, static_cast<uint32_t>(2 * options.timelimit), connected);
  if (ret != 0) {
    fprintf(stderr, "Failed to disable takeover runs\n");
    return ret;
  }
  if (control_multi(ctx, active, CONTROL_RELOAD_PUBLIC_IPS, {}) != 0) {
    fprintf(stderr, "Failed to reload IPs on some nodes.\n");
  }
  ret = disable_takeover_runs(ctx, 0, connected);
  if (ret != 0) {
    fprintf(stderr, "Failed to enable takeover runs\n");
    return ret;
  }
  return ipreallocate(ctx);
}

}  // namespace ctdb::tool
