// The HTTP server against real clients on loopback (port 0). Deadlines run on
// a manual clock; the loop runs only to move bytes, never to wait for time.
#include "http/server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include "tests/support/manual_clock.h"

namespace pairgate::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class ServerTest : public ::testing::Test {
 protected:
  Server::Options options() {
    Server::Options o;
    o.listen = {tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
    o.allow = {*IpPrefix::parse("127.0.0.0/8")};
    o.max_connections = 4;
    o.clock = &clock_;
    return o;
  }

  // Answers "GET /x" with "x", and keeps a route's answer for later on "/later".
  void handle(std::string_view method, std::string_view target, Routes::Done done) {
    if (target == "/later") {
      later_ = std::move(done);
      return;
    }
    if (target == "/big") {
      Response r;
      r.body.assign(32 << 20, 'b');
      done(std::move(r));
      return;
    }
    Response r;
    r.body = std::string(method) + " " + std::string(target);
    done(std::move(r));
  }

  std::unique_ptr<Server> make(Server::Options o) {
    auto s = std::make_unique<Server>(io_, std::move(o), [this](std::string_view m, std::string_view t, Routes::Done d) {
      handle(m, t, std::move(d));
    });
    s->open();
    port_ = s->local_endpoints().at(0).port();
    return s;
  }

  tcp::socket connect() {
    tcp::socket s(io_);
    s.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_));
    return s;
  }

  // Runs the loop and reads until the server closes or `until` shows up (or 2 s of real time).
  std::string read(tcp::socket& s, std::string_view until = {}) {
    std::string got;
    s.non_blocking(true);
    for (int i = 0; i < 200; ++i) {
      io_.run_for(10ms);
      boost::system::error_code ec;
      char buf[65536];
      for (;;) {
        const auto n = s.read_some(asio::buffer(buf), ec);
        if (ec) break;
        got.append(buf, n);
      }
      if (ec && ec != asio::error::would_block) break;  // closed
      if (!until.empty() && got.find(until) != std::string::npos) break;
    }
    io_.restart();
    return got;
  }

  bool closed_by_server(tcp::socket& s) {
    read(s);
    char c;
    boost::system::error_code ec;
    s.non_blocking(true);
    s.read_some(asio::buffer(&c, 1), ec);
    return ec && ec != asio::error::would_block;
  }

  void run() {
    io_.run_for(50ms);
    io_.restart();
  }

  asio::io_context io_;
  testing::ManualClock clock_;
  std::uint16_t port_ = 0;
  Routes::Done later_;
};

