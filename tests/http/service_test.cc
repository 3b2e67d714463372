// The http module: on only with its section, serving the daemon's registries,
// following reloads, reporting itself in status and metrics.
#include "http/service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "conf/diff.h"
#include "conf/parser.h"
#include "tests/mocks/mock_netlink.h"
#include "tests/support/manual_clock.h"
#include "tests/support/module_context.h"

namespace pairgate::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::NiceMock;

// A file with `http`; "PORT0" stands for port 0, which a file may not name
// but a test needs (any free port).
conf::Config config(std::string_view http) {
  std::string text(http);
  const bool port0 = text.find(":PORT0") != std::string::npos;
  if (port0) text.replace(text.find(":PORT0"), 6, ":9");
  auto r = conf::parse("node: beagle\n" + text, "t.yaml");
  EXPECT_TRUE(r.config) << r.report();
  auto c = r.config.value_or(conf::Config{});
  if (port0) c.http->listen.at(0).port = 0;
  return c;
}

class HttpServiceTest : public ::testing::Test {
 protected:
  std::string get(std::uint16_t port, std::string_view target) {
    tcp::socket s(io_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    asio::write(s, asio::buffer("GET " + std::string(target) + " HTTP/1.1\r\nConnection: close\r\n\r\n"));
    std::string got;
    bool done = false;
    asio::async_read(s, asio::dynamic_buffer(got), [&](boost::system::error_code, std::size_t) { done = true; });
    for (int i = 0; i < 200 && !done; ++i) io_.run_for(10ms);
    io_.restart();
    return got;
  }

  std::uint16_t port(const Service& s) { return s.server()->local_endpoints().at(0).port(); }

  asio::io_context io_;
  NiceMock<testing::MockNetlink> netlink_;
  testing::Registries reg_;
  testing::ManualClock clock_;
};

TEST_F(HttpServiceTest, OffWithoutTheSection) {
  Service s(reg_.context(io_, netlink_), &clock_);
  s.start(config(""));
  EXPECT_EQ(s.server(), nullptr);
  nlohmann::json st;
  s.status(st);
  EXPECT_TRUE(st["http"].is_null());
  EXPECT_EQ(reg_.metrics.collect().find("pairgate_http_connections"), nullptr);
}

TEST_F(HttpServiceTest, ServesTheRegistriesAndCountsItself) {
  reg_.commands.add({.name = "status", .run = [](const nlohmann::json&, const PeerCredentials&) {
                       return nlohmann::json{{"node", "beagle"}};
                     }});
  reg_.events.publish("vrrp", "VRRP1", "(VRRP1) Entering MASTER STATE");
  Service s(reg_.context(io_, netlink_), &clock_);
  s.start(config("http:\n  listen: [127.0.0.1:PORT0]\n"));
  ASSERT_NE(s.server(), nullptr);
  const auto p = port(s);
  EXPECT_THAT(get(p, "/api/status"), HasSubstr(R"({"ok":true,"result":{"node":"beagle"}})"));
  EXPECT_THAT(get(p, "/api/events"), HasSubstr("Entering MASTER STATE"));
  const std::string metrics = get(p, "/metrics");
  EXPECT_THAT(metrics, HasSubstr("pairgate_http_connections_total 3\n"));
  EXPECT_THAT(metrics, HasSubstr("pairgate_http_responses_total{code=\"200\"} 2\n"));
  EXPECT_THAT(metrics, HasSubstr("pairgate_http_handler_seconds_count{path=\"/api/status\"} 1\n"));
  nlohmann::json st;
  s.status(st);
  EXPECT_EQ(st["http"]["listen"], nlohmann::json::array({"127.0.0.1:0"}));
  EXPECT_EQ(st["http"]["allow"], nlohmann::json::array({"127.0.0.1/32"}));
  EXPECT_EQ(st["http"]["counters"]["requests"], 3);
  bool stopped = false;
  s.stop([&] { stopped = true; });
  EXPECT_TRUE(stopped);
  EXPECT_EQ(s.server(), nullptr);
}

TEST_F(HttpServiceTest, AReloadMovesTheListenerAndKeepsTheCounts) {
  Service s(reg_.context(io_, netlink_), &clock_);
  auto a = config("http:\n  listen: [127.0.0.1:PORT0]\n");
  s.start(a);
  get(port(s), "/metrics");
  auto b = config("http:\n  listen: [127.0.0.1:PORT0]\n  allow: [127.0.0.0/8]\n");
  s.reload(b, conf::diff(a, b));
  ASSERT_NE(s.server(), nullptr);
  get(port(s), "/metrics");
  nlohmann::json st;
  s.status(st);
  EXPECT_EQ(st["http"]["counters"]["requests"], 2);
  EXPECT_EQ(st["http"]["allow"], nlohmann::json::array({"127.0.0.0/8"}));
  auto off = config("");
  s.reload(off, conf::diff(b, off));
  EXPECT_EQ(s.server(), nullptr);
}

TEST_F(HttpServiceTest, AnAddressThatCannotBeBoundStopsTheStartWithItsName) {
  Service s(reg_.context(io_, netlink_), &clock_);
  // 192.0.2.1 is on no interface here.
  try {
    s.start(config("http:\n  listen: [192.0.2.1:9650]\n"));
    FAIL() << "started";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("http: cannot listen on 192.0.2.1:9650"));
  }
}

TEST_F(HttpServiceTest, AReloadToAnAddressThatCannotBeBoundKeepsTheOldOne) {
  Service s(reg_.context(io_, netlink_), &clock_);
  auto a = config("http:\n  listen: [127.0.0.1:PORT0]\n");
  s.start(a);
  auto b = config("http:\n  listen: [192.0.2.1:9650]\n");
  s.reload(b, conf::diff(a, b));
  ASSERT_NE(s.server(), nullptr);
  EXPECT_THAT(get(port(s), "/metrics"), HasSubstr("200 OK"));
}

}  // namespace
}  // namespace pairgate::http
