// tunnel/ipip_update: the updater around its schedule, without the network:
// a credentials file that cannot be used fails each call at once (no
// request goes out), so the retries, status and metrics can be watched
// with a manual clock.
#include "tunnel/ipip_update.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/prometheus.h"
#include "tests/support/manual_clock.h"

namespace pairgate::tunnel {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

TEST(IpipUpdater, UnusableCredentialsFailEachCallAtOnceAndAreRetriedWithBackoff) {
  boost::asio::io_context io;
  testing::ManualClock clock;
  conf::Ipip c;
  c.update_url = "https://user:pw@[2001:db8:1::80]/u?ip6={ipv6}";
  c.update_credentials = "/nonexistent/pairgate-ipip-credentials";
  std::vector<UpdateResult> results;
  IpipUpdater u(io, clock, "ipip0", c, Ipv4Address::parse("203.0.113.10"),
                [&](const UpdateResult& r) { results.push_back(r); });
  nlohmann::json j;
  u.status(j);
  EXPECT_EQ(j["url"], "https://***@[2001:db8:1::80]/u?ip6={ipv6}");
  EXPECT_EQ(j["attempts"], 0);
  EXPECT_TRUE(j["last_attempt"].is_null());

  u.want(*Ipv6Address::parse("2001:db8:1:1::feed"));
  io.run();
  io.restart();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].ok);
  EXPECT_THAT(results[0].error, HasSubstr("update_credentials /nonexistent/pairgate-ipip-credentials"));
  EXPECT_EQ(results[0].url, "https://***@[2001:db8:1::80]/u?ip6=2001:db8:1:1::feed");
  u.status(j);
  EXPECT_EQ(j["failures"], 1);
  EXPECT_EQ(j["retry_in_s"], 5);
  EXPECT_FALSE(j["last_attempt"].is_null());
  EXPECT_TRUE(j["last_success"].is_null());
  EXPECT_TRUE(j["http_status"].is_null());

  clock.advance(4s);
  io.run();
  io.restart();
  EXPECT_EQ(results.size(), 1u) << "not before 5 s";
  clock.advance(1s);
  io.run();
  io.restart();
  EXPECT_EQ(results.size(), 2u);
  u.status(j);
  EXPECT_EQ(j["retry_in_s"], 10);

  MetricSet m;
  u.metrics(m);
  const auto rendered = prometheus::render(m);
  EXPECT_EQ(rendered.skipped, 0u);
  const std::string& text = rendered.text;
  EXPECT_THAT(text, HasSubstr("pairgate_tunnel_update_total{tunnel=\"ipip0\",result=\"failure\"} 2"));
  EXPECT_THAT(text, HasSubstr("pairgate_tunnel_update_total{tunnel=\"ipip0\",result=\"success\"} 0"));

  u.cancel();
  clock.advance(1h);
  io.run();
  EXPECT_EQ(results.size(), 2u) << "no retries after cancel";
}

}  // namespace
}  // namespace pairgate::tunnel
