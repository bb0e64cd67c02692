// SockAddr parsing/formatting/comparison and the local-address checks.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "common/socket_addr.h"

namespace ctdb {
namespace {

TEST(SockAddr, ParsePlain) {
  auto a = SockAddr::parse("192.168.1.2");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->is_ipv4());
  EXPECT_EQ(a->ip_string(), "192.168.1.2");
  EXPECT_EQ(a->port(), 0u);
  EXPECT_EQ(a->sa_len(), sizeof(sockaddr_in));

  auto b = SockAddr::parse("FD00:0::1");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->is_ipv6());
  EXPECT_EQ(b->ip_string(), "fd00::1");  // canonical form
  EXPECT_EQ(b->sa_len(), sizeof(sockaddr_in6));

  auto c = SockAddr::parse("[::1]");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ip_string(), "::1");
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
  EXPECT_EQ(a->port(), 445u);
  EXPECT_EQ(a->to_string(), "10.0.0.1:445");

  auto b = SockAddr::parse_with_port("[fd00::1]:445");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->to_string(), "[fd00::1]:445");
  // 4.17 also splits a bare IPv6 address at its last colon.
  auto c = SockAddr::parse_with_port("fd00::1:445");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->ip_string(), "fd00::1");
  EXPECT_EQ(c->port(), 445u);

  EXPECT_FALSE(SockAddr::parse_with_port("10.0.0.1"));
  EXPECT_FALSE(SockAddr::parse_with_port("10.0.0.1:"));
  EXPECT_FALSE(SockAddr::parse_with_port("10.0.0.1:x"));
  EXPECT_FALSE(SockAddr::parse_with_port("10.0.0.1:70000"));
  EXPECT_FALSE(SockAddr::parse_with_port("10.0.0.1:-1"));
}

TEST(SockAddr, MaybePort) {
  EXPECT_EQ(SockAddr::parse_maybe_port("10.0.0.1", 4379)->to_string(), "10.0.0.1:4379");
  EXPECT_EQ(SockAddr::parse_maybe_port("10.0.0.1:1", 4379)->to_string(), "10.0.0.1:1");
  EXPECT_EQ(SockAddr::parse_maybe_port("fd00::1", 4379)->to_string(), "[fd00::1]:4379");
  EXPECT_EQ(SockAddr::parse_maybe_port("[fd00::1]", 4379)->to_string(), "[fd00::1]:4379");
  EXPECT_EQ(SockAddr::parse_maybe_port("[fd00::1]:9", 4379)->to_string(), "[fd00::1]:9");
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
  std::map<SockAddr, int> m{{a, 1}, {b, 2}, {c, 3}, {d, 4}};
  EXPECT_EQ(m.size(), 4u);
  EXPECT_TRUE(SockAddr().empty());
  EXPECT_TRUE(SockAddr() == SockAddr());
}

TEST(SockAddr, FromSockaddr) {
  auto a = *SockAddr::parse_with_port("10.1.1.1:80");
  auto b = SockAddr::from_sockaddr(a.sa(), a.sa_len());
  ASSERT_TRUE(b);
  EXPECT_EQ(*b, a);
  EXPECT_FALSE(SockAddr::from_sockaddr(a.sa(), 4));
  sockaddr_in6 mapped{};
  mapped.sin6_family = AF_INET6;
  mapped.sin6_port = htons(99);
  ASSERT_EQ(inet_pton(AF_INET6, "::ffff:10.2.2.2", &mapped.sin6_addr), 1);
  auto c = SockAddr::from_sockaddr(reinterpret_cast<sockaddr*>(&mapped), sizeof(mapped));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->to_string(), "10.2.2.2:99");
}

TEST(SockAddr, AddrMask) {
  SockAddr a;
  unsigned m = 99;
  EXPECT_TRUE(parse_addr_mask("10.0.0.1/24", &a, &m));
  EXPECT_EQ(a.ip_string(), "10.0.0.1");
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
  EXPECT_TRUE(SockAddr::parse("127.0.0.1")->is_configured_locally(&iface));
  EXPECT_EQ(iface, "lo");
  EXPECT_TRUE(SockAddr::interface_exists("lo"));
  EXPECT_FALSE(SockAddr::interface_exists("no-such-if0"));
  EXPECT_FALSE(SockAddr::interface_exists(""));
  // 192.0.2.0/24 is TEST-NET-1: never configured on a test host.
  EXPECT_FALSE(SockAddr::parse("192.0.2.77")->is_configured_locally());
  EXPECT_FALSE(SockAddr::parse("192.0.2.77")->can_bind_locally());
  // All of 127/8 is bindable on Linux although only 127.0.0.1 is configured.
  EXPECT_TRUE(SockAddr::parse("127.0.0.1")->can_bind_locally());
  EXPECT_TRUE(SockAddr::parse("127.0.0.61")->can_bind_locally());
  EXPECT_FALSE(SockAddr().is_configured_locally());
}

}  // namespace
}  // namespace ctdb