TEST_F(ServerTest, AnswersRequestsOnOneConnectionInTurn) {
  auto server = make(options());
  auto s = connect();
  asio::write(s, asio::buffer(std::string("GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b HTTP/1.1\r\nHost: x\r\n\r\n")));
  const std::string got = read(s, "HEAD /b");
  EXPECT_THAT(got, StartsWith("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(got, HasSubstr("Cache-Control: no-store"));
  EXPECT_THAT(got, HasSubstr("X-Content-Type-Options: nosniff"));
  EXPECT_THAT(got, HasSubstr("\r\n\r\nGET /a"));
  EXPECT_THAT(got, HasSubstr("\r\n\r\nHEAD /b"));
  EXPECT_EQ(server->counters().requests, 2u);
  EXPECT_EQ(server->connections(), 1u);
}

TEST_F(ServerTest, Http10AndConnectionCloseEndTheConnection) {
  auto server = make(options());
  auto s = connect();
  asio::write(s, asio::buffer(std::string("GET /a HTTP/1.0\r\n\r\n")));
  EXPECT_THAT(read(s), HasSubstr("GET /a"));
  EXPECT_TRUE(closed_by_server(s));
  auto t = connect();
  asio::write(t, asio::buffer(std::string("GET /a HTTP/1.1\r\nConnection: close\r\n\r\n")));
  EXPECT_THAT(read(t), HasSubstr("Connection: close"));
  EXPECT_TRUE(closed_by_server(t));
}

TEST_F(ServerTest, ASlowlorisClientIsCutAtTheRequestDeadline) {
  auto server = make(options());
  auto s = connect();
  run();
  // A byte now and then: each arrives, yet the head is never complete.
  for (int i = 0; i < 4; ++i) {
    asio::write(s, asio::buffer(std::string("GET / HTTP/1.1\r\nX-a: b\r\n").substr(i, 1)));
    run();
    clock_.advance(1s);
  }
  EXPECT_EQ(server->connections(), 1u);
  clock_.advance(1s);  // 5 s since the connection came
  EXPECT_TRUE(closed_by_server(s));
  EXPECT_EQ(server->counters().timeouts, 1u);
  EXPECT_EQ(server->connections(), 0u);
}

TEST_F(ServerTest, AnIdleKeptAliveConnectionIsClosedAfterTheRequestDeadline) {
  auto server = make(options());
  auto s = connect();
  asio::write(s, asio::buffer(std::string("GET /a HTTP/1.1\r\n\r\n")));
  EXPECT_THAT(read(s, "GET /a"), HasSubstr("200 OK"));
  clock_.advance(4s);
  EXPECT_EQ(server->connections(), 1u);
  clock_.advance(1s);
  EXPECT_TRUE(closed_by_server(s));
}

TEST_F(ServerTest, OversizedHeadersGet431AndTheConnectionEnds) {
  auto server = make(options());
  auto s = connect();
  asio::write(s, asio::buffer("GET / HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n"));
  const std::string got = read(s);
  EXPECT_THAT(got, StartsWith("HTTP/1.1 431 "));
  EXPECT_EQ(server->counters().header_too_large, 1u);
  EXPECT_TRUE(closed_by_server(s));
}

TEST_F(ServerTest, ARequestBodyGets413) {
  auto server = make(options());
  auto s = connect();
  asio::write(s, asio::buffer(std::string("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")));
  EXPECT_THAT(read(s), StartsWith("HTTP/1.1 413 "));
  EXPECT_EQ(server->counters().bad_requests, 1u);
}

TEST_F(ServerTest, GarbageGets400) {
  auto server = make(options());
  auto s = connect();
  asio::write(s, asio::buffer(std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")));
  EXPECT_THAT(read(s), StartsWith("HTTP/1.1 400 "));
  EXPECT_TRUE(closed_by_server(s));
}

TEST_F(ServerTest, ConnectionsBeyondTheLimitGet503AtOnce) {
  auto server = make(options());
  std::vector<tcp::socket> held;
  for (int i = 0; i < 4; ++i) held.push_back(connect());
  run();
  EXPECT_EQ(server->connections(), 4u);
  auto extra = connect();
  EXPECT_THAT(read(extra), StartsWith("HTTP/1.1 503 Service Unavailable\r\n"));
  EXPECT_EQ(server->counters().rejected_busy, 1u);
  // The held ones still get answers.
  asio::write(held[0], asio::buffer(std::string("GET /ok HTTP/1.1\r\n\r\n")));
  EXPECT_THAT(read(held[0], "GET /ok"), HasSubstr("200 OK"));
}

TEST_F(ServerTest, AnAddressOutsideAllowIsClosedBeforeAnyByteIsRead) {
  auto o = options();
  o.allow = {*IpPrefix::parse("192.0.2.0/24")};
  auto server = make(o);
  auto s = connect();
  asio::write(s, asio::buffer(std::string("GET /a HTTP/1.1\r\n\r\n")));
  EXPECT_EQ(read(s), "");
  EXPECT_TRUE(closed_by_server(s));
  EXPECT_EQ(server->counters().denied, 1u);
  EXPECT_EQ(server->counters().requests, 0u);
}

TEST_F(ServerTest, ARouteThatNeverAnswersGets503AtTheAnswerDeadline) {
  auto server = make(options());
  auto s = connect();
  asio::write(s, asio::buffer(std::string("GET /later HTTP/1.1\r\n\r\n")));
  run();
  ASSERT_TRUE(later_);
  clock_.advance(10s);
  EXPECT_THAT(read(s), StartsWith("HTTP/1.1 503 "));
  // A late answer finds nobody waiting.
  Response r;
  r.body = "late";
  later_(std::move(r));
  EXPECT_TRUE(closed_by_server(s));
}

TEST_F(ServerTest, AClientThatDoesNotReadIsCutAtTheWriteDeadline) {
  auto server = make(options());
  auto s = connect();
  asio::write(s, asio::buffer(std::string("GET /big HTTP/1.1\r\n\r\n")));
  run();
  EXPECT_EQ(server->connections(), 1u);
  clock_.advance(10s);
  run();
  EXPECT_EQ(server->connections(), 0u);
  EXPECT_EQ(server->counters().timeouts, 1u);
}

TEST_F(ServerTest, CloseEndsEveryConnectionAndTheListener) {
  auto server = make(options());
  auto s = connect();
  run();
  server->close();
  EXPECT_TRUE(closed_by_server(s));
  boost::system::error_code ec;
  tcp::socket t(io_);
  t.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_), ec);
  EXPECT_TRUE(ec);
}

TEST_F(ServerTest, AnAddressInUseIsAClearError) {
  auto server = make(options());
  auto o = options();
  o.listen = {tcp::endpoint(asio::ip::make_address("127.0.0.1"), port_)};
  Server second(io_, o, [](std::string_view, std::string_view, Routes::Done) {});
  try {
    second.open();
    FAIL() << "bound twice";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot listen on 127.0.0.1:" + std::to_string(port_)));
  }
}

TEST(ClientAddress, AMappedIpv4AddressIsIpv4) {
  EXPECT_EQ(client_address(asio::ip::make_address("::ffff:192.0.2.7")), IpAddress(*Ipv4Address::parse("192.0.2.7")));
  EXPECT_EQ(client_address(asio::ip::make_address("2001:db8::1")), *IpAddress::parse("2001:db8::1"));
  EXPECT_EQ(client_address(asio::ip::make_address("192.0.2.7")), IpAddress(*Ipv4Address::parse("192.0.2.7")));
}

}  // namespace
}  // namespace pairgate::http
