// The http section: listen addresses, allow prefixes, defaults and errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/diff.h"
#include "conf/parser.h"

namespace pairgate::conf {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

IpPrefix prefix(std::string_view s) { return *IpPrefix::parse(s); }

LoadResult parse_http(std::string_view section) { return parse("node: a\n" + std::string(section), "t.yaml"); }

std::vector<std::string> headlines(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.errors) out.push_back(headline(d));
  return out;
}

TEST(ParseHttp, OffWithoutTheSection) {
  auto r = parse_http("");
  ASSERT_TRUE(r.config);
  EXPECT_FALSE(r.config->http);
}

TEST(ParseHttp, ListenAndAllow) {
  auto r = parse_http("http:\n  listen: [127.0.0.1:9650, \"[2001:db8::1]:80\"]\n  allow: [192.0.2.0/24, 2001:db8::7]\n");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  const Http& h = *r.config->http;
  ASSERT_EQ(h.listen.size(), 2u);
  EXPECT_EQ(h.listen[0].to_string(), "127.0.0.1:9650");
  EXPECT_EQ(h.listen[1].to_string(), "[2001:db8::1]:80");
  EXPECT_EQ(h.listen_marks[1].line, 3);
  EXPECT_THAT(h.allow, ElementsAre(prefix("192.0.2.0/24"), prefix("2001:db8::7/128")));
  EXPECT_EQ(h.effective_allow(), h.allow);
}

TEST(ParseHttp, DefaultAllowIsTheListenAddressesOwnHosts) {
  auto r = parse_http("http:\n  listen: [192.0.2.1:9650, \"[::1]:9650\", 192.0.2.1:9651]\n");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  EXPECT_THAT(r.config->http->effective_allow(), ElementsAre(prefix("192.0.2.1/32"), prefix("::1/128")));
  // A wildcard stands for this host: loopback.
  r = parse_http("http:\n  listen: [0.0.0.0:9650]\n");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  EXPECT_THAT(r.config->http->effective_allow(), ElementsAre(prefix("127.0.0.0/8"), prefix("::1/128")));
}

TEST(ParseHttp, ErrorsSayWhatIsWrongWhere) {
  struct Case {
    std::string_view section;
    std::string_view error;
  } cases[] = {
      {"http: {}\n", "t.yaml:2:7: error: http: missing required key 'listen'"},
      {"http:\n  listen: []\n", "t.yaml:3:3: error: http: listen needs at least one ADDRESS:PORT (the endpoint is off without the section)"},
      {"http:\n  listen: [127.0.0.1]\n", "t.yaml:3:12: error: http.listen: 127.0.0.1: expected ADDRESS:PORT, as 127.0.0.1:9650"},
      {"http:\n  listen: [\"::1:80\"]\n", "t.yaml:3:12: error: http.listen: ::1:80: an IPv6 address goes in brackets: [ADDRESS]:PORT, as [::1]:9650"},
      {"http:\n  listen: [\"[::1]\"]\n", "t.yaml:3:12: error: http.listen: [::1]: expected [IPV6]:PORT, as [::1]:9650"},
      {"http:\n  listen: [host:80]\n", "t.yaml:3:12: error: http.listen: host:80: 'host' is not an IP address"},
      {"http:\n  listen: [127.0.0.1:0]\n", "t.yaml:3:12: error: http.listen: 127.0.0.1:0: port '0' is not a number in 1..65535"},
      {"http:\n  listen: [127.0.0.1:080]\n", "t.yaml:3:12: error: http.listen: 127.0.0.1:080: port '080' is not a number in 1..65535"},
      {"http:\n  listen: [127.0.0.1:70000]\n", "t.yaml:3:12: error: http.listen: 127.0.0.1:70000: port '70000' is not a number in 1..65535"},
      {"http:\n  listen: [127.0.0.1:1, 127.0.0.1:1]\n", "t.yaml:3:25: error: http.listen: 127.0.0.1:1 is listed twice"},
      {"http:\n  listen: [127.0.0.1:1, 0.0.0.0:1]\n", "t.yaml:3:25: error: http.listen: 0.0.0.0:1 and 127.0.0.1:1 overlap (a wildcard address already takes the port)"},
      {"http:\n  listen: [127.0.0.1:1]\n  allow: [192.0.2.1/24]\n", "t.yaml:4:11: error: http.allow: 192.0.2.1/24 has host bits set (did you mean 192.0.2.0/24?)"},
      {"http:\n  listen: [127.0.0.1:1]\n  alow: []\n", "t.yaml:4:3: error: http: unknown key 'alow' (did you mean 'allow'?)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.section);
    auto r = parse_http(c.section);
    EXPECT_FALSE(r.config);
    ASSERT_FALSE(r.errors.empty());
    EXPECT_EQ(headlines(r)[0], c.error);
  }
}

TEST(ParseHttp, AnIpv4AndAnIpv6WildcardShareAPort) {
  auto r = parse_http("http:\n  listen: [0.0.0.0:9650, \"[::]:9650\"]\n");
  EXPECT_THAT(r.errors, IsEmpty()) << r.report();
}

TEST(ParseHttp, TooManyListenAddresses) {
  std::string list;
  for (int i = 1; i <= 17; ++i) list += (i > 1 ? ", " : "") + std::string("127.0.0.1:") + std::to_string(i);
  auto r = parse_http("http:\n  listen: [" + list + "]\n");
  ASSERT_FALSE(r.errors.empty());
  EXPECT_THAT(headlines(r)[0], ::testing::HasSubstr("http.listen"));
}

TEST(DiffHttp, TheSectionIsOneFlag) {
  auto a = parse_http("http:\n  listen: [127.0.0.1:9650]\n");
  auto b = parse_http("http:\n  listen: [127.0.0.1:9651]\n");
  ASSERT_TRUE(a.config && b.config);
  EXPECT_FALSE(diff(*a.config, *a.config).http);
  const auto d = diff(*a.config, *b.config);
  EXPECT_TRUE(d.http);
  EXPECT_EQ(d.summary(), "http");
  EXPECT_TRUE(diff(Config{}, *a.config).http);
}

}  // namespace
}  // namespace pairgate::conf
