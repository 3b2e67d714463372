// `events`: the stream of the event bus, in order, with what a late reader
// missed; a reader that does not read is cut loose by the control server
// while the others keep up. Time is a manual clock; the loop runs only to
// move bytes.
#include "app/events_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/write.hpp>
#include <filesystem>

#include "core/commands.h"
#include "core/control_server.h"
#include "core/events.h"
#include "tests/support/capture_reply.h"
#include "tests/support/manual_clock.h"

namespace pairgate {
namespace {

namespace asio = boost::asio;
using stream = asio::local::stream_protocol;
using namespace std::chrono_literals;
using ::testing::HasSubstr;

nlohmann::json parse(const std::string& line) { return nlohmann::json::parse(line); }

TEST(EventsCommand, HeaderThenEveryEventInOrderUntilTheClientLeaves) {
  CommandRegistry commands;
  EventBus bus;
  add_events_command(commands, bus, "0123456789abcdef");
  bus.publish("reload", "", "before");
  auto reply = std::make_shared<testing::CaptureReply>();
  commands.dispatch(control::Request{"events"}, {}, reply);
  ASSERT_EQ(reply->lines.size(), 1u);
  auto header = parse(reply->lines[0]);
  EXPECT_EQ(header["ok"], true);
  EXPECT_EQ(header["result"], (nlohmann::json{{"stream", "events"}, {"boot", "0123456789abcdef"}, {"last_seq", 1}}));
  bus.publish("vrrp", "VRRP1", "(VRRP1) Entering MASTER STATE", {{"to", "MASTER"}});
  bus.publish("tunnel", "ip6tnl1", "tunnel ip6tnl1 UP");
  ASSERT_EQ(reply->lines.size(), 3u);
  EXPECT_EQ(parse(reply->lines[1])["seq"], 2);
  EXPECT_EQ(parse(reply->lines[1])["data"]["to"], "MASTER");
  EXPECT_EQ(parse(reply->lines[2])["kind"], "tunnel");
  EXPECT_FALSE(reply->finished);
  EXPECT_EQ(bus.listeners(), 1u);
  reply->hang_up();
  EXPECT_EQ(bus.listeners(), 0u);
  bus.publish("vrrp", "VRRP1", "after");
  EXPECT_EQ(reply->lines.size(), 3u);
}

TEST(EventsCommand, SinceReplaysTheHistoryAndSaysWhatIsNoLongerThere) {
  CommandRegistry commands;
  EventBus bus(10);
  add_events_command(commands, bus, "b");
  for (int i = 1; i <= 25; ++i) bus.publish("vrrp", "V", std::to_string(i));
  auto reply = std::make_shared<testing::CaptureReply>();
  commands.dispatch(control::Request{"events", {{"since", 3}}}, {}, reply);
  ASSERT_EQ(reply->lines.size(), 12u);
  EXPECT_EQ(parse(reply->lines[1]), (nlohmann::json{{"missed", 12}, {"after_seq", 3}}));
  EXPECT_EQ(parse(reply->lines[2])["seq"], 16);
  EXPECT_EQ(parse(reply->lines[11])["seq"], 25);
  // Up to date: nothing missed, nothing replayed.
  auto again = std::make_shared<testing::CaptureReply>();
  commands.dispatch(control::Request{"events", {{"since", 25}}}, {}, again);
  EXPECT_EQ(again->lines.size(), 1u);
}

TEST(EventsCommand, ASinceFromAnotherBootMeansEverythingHeld) {
  CommandRegistry commands;
  EventBus bus(10);
  add_events_command(commands, bus, "new");
  for (int i = 1; i <= 3; ++i) bus.publish("vrrp", "V", std::to_string(i));
  auto reply = std::make_shared<testing::CaptureReply>();
  commands.dispatch(control::Request{"events", {{"since", 500}, {"boot", "old"}}}, {}, reply);
  ASSERT_EQ(reply->lines.size(), 4u);
  EXPECT_EQ(parse(reply->lines[1])["seq"], 1);
  auto same = std::make_shared<testing::CaptureReply>();
  commands.dispatch(control::Request{"events", {{"since", 2}, {"boot", "new"}}}, {}, same);
  ASSERT_EQ(same->lines.size(), 2u);
  EXPECT_EQ(parse(same->lines[1])["seq"], 3);
}

TEST(EventsCommand, ABadSinceIsRefused) {
  CommandRegistry commands;
  EventBus bus;
  add_events_command(commands, bus, "b");
  for (const auto& since : {nlohmann::json(-1), nlohmann::json("7"), nlohmann::json(1.5)}) {
    auto reply = std::make_shared<testing::CaptureReply>();
    commands.dispatch(control::Request{"events", {{"since", since}}}, {}, reply);
    EXPECT_EQ(reply->response().code, "bad_request") << since;
    EXPECT_TRUE(reply->finished);
  }
  EXPECT_EQ(bus.listeners(), 0u);
}

TEST(EventsCommand, BootIdsDiffer) {
  const auto a = make_boot_id();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, make_boot_id());
}

// Over the real control socket: 1,000 VRRP transitions, one per millisecond
// of a manual clock, reach a reader that reads, in order and stamped with
// the clock's time; a reader that never reads is cut loose when 64 KiB pile
// up, without holding up the publisher or the other reader, and learns on
// its return how many it missed.
class EventsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("pairgate-events-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    path_ = (dir_ / "control.sock").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  stream::socket follow(const nlohmann::json& args = nlohmann::json::object()) {
    stream::socket s(io_);
    s.connect(stream::endpoint(path_));
    asio::write(s, asio::buffer(control::encode_request("events", args)));
    return s;
  }

