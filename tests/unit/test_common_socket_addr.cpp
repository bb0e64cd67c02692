// proto::SockAddr parsing/formatting/comparison as the config files and the
// node transport use it, and the host-side helpers of common/socket_addr.h.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/socket_addr.h"

namespace ctdb {
namespace {

using proto::SockAddr;

TEST(SockAddr, ParsePlain) {
  auto a = SockAddr::parse("192.168.1.2");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_ipv4());
  EXPECT_EQ(a->to_string(), "192.168.1.2");
  EXPECT_EQ(a->port, 0u);
  EXPECT_EQ(KernelSockaddr(*a).len, sizeof(sockaddr_in));

  auto b = SockAddr::parse("FD00:0::1");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->is_ipv6());
  EXPECT_EQ(b->to_string(), "fd00::1");  // canonical form
  EXPECT_EQ(KernelSockaddr(*b).len, sizeof(sockaddr_in6));

  auto c = SockAddr::parse("[::1]");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->to_string(), "::1");
}

TEST(SockAddr, ParseRejects) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "abc",
                          "fd00::g", "[1.2.3.4]", "1.2.3.4/24", "[::1", "::1]", "1.2.3.4:80"}) {
    EXPECT_FALSE(SockAddr::parse(bad)) << bad;
  }
  std::string longtext(100, '1');
  EXPECT_FALSE(SockAddr::parse(longtext));
}

TEST(SockAddr, V4MappedBecomesV4) {
  auto a = SockAddr::parse("::ffff:10.1.2.3");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_ipv4());
  EXPECT_EQ(*a, *SockAddr::parse("10.1.2.3"));
}

TEST(SockAddr, WithPort) {
  auto a = SockAddr::parse_with_port("10.0.0.1:445");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->port, 445u);
  EXPECT_EQ(a->to_string_with_port(), "10.0.0.1:445");

  auto b = SockAddr::parse_with_port("[fd00::1]:445");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->to_string_with_port(), "[fd00::1]:445");
  // 4.17 also splits a bare IPv6 address at its last colon.
  auto c = SockAddr::parse_with_port("fd00::1:445");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->to_string(), "fd00::1");
  EXPECT_EQ(c->port, 445u);

  EXPECT_FALSE(SockAddr::parse_with_port("10.0.0.1"));
  EXPECT_FALSE(SockAddr::parse_with_port("10.0.0.1:"));
  EXPECT_FALSE(SockAddr::parse_with_port("10.0.0.1:x"));
  EXPECT_FALSE(SockAddr::parse_with_port("10.0.0.1:70000"));
  EXPECT_FALSE(SockAddr::parse_with_port("10.0.0.1:-1"));
}

TEST(SockAddr, MaybePort) {
  auto text = [](const std::string& s) {
    auto a = SockAddr::parse_maybe_port(s, 4379);
    return a ? a->to_string_with_port() : "(none)";
  };
  EXPECT_EQ(text("10.0.0.1"), "10.0.0.1:4379");
  EXPECT_EQ(text("10.0.0.1:1"), "10.0.0.1:1");
  EXPECT_EQ(text("fd00::1"), "[fd00::1]:4379");
  EXPECT_EQ(text("[fd00::1]"), "[fd00::1]:4379");
  EXPECT_EQ(text("[fd00::1]:9"), "[fd00::1]:9");
  EXPECT_EQ(text("::ffff:10.0.0.9"), "10.0.0.9:4379");
  EXPECT_FALSE(SockAddr::parse_maybe_port("[fd00::1]x", 4379));
  EXPECT_FALSE(SockAddr::parse_maybe_port("[fd00::1", 4379));
}

TEST(SockAddr, Compare) {
  auto a = *SockAddr::parse_with_port("10.0.0.1:1");
  auto b = *SockAddr::parse_with_port("10.0.0.1:2");
  auto c = *SockAddr::parse("10.0.0.2");
  auto d = *SockAddr::parse("::1");
  EXPECT_TRUE(a.same_ip(b));
  EXPECT_NE(a, b);
  EXPECT_FALSE(a.same_ip(c));
  EXPECT_FALSE(a.same_ip(d));
  EXPECT_TRUE(a < b);
  EXPECT_TRUE(b < c);
  EXPECT_TRUE(c < d);  // AF_INET sorts before AF_INET6
  EXPECT_FALSE(a < a);
  std::map<SockAddr, int> m{{a, 1}, {b, 2}, {c, 3}, {d, 4}};
  EXPECT_EQ(m.size(), 4u);
  EXPECT_TRUE(SockAddr().empty());
  EXPECT_TRUE(SockAddr() == SockAddr());
}

TEST(SockAddr, FromSockaddr) {
  auto a = *SockAddr::parse_with_port("10.1.1.1:80");
  KernelSockaddr k(a);
  auto b = SockAddr::from_sockaddr(k.sa(), k.len);
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, a);
  EXPECT_FALSE(SockAddr::from_sockaddr(k.sa(), 4));
  sockaddr_in6 mapped{};
  mapped.sin6_family = AF_INET6;
  mapped.sin6_port = htons(99);
  ASSERT_EQ(inet_pton(AF_INET6, "::ffff:10.2.2.2", &mapped.sin6_addr), 1);
  auto c = SockAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&mapped), sizeof(mapped));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->to_string_with_port(), "10.2.2.2:99");
  EXPECT_EQ(KernelSockaddr(SockAddr()).len, 0u);
}

TEST(SockAddr, AddrMask) {
  SockAddr a;
  unsigned m = 99;
  EXPECT_TRUE(parse_addr_mask("10.0.0.1/24", &a, &m));
  EXPECT_EQ(a.to_string(), "10.0.0.1");
  EXPECT_EQ(m, 24u);
  EXPECT_TRUE(parse_addr_mask("fd00::1/128", &a, &m));
  EXPECT_EQ(m, 128u);
  EXPECT_FALSE(parse_addr_mask("10.0.0.1", &a, &m));
  EXPECT_FALSE(parse_addr_mask("10.0.0.1/", &a, &m));
  EXPECT_FALSE(parse_addr_mask("10.0.0.1/33", &a, &m));
  EXPECT_FALSE(parse_addr_mask("10.0.0.1/2a", &a, &m));
  EXPECT_FALSE(parse_addr_mask("10.0.0.1/0024", &a, &m));
}

TEST(SockAddr, LocalChecks) {
  std::string iface;
  EXPECT_TRUE(is_configured_locally(*SockAddr::parse("127.0.0.1"), &iface));
  EXPECT_EQ(iface, "lo");
  EXPECT_TRUE(interface_exists("lo"));
  EXPECT_FALSE(interface_exists("no-such-if0"));
  EXPECT_FALSE(interface_exists(""));
  // 192.0.2.0/24 is TEST-NET-1: never configured on a test host.
  EXPECT_FALSE(is_configured_locally(*SockAddr::parse("192.0.2.77")));
  EXPECT_FALSE(can_bind_locally(*SockAddr::parse("192.0.2.77")));
  // All of 127/8 is bindable on Linux although only 127.0.0.1 is configured.
  EXPECT_TRUE(can_bind_locally(*SockAddr::parse("127.0.0.1")));
  EXPECT_TRUE(can_bind_locally(*SockAddr::parse("127.0.0.61")));
  EXPECT_FALSE(is_configured_locally(SockAddr()));
}

}  // namespace
}  // namespace ctdb
