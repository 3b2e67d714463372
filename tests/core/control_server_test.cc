// The control socket against real clients on a temporary path. Deadlines
// run on a manual clock; the loop runs only to move bytes, never to wait for
// time to pass.
#include "core/control_server.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>

#include "tests/support/manual_clock.h"

namespace pairgate {
namespace {

namespace asio = boost::asio;
using stream = asio::local::stream_protocol;
using namespace std::chrono_literals;

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("pairgate-ctl-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    path_ = (dir_ / "sub" / "control.sock").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ControlServer::Options options() {
    ControlServer::Options o;
    o.path = path_;
    o.mode = 0640;
    o.idle_timeout = 30s;
    o.write_timeout = 5s;
    o.max_clients = 3;
    o.root_reserve = 0;
    o.clock = &clock_;
    return o;
  }

  static void answer(const control::Request& r, const PeerCredentials& peer, ReplyPtr reply) {
    if (r.command == "format-disk") {
      reply->error("unknown command", control::code::bad_request);
      return;
    }
    reply->ok({{"command", r.command}, {"args", r.args}, {"uid", peer.uid}});
  }

  // What the server wrote until `n` lines came (or 2 s of real time passed).
  std::string read_lines(stream::socket& s, long n) {
    std::string got;
    for (int i = 0; i < 200 && std::count(got.begin(), got.end(), '\n') < n; ++i) {
      io_.run_for(10ms);
      while (s.available() > 0) {
        char buf[4096];
        got.append(buf, s.read_some(asio::buffer(buf)));
      }
    }
    io_.restart();
    return got;
  }

  // Runs the loop until `done` or 2 s of real time, for bytes to move.
  void run_until(const std::function<bool()>& done) {
    for (int i = 0; i < 200 && !done(); ++i) io_.run_for(10ms);
    io_.restart();
  }

  // Sends `request` and runs the loop until a line comes back (or 2 s pass).
  std::string roundtrip(stream::socket& s, const std::string& request) {
    asio::write(s, asio::buffer(request));
    std::string line;
    bool done = false;
    asio::async_read_until(s, asio::dynamic_buffer(line), '\n', [&](boost::system::error_code, std::size_t) { done = true; });
    for (int i = 0; i < 200 && !done; ++i) io_.run_for(10ms);
    io_.restart();
    return line;
  }

  // `n` connected clients that say nothing, accepted by the server.
  std::vector<stream::socket> hold(int n) {
    std::vector<stream::socket> held;
    for (int i = 0; i < n; ++i) {
      held.emplace_back(io_);
      held.back().connect(stream::endpoint(path_));
    }
    io_.run_for(50ms);
    io_.restart();
    return held;
  }

