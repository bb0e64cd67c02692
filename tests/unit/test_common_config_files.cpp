// Nodes and public_addresses file parsing: 4.17 numbering rules, our port
// extension, and a file:line error for every kind of bad line.
#include <gtest/gtest.h>

#include <string>

#include "common/nodes_file.h"
#include "common/public_addresses_file.h"
#include "test_common_helpers.h"

namespace ctdb {
namespace {

std::vector<NodeEntry> nodes_ok(const std::string& text) {
  std::string err;
  auto n = parse_nodes(text, "nodes", kDefaultCtdbPort, &err);
  EXPECT_TRUE(n.has_value()) << err;
  return n.value_or(std::vector<NodeEntry>{});
}

std::string nodes_err(const std::string& text) {
  std::string err;
  auto n = parse_nodes(text, "nodes", kDefaultCtdbPort, &err);
  EXPECT_FALSE(n.has_value());
  return err;
}

TEST(NodesFile, PlainList) {
  auto n = nodes_ok("10.1.1.1\n10.1.1.2\n10.1.1.3\n10.1.1.4\n");
  ASSERT_EQ(n.size(), 4u);
  for (uint32_t i = 0; i < 4; i++) {
    EXPECT_EQ(n[i].pnn, i);
    EXPECT_FALSE(n[i].deleted);
    EXPECT_EQ(n[i].addr.to_string_with_port(), "10.1.1." + std::to_string(i + 1) + ":4379");
  }
}

TEST(NodesFile, BlankLinesTakeNoPnnAndBlanksAreTrimmed) {
  auto n = nodes_ok("\n  10.0.0.1\t\n\n\t10.0.0.2  \r\n   \n10.0.0.3");
  ASSERT_EQ(n.size(), 3u);
  EXPECT_EQ(n[1].addr.to_string(), "10.0.0.2");
  EXPECT_EQ(n[1].pnn, 1u);
  EXPECT_EQ(n[1].line, 4u);
  EXPECT_EQ(n[2].addr.to_string(), "10.0.0.3");  // last line without newline
}

TEST(NodesFile, HashLineIsADeletedNodeKeepingItsPnn) {
  // As in 4.17, every '#' line occupies a PNN: there are no comments.
  auto n = nodes_ok("10.0.0.1\n#10.0.0.2\n  # anything at all\n10.0.0.4\n");
  ASSERT_EQ(n.size(), 4u);
  EXPECT_FALSE(n[0].deleted);
  EXPECT_TRUE(n[1].deleted);
  EXPECT_TRUE(n[2].deleted);
  EXPECT_EQ(n[1].addr.to_string(), "0.0.0.0");
  EXPECT_EQ(n[3].pnn, 3u);
  EXPECT_EQ(n[3].addr.to_string(), "10.0.0.4");
}

TEST(NodesFile, Ipv6AndPorts) {
  auto n = nodes_ok("fd00::1\n[fd00::2]\n[fd00::3]:4400\n127.0.0.5:4381\n::ffff:10.9.9.9\n");
  ASSERT_EQ(n.size(), 5u);
  EXPECT_EQ(n[0].addr.to_string_with_port(), "[fd00::1]:4379");
  EXPECT_EQ(n[1].addr.to_string_with_port(), "[fd00::2]:4379");
  EXPECT_EQ(n[2].addr.to_string_with_port(), "[fd00::3]:4400");
  EXPECT_EQ(n[3].addr.to_string_with_port(), "127.0.0.5:4381");
  EXPECT_TRUE(n[4].addr.is_ipv4());  // v4-mapped becomes IPv4, as in 4.17
  EXPECT_EQ(n[4].addr.to_string(), "10.9.9.9");
}

TEST(NodesFile, SameAddressDifferentPortsIsFine) {
  auto n = nodes_ok("127.0.0.1:4001\n127.0.0.1:4002\n");
  EXPECT_EQ(n.size(), 2u);
}

TEST(NodesFile, Errors) {
  EXPECT_EQ(nodes_err("10.0.0.1\n10.0.0.2\nx\n"), "nodes:3: invalid address 'x'");
  EXPECT_EQ(nodes_err("10.0.0.256\n"), "nodes:1: invalid address '10.0.0.256'");
  EXPECT_EQ(nodes_err("\n\n10.0.0.1 # node one\n"),
            "nodes:3: invalid address '10.0.0.1 # node one'");
  EXPECT_EQ(nodes_err("10.0.0.1:\n"), "nodes:1: invalid address '10.0.0.1:'");
  EXPECT_EQ(nodes_err("10.0.0.1:65536\n"), "nodes:1: invalid address '10.0.0.1:65536'");
  EXPECT_EQ(nodes_err("[fd00::1\n"), "nodes:1: invalid address '[fd00::1'");
  EXPECT_EQ(nodes_err("host.example.com\n"), "nodes:1: invalid address 'host.example.com'");
  EXPECT_EQ(nodes_err("10.0.0.1\n#\n10.0.0.1\n"),
            "nodes:3: duplicate address '10.0.0.1' (also on line 1)");
}

TEST(NodesFile, ReadFromDisk) {
  unit::TempDir dir;
  std::string path = dir.write("nodes", "127.0.0.1\n127.0.0.2\nbad\n");
  std::string err;
  EXPECT_FALSE(read_nodes_file(path, kDefaultCtdbPort, &err).has_value());
  EXPECT_EQ(err, path + ":3: invalid address 'bad'");

  path = dir.write("nodes", "127.0.0.1\n127.0.0.2\n");
  auto n = read_nodes_file(path, 5000, &err);
  ASSERT_TRUE(n.has_value()) << err;
  EXPECT_EQ((*n)[1].addr.to_string_with_port(), "127.0.0.2:5000");

  EXPECT_FALSE(read_nodes_file(dir.file("missing"), kDefaultCtdbPort, &err).has_value());
  EXPECT_EQ(err, dir.file("missing") + ": No such file or directory");
}

std::vector<PublicAddress> pa_ok(const std::string& text, const std::string& def = "") {
  std::string err;
  auto p = parse_public_addresses(text, "public_addresses", def, &err);
  EXPECT_TRUE(p.has_value()) << err;
  return p.value_or(std::vector<PublicAddress>{});
}

std::string pa_err(const std::string& text, const std::string& def = "") {
  std::string err;
  auto p = parse_public_addresses(text, "public_addresses", def, &err);
  EXPECT_FALSE(p.has_value());
  return err;
}

TEST(PublicAddressesFile, SeedExample) {
  auto p = pa_ok("11.1.1.1/24 eth0\n11.1.1.2/24 eth0\n11.1.2.1/24 eth1\n11.1.2.2/24 eth1\n");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[2].addr.to_string(), "11.1.2.1");
  EXPECT_EQ(p[2].mask, 24u);
  EXPECT_EQ(p[2].ifaces, std::vector<std::string>{"eth1"});
  EXPECT_EQ(p[2].line, 3u);
  EXPECT_EQ(p[2].addr.port, 0u);
}

TEST(PublicAddressesFile, CommentsBlanksIfaceListsAndIpv6) {
  auto p = pa_ok(
      "# public addresses\n"
      "\n"
      "  10.0.0.1/24\teth0,eth1  \n"
      "fd00::10/64 eth2 # trailing comment\n");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].ifaces, (std::vector<std::string>{"eth0", "eth1"}));
  EXPECT_EQ(p[0].line, 3u);
  EXPECT_TRUE(p[1].addr.is_ipv6());
  EXPECT_EQ(p[1].mask, 64u);
  EXPECT_EQ(p[1].ifaces, std::vector<std::string>{"eth2"});
}