  // Moves bytes: runs ready handlers and reads what `s` has (never blocks).
  void drain(stream::socket& s, std::string& into) {
    io_.poll();
    io_.restart();
    while (s.available() > 0) {
      char buf[65536];
      into.append(buf, s.read_some(asio::buffer(buf)));
    }
  }

  std::vector<nlohmann::json> lines(const std::string& text) {
    std::vector<nlohmann::json> out;
    std::size_t start = 0;
    for (auto nl = text.find('\n'); nl != std::string::npos; nl = text.find('\n', start = nl + 1)) {
      out.push_back(nlohmann::json::parse(text.substr(start, nl - start)));
    }
    return out;
  }

  asio::io_context io_;
  testing::ManualClock clock_;
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(EventsStreamTest, AThousandTransitionsInOrderAndASlowReaderCutLoose) {
  // The bus stamps events from the manual clock: the wall clock starts at an
  // instant and moves with it.
  const auto epoch = clock_.now();
  const std::chrono::system_clock::time_point wall0{std::chrono::sys_days{std::chrono::November / 29 / 2026}};
  EventBus bus(100, [&] {
    return wall0 + std::chrono::duration_cast<std::chrono::system_clock::duration>(clock_.now() - epoch);
  });
  CommandRegistry commands;
  add_events_command(commands, bus, "b");
  ControlServer::Options o;
  o.path = path_;
  o.max_queued_bytes = 64 * 1024;
  o.clock = &clock_;
  ControlServer server(io_, o, [&](const control::Request& r, const PeerCredentials& p, ReplyPtr reply) {
    commands.dispatch(r, p, reply);
  });
  server.open();

  auto fast = follow();
  auto slow = follow();
  std::string got_fast;
  for (int i = 0; i < 20 && bus.listeners() < 2; ++i) drain(fast, got_fast);
  ASSERT_EQ(bus.listeners(), 2u);

  // A flapping instance: a transition every millisecond, from a timer.
  auto timer = clock_.make_timer();
  int published = 0;
  std::function<void()> flap = [&] {
    const bool master = published % 2 == 0;
    bus.publish("vrrp", "VRRP1",
                std::string("(VRRP1) Entering ") + (master ? "MASTER" : "BACKUP") + " STATE: flap " +
                    std::to_string(published),
                {{"from", master ? "BACKUP" : "MASTER"}, {"to", master ? "MASTER" : "BACKUP"}, {"n", published}});
    if (++published < 1000) clock_.arm_after(*timer, 1ms, flap);
  };
  clock_.arm_after(*timer, 1ms, flap);
  for (int step = 0; step < 1000; ++step) {
    clock_.advance(1ms);
    drain(fast, got_fast);
  }
  for (int i = 0; i < 20; ++i) drain(fast, got_fast);
  ASSERT_EQ(published, 1000);

  const auto events = lines(got_fast);
  ASSERT_EQ(events.size(), 1001u);  // the header, then every event
  EXPECT_EQ(events[0]["ok"], true);
  std::string previous_time;
  for (int i = 1; i <= 1000; ++i) {
    ASSERT_EQ(events[i]["seq"], i);
    EXPECT_EQ(events[i]["data"]["n"], i - 1);
    const std::string t = events[i]["time"];
    EXPECT_LT(previous_time, t);  // one millisecond apart, so strictly later
    previous_time = t;
  }
  EXPECT_EQ(events[1]["time"], "2026-11-29T00:00:00.001Z");
  EXPECT_EQ(events[1000]["time"], "2026-11-29T00:00:01.000Z");

  // The reader that never read was cut loose and unsubscribed.
  EXPECT_EQ(server.counters().cut_slow, 1u);
  EXPECT_EQ(bus.listeners(), 1u);

  // It comes back with the last seq it saw (none: 0) and is told what the
  // 100-event history no longer holds.
  auto back = follow({{"since", 0}});
  std::string got_back;
  for (int i = 0; i < 20; ++i) drain(back, got_back);
  const auto resumed = lines(got_back);
  ASSERT_GE(resumed.size(), 3u);
  EXPECT_EQ(resumed[1], (nlohmann::json{{"missed", 900}, {"after_seq", 0}}));
  EXPECT_EQ(resumed[2]["seq"], 901);
  EXPECT_EQ(resumed.back()["seq"], 1000);
}

}  // namespace
}  // namespace pairgate