  asio::io_context io_;
  testing::ManualClock clock_;
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(ControlServerTest, CreatesTheSocketWithItsModeAndRemovesItOnClose) {
  ControlServer server(io_, options(), answer);
  server.open();
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  server.close();
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(ControlServerTest, AnswersRequestsAndSeesThePeer) {
  ControlServer server(io_, options(), answer);
  server.open();
  stream::socket client(io_);
  client.connect(stream::endpoint(path_));
  auto line = roundtrip(client, "{\"command\":\"status\"}\n");
  auto r = control::parse_response(line.substr(0, line.size() - 1));
  ASSERT_TRUE(r.has_value()) << line;
  EXPECT_TRUE(r->ok);
  EXPECT_EQ(r->result["command"], "status");
  EXPECT_EQ(r->result["uid"], ::getuid());
  // The same connection serves another request, with its arguments.
  line = roundtrip(client, "{\"command\":\"leases\",\"limit\":5}\n");
  EXPECT_NE(line.find("\"leases\""), std::string::npos);
  EXPECT_NE(line.find("\"limit\":5"), std::string::npos) << line;
  EXPECT_EQ(server.counters().requests, 2u);
}

TEST_F(ControlServerTest, BadRequestGetsAnErrorAndACounter) {
  ControlServer server(io_, options(), answer);
  server.open();
  stream::socket client(io_);
  client.connect(stream::endpoint(path_));
  auto line = roundtrip(client, "{\"command\":42}\n");
  EXPECT_NE(line.find("bad_request"), std::string::npos) << line;
  EXPECT_EQ(server.counters().bad_requests, 1u);
}

TEST_F(ControlServerTest, OverlongLineIsRefusedAndTheClientCutOff) {
  ControlServer server(io_, options(), answer);
  server.open();
  stream::socket client(io_);
  client.connect(stream::endpoint(path_));
  auto line = roundtrip(client, std::string(10000, 'x'));
  EXPECT_NE(line.find("longer than 4096"), std::string::npos) << line;
  EXPECT_EQ(server.counters().bad_requests, 1u);
}

TEST_F(ControlServerTest, SilentClientIsDisconnectedByTheIdleDeadline) {
  ControlServer server(io_, options(), answer);
  server.open();
  stream::socket client(io_);
  client.connect(stream::endpoint(path_));
  run_until([&] { return server.clients() == 1; });
  EXPECT_EQ(server.clients(), 1u);
  clock_.advance(29s);
  io_.poll();
  io_.restart();
  EXPECT_EQ(server.clients(), 1u);
  clock_.advance(1s);
  run_until([&] { return server.clients() == 0; });
  EXPECT_EQ(server.clients(), 0u);
  EXPECT_EQ(server.counters().timeouts, 1u);
  // Others are still served.
  stream::socket other(io_);
  other.connect(stream::endpoint(path_));
  EXPECT_NE(roundtrip(other, "status\n").find("\"ok\":true"), std::string::npos);
}

TEST_F(ControlServerTest, ClientsBeyondTheLimitAreToldBusy) {
  ControlServer server(io_, options(), answer);
  server.open();
  auto held = hold(3);
  stream::socket extra(io_);
  extra.connect(stream::endpoint(path_));
  std::string line;
  bool done = false;
  asio::async_read_until(extra, asio::dynamic_buffer(line), '\n', [&](boost::system::error_code, std::size_t) { done = true; });
  for (int i = 0; i < 100 && !done; ++i) io_.run_for(10ms);
  EXPECT_NE(line.find("busy"), std::string::npos) << line;
  EXPECT_EQ(server.counters().rejected_busy, 1u);
}

// The reserve is root's: run as root (CI), the extra client is served; run
// as anyone else, it is told busy like any other.
TEST_F(ControlServerTest, RootHasReservedSlots) {
  auto o = options();
  o.root_reserve = 1;
  ControlServer server(io_, o, answer);
  server.open();
  auto held = hold(3);
  stream::socket extra(io_);
  extra.connect(stream::endpoint(path_));
  const std::string line = roundtrip(extra, "status\n");
  if (::getuid() == 0) {
    EXPECT_NE(line.find("\"ok\":true"), std::string::npos) << line;
    EXPECT_EQ(server.counters().rejected_busy, 0u);
  } else {
    EXPECT_NE(line.find("busy"), std::string::npos) << line;
  }
}

TEST_F(ControlServerTest, StaleSocketIsReplaced) {
  {
    // A socket file nobody listens on, as a crashed run leaves it.
    stream::acceptor dead(io_);
    std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
    dead.open(stream());
    dead.bind(stream::endpoint(path_));
    dead.close();
  }
  ASSERT_TRUE(std::filesystem::exists(path_));
  ControlServer server(io_, options(), answer);
  EXPECT_NO_THROW(server.open());
  stream::socket client(io_);
  client.connect(stream::endpoint(path_));
  EXPECT_NE(roundtrip(client, "status\n").find("\"ok\":true"), std::string::npos);
}

TEST_F(ControlServerTest, LiveSocketIsNeverStolen) {
  ControlServer first(io_, options(), answer);
  first.open();
  ControlServer second(io_, options(), answer);
  try {
    second.open();
    FAIL() << "a second server took a live socket";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("another pairgated is running"), std::string::npos) << e.what();
  }
  // The first one still serves, and its file is still there.
  stream::socket client(io_);
  client.connect(stream::endpoint(path_));
  EXPECT_NE(roundtrip(client, "status\n").find("\"ok\":true"), std::string::npos);
}

TEST_F(ControlServerTest, RefusesToReplaceSomethingThatIsNotASocket) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  std::ofstream(path_) << "precious";
  ControlServer server(io_, options(), answer);
  EXPECT_THROW(server.open(), std::runtime_error);
  std::ifstream in(path_);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "precious");
}