TEST(PublicAddressesFile, DefaultInterfaceFromPublicInterfaceOption) {
  auto p = pa_ok("10.0.0.1/24\n10.0.0.2/24 eth9\n", "eth0");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].ifaces, std::vector<std::string>{"eth0"});
  EXPECT_EQ(p[1].ifaces, std::vector<std::string>{"eth9"});
}

TEST(PublicAddressesFile, Errors) {
  EXPECT_EQ(pa_err("10.0.0.1/24 eth0\n10.0.0.2 eth0\n"),
            "public_addresses:2: invalid address/mask '10.0.0.2'");
  EXPECT_EQ(pa_err("10.0.0.1/33 eth0\n"), "public_addresses:1: invalid address/mask '10.0.0.1/33'");
  EXPECT_EQ(pa_err("fd00::1/129 eth0\n"), "public_addresses:1: invalid address/mask 'fd00::1/129'");
  EXPECT_EQ(pa_err("10.0.0.1/x eth0\n"), "public_addresses:1: invalid address/mask '10.0.0.1/x'");
  EXPECT_EQ(pa_err("bogus/24 eth0\n"), "public_addresses:1: invalid address/mask 'bogus/24'");
  EXPECT_EQ(pa_err("\n10.0.0.1/24\n"),
            "public_addresses:2: no interface for 10.0.0.1 and no --public-interface given");
  EXPECT_EQ(pa_err("10.0.0.1/24 eth0,,eth1\n"), "public_addresses:1: invalid interface ''");
  EXPECT_EQ(pa_err("10.0.0.1/24 eth0,\n"), "public_addresses:1: invalid interface ''");
  EXPECT_EQ(pa_err("10.0.0.1/24 averyveryverylongname\n"),
            "public_addresses:1: invalid interface 'averyveryverylongname'");
  EXPECT_EQ(pa_err("10.0.0.1/24 eth0 eth1\n"), "public_addresses:1: unexpected text 'eth1'");
  EXPECT_EQ(pa_err("10.0.0.1/24 eth0\n10.0.0.1/16 eth1\n"),
            "public_addresses:2: duplicate public address 10.0.0.1 (also on line 1)");
}

TEST(PublicAddressesFile, ReadFromDisk) {
  unit::TempDir dir;
  std::string path = dir.write("public_addresses", "10.0.0.1/24 lo\n10.0.0.2/24\n");
  std::string err;
  EXPECT_FALSE(read_public_addresses_file(path, "", &err).has_value());
  EXPECT_EQ(err, path + ":2: no interface for 10.0.0.2 and no --public-interface given");
  auto p = read_public_addresses_file(path, "lo", &err);
  ASSERT_TRUE(p.has_value()) << err;
  EXPECT_EQ(p->size(), 2u);
}

}  // namespace
}  // namespace ctdb
