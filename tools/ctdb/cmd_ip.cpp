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

// One address as `ip` shows it, with the interface lists its -v form adds.
struct IpView {
  proto::PublicIp ip;
  std::string active;                   // the interface it is on; empty: none
  std::vector<std::string> available;   // configured ones whose link is up
  std::vector<std::string> configured;  // every interface it may go on
};

IpView ip_view(const proto::PublicIp& ip, const std::optional<proto::PublicIpInfo>& info) {
  IpView v;
  v.ip = ip;
  if (!info) return v;
  const auto& ifaces = info->ifaces.ifaces;
  for (size_t j = 0; j < ifaces.size(); j++) {
    v.configured.push_back(ifaces[j].name);
    if (info->active_idx == j) v.active = ifaces[j].name;
    if (ifaces[j].link_state != 0) v.available.push_back(ifaces[j].name);
  }
  return v;
}

std::string join(const std::vector<std::string>& names) {
  std::string s;
  for (const auto& n : names) s += (s.empty() ? "" : ",") + n;
  return s;
}

void json_names(JsonWriter& w, const std::vector<std::string>& names) {
  w.begin_array();
  for (const auto& n : names) w.value(n);
  w.end_array();
}

// JSON carries the interfaces with or without -v: the tool fetches them either way.
void json_ips(Context* ctx, const std::vector<IpView>& ips, bool all_nodes) {
  JsonWriter w;
  w.begin_object().key("pnn");
  json_pnn(w, all_nodes ? UNKNOWN_PNN : ctx->cmd_pnn);
  w.field("all_nodes", all_nodes).key("public_ips").begin_array();
  for (const auto& v : ips) {
    w.begin_object().field("address", v.ip.addr.to_string()).key("pnn");
    json_pnn(w, v.ip.pnn);
    w.key("active_interface");
    if (v.active.empty()) {
      w.null();
    } else {
      w.value(v.active);
    }
    json_names(w.key("available_interfaces"), v.available);
    json_names(w.key("configured_interfaces"), v.configured);
    w.end_object();
  }
  w.end_array().end_object();
  print_json(ctx, w);
}

void print_ips(Context* ctx, const std::vector<IpView>& ips, bool all_nodes) {
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

  for (const auto& v : ips) {
    std::string addr = v.ip.addr.to_string();
    int pnn = static_cast<int>(v.ip.pnn);
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
    std::string avail = join(v.available), conf = join(v.configured);
    if (machine) {
      printf("%s%s%s%s%s%s\n", v.active.c_str(), s, avail.c_str(), s, conf.c_str(), s);
    } else {
      printf(" node[%d] active[%s] available[%s] configured[%s]\n", pnn, v.active.c_str(),
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

  std::vector<IpView> views;
  for (const auto& ip : ips.ips) {
    uint32_t pnn = do_all ? ip.pnn : ctx->cmd_pnn;
    std::optional<proto::PublicIpInfo> info;
    if (pnn != UNKNOWN_PNN) {
      info.emplace();
      ret = client::ctrl_get_public_ip_info(ctx->c(), pnn, ctx->timeout(), ip.addr, &*info);
      if (ret != 0) return ret;
    }
    views.push_back(ip_view(ip, info));
  }
  if (options.json) {
    json_ips(ctx, views, do_all);
  } else {
    print_ips(ctx, views, do_all);
  }
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
      print_failure("Node %u does not know about IP %s\n", ctx->cmd_pnn, args[0].c_str());
    }
    return ret;
  }
  std::string ip = info.ip.addr.to_string();
  const auto& ifaces = info.ifaces.ifaces;
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).field("address", ip).key("current_pnn");
    json_pnn(w, info.ip.pnn);
    w.key("interfaces").begin_array();
    for (size_t i = 0; i < ifaces.size(); i++) {
      w.begin_object().field("name", ifaces[i].name).field("link_state", ifaces[i].link_state);
      w.field("link_up", ifaces[i].link_state != 0).field("references", ifaces[i].references);
      w.field("active", i == info.active_idx).end_object();
    }
    w.end_array().end_object();
    print_json(ctx, w);
    return 0;
  }
  printf("Public IP[%s] info on node %u\n", ip.c_str(), ctx->cmd_pnn);
  printf("IP:%s\nCurrentNode:%u\nNumInterfaces:%zu\n", ip.c_str(), info.ip.pnn, ifaces.size());
  for (size_t i = 0; i < ifaces.size(); i++) {
    const proto::Iface& iface = ifaces[i];
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
  if (options.json) {
    JsonWriter w;
    w.begin_object().field("pnn", ctx->cmd_pnn).key("interfaces").begin_array();
    for (const auto& i : ifaces.ifaces) {
      w.begin_object().field("name", i.name).field("link_state", i.link_state);
      w.field("link_up", i.link_state != 0).field("references", i.references).end_object();
    }
    w.end_array().end_object();
    print_json(ctx, w);
    return 0;
  }
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
