// The control socket against real clients on a temporary path. Time passes
// only inside io_context::run_for; nothing sleeps.
#include "core/control_server.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <fstream>

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
    o.idle_timeout = 200ms;
    o.write_timeout = 200ms;
    o.max_clients = 3;
    o.root_reserve = 0;
    return o;
  }

  static std::string answer(const control::Request& r, const PeerCredentials& peer) {
    return control::ok_response({{"command", control::to_string(r.command)}, {"uid", peer.uid}});
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
  // The same connection serves another request.
  line = roundtrip(client, "leases\n");
  EXPECT_NE(line.find("\"leases\""), std::string::npos);
  EXPECT_EQ(server.counters().requests, 2u);
}

TEST_F(ControlServerTest, BadRequestGetsAnErrorAndACounter) {
  ControlServer server(io_, options(), answer);
  server.open();
  stream::socket client(io_);
  client.connect(stream::endpoint(path_));
  auto line = roundtrip(client, "{\"command\":\"format-disk\"}\n");
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
  io_.run_for(50ms);
  EXPECT_EQ(server.clients(), 1u);
  io_.run_for(400ms);
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
  ControlServer server(io_, options(), [](const control::Request&, const PeerCredentials&) -> std::string {
    throw std::runtime_error("boom");
  });
  server.open();
  stream::socket client(io_);
  client.connect(stream::endpoint(path_));
  auto line = roundtrip(client, "status\n");
  EXPECT_NE(line.find("\"code\":\"internal\""), std::string::npos) << line;
  EXPECT_NE(line.find("boom"), std::string::npos);
}

}  // namespace
}  // namespace pairgate