TEST_F(ControlServerTest, HandlerExceptionsBecomeErrorResponses) {
  ControlServer server(io_, options(), [](const control::Request&, const PeerCredentials&, ReplyPtr) {
    throw std::runtime_error("boom");
  });
  server.open();
  stream::socket client(io_);
  client.connect(stream::endpoint(path_));
  auto line = roundtrip(client, "status\n");
  EXPECT_NE(line.find("\"code\":\"internal\""), std::string::npos) << line;
  EXPECT_NE(line.find("boom"), std::string::npos);
}

TEST_F(ControlServerTest, AnAnswerMayComeLaterAndTheNextRequestWaitsForIt) {
  ReplyPtr pending;
  ControlServer server(io_, options(), [&](const control::Request& r, const PeerCredentials&, ReplyPtr reply) {
    if (r.command == "slow") {
      pending = reply;
      return;
    }
    reply->ok({{"command", r.command}});
  });
  server.open();
  stream::socket client(io_);
  client.connect(stream::endpoint(path_));
  asio::write(client, asio::buffer(std::string("slow\nfast\n")));
  run_until([&] { return pending != nullptr; });
  ASSERT_NE(pending, nullptr);
  // The idle deadline does not run while a command is being answered.
  clock_.advance(60s);
  io_.poll();
  io_.restart();
  EXPECT_EQ(client.available(), 0u);
  EXPECT_FALSE(pending->closed());
  pending->ok({{"command", "slow"}});
  const std::string got = read_lines(client, 2);
  EXPECT_LT(got.find("slow"), got.find("fast")) << got;
}

TEST_F(ControlServerTest, AStreamWritesLinesUntilTheClientHangsUp) {
  ReplyPtr stream_reply;
  bool closed = false;
  ControlServer server(io_, options(), [&](const control::Request&, const PeerCredentials&, ReplyPtr reply) {
    stream_reply = reply;
    reply->on_close([&] { closed = true; });
    reply->write(control::ok_response({{"stream", true}}));
  });
  server.open();
  {
    stream::socket client(io_);
    client.connect(stream::endpoint(path_));
    asio::write(client, asio::buffer(std::string("follow\n")));
    run_until([&] { return stream_reply != nullptr; });
    ASSERT_NE(stream_reply, nullptr);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(stream_reply->write("{\"n\":" + std::to_string(i) + "}\n"));
    const std::string got = read_lines(client, 4);
    EXPECT_NE(got.find("{\"n\":2}"), std::string::npos) << got;
  }
  // The client closed its end: the server notices without writing.
  run_until([&] { return closed; });
  EXPECT_TRUE(closed);
  EXPECT_TRUE(stream_reply->closed());
  EXPECT_FALSE(stream_reply->write("{}\n"));
  run_until([&] { return server.clients() == 0; });
  EXPECT_EQ(server.clients(), 0u);
}

TEST_F(ControlServerTest, AReaderThatFallsBehindIsCutLooseWithoutStallingTheLoop) {
  auto o = options();
  o.max_queued_bytes = 64 * 1024;
  ReplyPtr stream_reply;
  ControlServer server(io_, o, [&](const control::Request&, const PeerCredentials&, ReplyPtr reply) { stream_reply = reply; });
  server.open();
  stream::socket client(io_);
  client.connect(stream::endpoint(path_));
  asio::write(client, asio::buffer(std::string("follow\n")));
  run_until([&] { return stream_reply != nullptr; });
  ASSERT_NE(stream_reply, nullptr);
  // The client never reads: once the socket's buffers and 64 KiB are full,
  // write() says so and the client is gone.
  const std::string line(1000, 'x');
  int written = 0;
  while (stream_reply->write(line + "\n") && written < 100000) {
    ++written;
    if (written % 50 == 0) io_.poll();
  }
  io_.restart();
  EXPECT_LT(written, 100000);
  EXPECT_TRUE(stream_reply->closed());
  EXPECT_EQ(server.counters().cut_slow, 1u);
}

TEST_F(ControlServerTest, ClosingTheServerEndsItsStreams) {
  bool closed = false;
  ControlServer server(io_, options(), [&](const control::Request&, const PeerCredentials&, ReplyPtr reply) {
    reply->on_close([&] { closed = true; });
  });
  server.open();
  stream::socket client(io_);
  client.connect(stream::endpoint(path_));
  asio::write(client, asio::buffer(std::string("follow\n")));
  run_until([&] { return server.counters().requests == 1; });
  server.close();
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace pairgate
