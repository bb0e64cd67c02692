// ctdb commands about public addresses and interfaces: ip (one node, `all`, or the seed's -n all),
// ipinfo, ifaces.
#include <stdio.h>
#include <string.h>

#include <algorithm>

#include "client/controls.h"
#include "tool.h"

namespace ctdb::tool {
namespace {

// 4.17's ordering of public addresses: family, address bytes, then port.
bool ip_less(const proto::PublicIp& a, const proto::PublicIp& b) {
  if (a.addr.family != b.addr.family) return a.addr.family < b.addr.family;
  size_t len = a.addr.is_ipv6() ? 16 : 4;
  int c = memcmp(a.addr.addr.data(), b.addr.addr.data(), len);
  if (c != 0) return c < 0;
  // The port is compared as stored on the wire (network order).
  auto net = [](uint16_t p) { return static_cast<uint16_t>((p >> 8) | (p << 8)); };
  return net(a.addr.port) < net(b.addr.port);
}

// Every address any active node serves, with the node that claims to host it; addresses that no
// node claims get UNKNOWN_PNN.
int get_all_public_ips(Context* ctx, proto::PublicIpList* out) {
  const proto::NodeMap* nodemap = get_nodemap(ctx, false);
  if (nodemap == nullptr) return 1;
  std::vector<uint32_t> pnns = list_of_nodes(*nodemap, NODE_FLAGS_INACTIVE);
  if (pnns.empty()) return 1;
  std::vector<proto::PublicIp> all;
  for (uint32_t pnn : pnns) {
    proto::PublicIpList ips;
    if (client::ctrl_get_public_ips(ctx->c(), pnn, ctx->timeout(), 0, &ips) != 0) return 1;
    for (const auto& ip : ips.ips) {
      auto it = std::find_if(all.begin(), all.end(),
                             [&](const proto::PublicIp& x) { return x.addr == ip.addr; });
      if (ip.pnn == pnn) {
        // A node's claim to host the address wins over anyone's hearsay.
        if (it == all.end()) {
          all.push_back(ip);
        } else {
          *it = ip;
        }
      } else if (it == all.end()) {
        proto::PublicIp unknown = ip;
        unknown.pnn = UNKNOWN_PNN;
        all.push_back(unknown);
      }
    }
  }
  out->ips = std::move(all);
  return 0;
}

void print_ips(Context* ctx, const proto::PublicIpList& ips,
               const std::vector<std::optional<proto::PublicIpInfo>>& infos, bool all_nodes) {
  const char* s = options.sep;
  bool machine = options.machinereadable == 1;
  bool verbose = options.verbose == 1;
  if (machine) {
    printf("%sPublic IP%sNode%s", s, s, s);
    if (verbose) {
      printf("ActiveInterfaces%sAvailableInterfaces%sConfiguredInterfaces%s\n", s, s, s);
    } else {
      printf("\n");
    }
  } else if (all_nodes) {
    printf("Public IPs on ALL nodes\n");
  } else {
    printf("Public IPs on node %u\n", ctx->cmd_pnn);
  }

  for (size_t i = 0; i < ips.ips.size(); i++) {
    const proto::PublicIp& ip = ips.ips[i];
    std::string addr = ip.addr.to_string();
    int pnn = static_cast<int>(ip.pnn);
    if (machine) {
      printf("%s%s%s%d%s", s, addr.c_str(), s, pnn, s);
    } else {
      printf("%s", addr.c_str());
    }
    if (!verbose) {
      if (machine) {
        printf("\n");
      } else {
        printf(" %d\n", pnn);
      }
      continue;
    }
    std::string conf, avail, active;
    if (infos[i]) {
      const auto& ifaces = infos[i]->ifaces.ifaces;
      for (size_t j = 0; j < ifaces.size(); j++) {
        if (!conf.empty()) conf += ",";
        conf += ifaces[j].name;
        if (infos[i]->active_idx == j) active = ifaces[j].name;
        if (ifaces[j].link_state == 0) continue;
        if (!avail.empty()) avail += ",";
        avail += ifaces[j].name;
      }
    }
    if (machine) {
      printf("%s%s%s%s%s%s\n", active.c_str(), s, avail.c_str(), s, conf.c_str(), s);
    } else {
      printf(" node[%d] active[%s] available[%s] configured[%s]\n", pnn, active.c_str(),
             avail.c_str(), conf.c_str());
    }
  }
}

}  // namespace

int control_ip(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() > 1) usage("ip");
  // The seed spelled "all nodes" as -n all; 4.17 as an argument.
  bool do_all = options.all_nodes;
  if (args.size() == 1) {
    if (args[0] != "all") usage("ip");
    do_all = true;
  }
  proto::PublicIpList ips;
  int ret = do_all ? get_all_public_ips(ctx, &ips)
                   : client::ctrl_get_public_ips(ctx->c(), ctx->cmd_pnn, ctx->timeout(), 0, &ips);
  if (ret != 0) return ret;
  std::sort(ips.ips.begin(), ips.ips.end(), ip_less);

