#include "http/routes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <optional>

#include "core/commands.h"
#include "core/events.h"
#include "core/metrics.h"

namespace pairgate::http {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class RoutesTest : public ::testing::Test {
 protected:
  RoutesTest() { add_standard_routes(routes_, commands_, metrics_, events_); }

  // Answers synchronously, or the test fails.
  Response get(std::string_view target, std::string_view method = "GET") {
    std::optional<Response> got;
    routes_.handle(method, target, [&](Response r) {
      EXPECT_FALSE(got) << "answered twice";
      got = std::move(r);
    });
    EXPECT_TRUE(got) << target;
    return got.value_or(Response{});
  }

  std::string header(const Response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return {};
  }

  CommandRegistry commands_;
  MetricsRegistry metrics_;
  EventBus events_;
  Routes routes_;
};

TEST_F(RoutesTest, MetricsAreTheRegistryInPrometheusText) {
  metrics_.add([](MetricSet& out) { out.gauge("pairgate_up", "Up.", {}, 1); });
  auto r = get("/metrics");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(r.body, "# HELP pairgate_up Up.\n# TYPE pairgate_up gauge\npairgate_up 1\n");
}

TEST_F(RoutesTest, HeadKeepsTheLengthWithoutTheBody) {
  metrics_.add([](MetricSet& out) { out.gauge("pairgate_up", "Up.", {}, 1); });
  auto r = get("/metrics", "HEAD");
  EXPECT_EQ(r.status, 200u);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(header(r, "Content-Length"), std::to_string(get("/metrics").body.size()));
}

TEST_F(RoutesTest, OtherMethodsPathsAndBadTargets) {
  auto r = get("/metrics", "POST");
  EXPECT_EQ(r.status, 405u);
  EXPECT_EQ(header(r, "Allow"), "GET, HEAD");
  EXPECT_EQ(get("/nope").status, 404u);
  EXPECT_EQ(get("/metrics/").status, 404u);
  EXPECT_EQ(get("/../etc/passwd").status, 400u);
  EXPECT_EQ(get("/%2e%2e/%2e%2e/etc/passwd").status, 400u);
  EXPECT_EQ(get("//etc/passwd").status, 400u);
  EXPECT_EQ(get("http://example.com/").status, 400u);
  EXPECT_EQ(get("/" + std::string(5000, 'a')).status, 414u);
  EXPECT_EQ(routes_.responses().at(400), 4u);
}

TEST_F(RoutesTest, ThePageIsHtmlThatMayLoadNothing) {
  auto r = get("/");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(r.body, HasSubstr("<!doctype html>"));
  EXPECT_THAT(header(r, "Content-Security-Policy"), HasSubstr("default-src 'none'"));
  EXPECT_THAT(header(r, "Content-Security-Policy"), HasSubstr("connect-src 'self'"));
}

// No request outside the daemon, read off the page itself (the browser
// test, http_page_test.sh, watches what Chromium asks for): every href,
// src and fetch is relative or data:, and no absolute URL appears but the
// SVG namespace, which is a name, not a request.
TEST_F(RoutesTest, ThePageNamesNoOtherHost) {
  std::string body = get("/").body;
  const std::string svg = "\"http://www.w3.org/2000/svg\"";
  for (auto at = body.find(svg); at != std::string::npos; at = body.find(svg)) body.erase(at, svg.size());
  EXPECT_THAT(body, Not(HasSubstr("http:")));
  EXPECT_THAT(body, Not(HasSubstr("https:")));
  EXPECT_THAT(body, Not(HasSubstr("\"//")));
  EXPECT_THAT(body, Not(HasSubstr("src=")));
  EXPECT_THAT(body, Not(HasSubstr("@import")));
  EXPECT_THAT(body, Not(HasSubstr("url(")));
  for (std::size_t at = body.find("href=\""); at != std::string::npos; at = body.find("href=\"", at + 1)) {
    const auto target = body.substr(at + 6, body.find('"', at + 6) - at - 6);
    EXPECT_TRUE(target.starts_with("data:") || target.find(':') == std::string::npos) << target;
  }
}

TEST_F(RoutesTest, StatusIsTheControlProtocolsAnswer) {
  commands_.add({.name = "status", .run = [](const nlohmann::json&, const PeerCredentials& p) {
                   return nlohmann::json{{"node", "beagle"}, {"uid", p.uid}};
                 }});
  auto r = get("/api/status");
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.content_type, "application/json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["ok"], true);
  EXPECT_EQ(j["result"]["node"], "beagle");
  // The endpoint asks as nobody, never as root.
  EXPECT_NE(j["result"]["uid"], 0);
}

TEST_F(RoutesTest, ACommandErrorBecomesItsHttpStatus) {
  commands_.add({.name = "status", .run = [](const nlohmann::json&, const PeerCredentials&) -> nlohmann::json {
                   throw CommandError("too busy", control::code::busy);
                 }});
  auto r = get("/api/status");
  EXPECT_EQ(r.status, 503u);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"], "too busy");
  commands_.remove("status");
  r = get("/api/status");  // no such command (no module registered it)
  EXPECT_EQ(r.status, 400u);
}

TEST_F(RoutesTest, AnAsyncCommandAnswersLater) {
  ReplyPtr pending;
  commands_.add({.name = "status", .run_async = [&](const nlohmann::json&, const PeerCredentials&, ReplyPtr reply) {
                   pending = reply;
                 }});
  std::optional<Response> got;
  routes_.handle("GET", "/api/status", [&](Response r) { got = std::move(r); });
  EXPECT_FALSE(got);
  ASSERT_TRUE(pending);
  pending->ok({{"late", true}});
  ASSERT_TRUE(got);
  EXPECT_EQ(nlohmann::json::parse(got->body)["result"]["late"], true);
}

nlohmann::json lease(int i, std::string host) {
  return {{"address", "198.51.100." + std::to_string(i)}, {"hw_address", "02:00:00:00:00:" + std::to_string(10 + i)},
          {"client_id", ""}, {"hostname", std::move(host)}};
}

TEST_F(RoutesTest, LeasesAskTheDhcpModuleForAPageAndPassItsAnswerOn) {
  nlohmann::json seen;
  commands_.add({.name = "leases", .run = [&](const nlohmann::json& args, const PeerCredentials&) {
                   seen = args;
                   return nlohmann::json{{"total", 60000}, {"offset", args["offset"]}, {"limit", args["limit"]},
                                         {"leases", {lease(1, "x")}}};
                 }});
  auto j = nlohmann::json::parse(get("/api/leases?offset=500&limit=1&q=aa%3Abb").body)["result"];
  EXPECT_EQ(seen, (nlohmann::json{{"offset", 500}, {"limit", 1}, {"q", "aa:bb"}}));
  EXPECT_EQ(j["total"], 60000);
  EXPECT_EQ(j["offset"], 500);
  EXPECT_EQ(j["leases"][0]["hostname"], "x");
  get("/api/leases");
  EXPECT_EQ(seen, (nlohmann::json{{"offset", 0}, {"limit", 100}, {"q", ""}}));
  EXPECT_EQ(get("/api/leases?limit=0").status, 400u);
  EXPECT_EQ(get("/api/leases?limit=1001").status, 400u);
  EXPECT_EQ(get("/api/leases?offset=-1").status, 400u);
}

TEST_F(RoutesTest, ALeasesErrorKeepsItsStatus) {
  commands_.add({.name = "leases", .run = [&](const nlohmann::json&, const PeerCredentials&) -> nlohmann::json {
                   throw CommandError("q must be a string of at most 255 bytes", control::code::bad_request);
                 }});
  EXPECT_EQ(get("/api/leases?q=x").status, 400u);
}

TEST_F(RoutesTest, EventsAreTheLastOnesOrThoseSinceASequenceNumber) {
  for (int i = 1; i <= 150; ++i) events_.publish("vrrp", "V1", "event " + std::to_string(i));
  auto j = nlohmann::json::parse(get("/api/events").body)["result"];
  EXPECT_EQ(j["last_seq"], 150);
  EXPECT_EQ(j["missed"], 0);
  ASSERT_EQ(j["events"].size(), 100u);
  EXPECT_EQ(j["events"][0]["seq"], 51);
  EXPECT_EQ(j["events"][99]["message"], "event 150");
  j = nlohmann::json::parse(get("/api/events?since=145").body)["result"];
  EXPECT_EQ(j["events"].size(), 5u);
  j = nlohmann::json::parse(get("/api/events?since=0&limit=10").body)["result"];
  EXPECT_EQ(j["missed"], 140);
  EXPECT_EQ(j["events"][0]["seq"], 141);
  EXPECT_EQ(get("/api/events?limit=5000").status, 400u);
}

TEST_F(RoutesTest, EachRouteKeepsItsLoopTime) {
  get("/metrics");
  get("/metrics");
  EXPECT_EQ(routes_.stats().at("/metrics").seconds.count(), 2u);
  EXPECT_EQ(routes_.stats().at("/api/events").seconds.count(), 0u);
}

}  // namespace
}  // namespace pairgate::http