  std::vector<std::optional<proto::PublicIpInfo>> infos(ips.ips.size());
  for (size_t i = 0; i < ips.ips.size(); i++) {
    uint32_t pnn = do_all ? ips.ips[i].pnn : ctx->cmd_pnn;
    if (pnn == UNKNOWN_PNN) continue;
    proto::PublicIpInfo info;
    ret = client::ctrl_get_public_ip_info(ctx->c(), pnn, ctx->timeout(), ips.ips[i].addr, &info);
    if (ret != 0) return ret;
    infos[i] = std::move(info);
  }
  print_ips(ctx, ips, infos, do_all);
  return 0;
}

int control_ipinfo(Context* ctx, const std::vector<std::string>& args) {
  if (args.size() != 1) usage("ipinfo");
  auto addr = proto::SockAddr::parse(args[0]);
  if (!addr) {
    fprintf(stderr, "Invalid IP address %s\n", args[0].c_str());
    return 1;
  }
  proto::PublicIpInfo info;
  int ret = client::ctrl_get_public_ip_info(ctx->c(), ctx->cmd_pnn, ctx->timeout(), *addr, &info);
  if (ret != 0) {
    if (ret == -1) {
      printf("Node %u does not know about IP %s\n", ctx->cmd_pnn, args[0].c_str());
    }
    return ret;
  }
  std::string ip = info.ip.addr.to_string();
  printf("Public IP[%s] info on node %u\n", ip.c_str(), ctx->cmd_pnn);
  printf("IP:%s\nCurrentNode:%u\nNumInterfaces:%zu\n", ip.c_str(), info.ip.pnn,
         info.ifaces.ifaces.size());
  for (size_t i = 0; i < info.ifaces.ifaces.size(); i++) {
    const proto::Iface& iface = info.ifaces.ifaces[i];
    printf("Interface[%zu]: Name:%s Link:%s References:%u%s\n", i + 1, iface.name.c_str(),
           iface.link_state == 0 ? "down" : "up", iface.references,
           i == info.active_idx ? " (active)" : "");
  }
  return 0;
}

int control_ifaces(Context* ctx, const std::vector<std::string>& args) {
  if (!args.empty()) usage("ifaces");
  proto::IfaceList ifaces;
  int ret = client::ctrl_get_ifaces(ctx->c(), ctx->cmd_pnn, ctx->timeout(), &ifaces);
  if (ret != 0) return ret;
  if (ifaces.ifaces.empty()) {
    printf("No interfaces configured on node %u\n", ctx->cmd_pnn);
    return 0;
  }
  const char* s = options.sep;
  if (options.machinereadable) {
    printf("%sName%sLinkStatus%sReferences%s\n", s, s, s, s);
  } else {
    printf("Interfaces on node %u\n", ctx->cmd_pnn);
  }
  for (const auto& i : ifaces.ifaces) {
    if (options.machinereadable) {
      printf("%s%s%s%u%s%u%s\n", s, i.name.c_str(), s, i.link_state, s, i.references, s);
    } else {
      printf("name:%s link:%s references:%u\n", i.name.c_str(), i.link_state ? "up" : "down",
             i.references);
    }
  }
  return 0;
}

}  // namespace ctdb::tool
