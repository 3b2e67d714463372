#include "core/events.h"

#include <gtest/gtest.h>

namespace pairgate {
namespace {

using namespace std::chrono_literals;

// A wall clock that ticks 1 ms per event.
struct TickingWall {
  std::chrono::system_clock::time_point t{std::chrono::sys_days{std::chrono::November / 29 / 2026}};
  std::chrono::system_clock::time_point operator()() { return t += 1ms; }
};

TEST(EventBus, NumbersStampsAndDeliversInOrder) {
  EventBus bus(100, TickingWall{});
  std::vector<std::uint64_t> seen;
  bus.subscribe([&](const Event& e) { seen.push_back(e.seq); });
  for (int i = 0; i < 1000; ++i) bus.publish("vrrp", "V1", "transition " + std::to_string(i));
  ASSERT_EQ(seen.size(), 1000u);
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);
  EXPECT_EQ(bus.last_seq(), 1000u);
}

TEST(EventBus, AnEventPublishedByAListenerComesAfterTheCurrentOneForEveryone) {
  EventBus bus;
  std::vector<std::string> a, b;
  bus.subscribe([&](const Event& e) {
    a.push_back(e.kind);
    if (e.kind == "vrrp") bus.publish("notify", "", "reacting");
  });
  bus.subscribe([&](const Event& e) { b.push_back(e.kind); });
  bus.publish("vrrp", "V1", "MASTER");
  EXPECT_EQ(a, (std::vector<std::string>{"vrrp", "notify"}));
  EXPECT_EQ(b, a);
}

TEST(EventBus, AListenerMayUnsubscribeItselfWhileBeingCalled) {
  EventBus bus;
  int calls = 0;
  EventBus::SubscriptionId id = 0;
  id = bus.subscribe([&](const Event&) {
    ++calls;
    bus.unsubscribe(id);
  });
  bus.publish("a", "", "");
  bus.publish("b", "", "");
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(bus.listeners(), 0u);
}

TEST(EventBus, HistoryTellsALateReaderWhatItMissed) {
  EventBus bus(10);
  for (int i = 0; i < 25; ++i) bus.publish("tunnel", "ip6tnl1", "");
  auto b = bus.since(0);
  EXPECT_EQ(b.missed, 15u);
  ASSERT_EQ(b.events.size(), 10u);
  EXPECT_EQ(b.events.front().seq, 16u);
  b = bus.since(20);
  EXPECT_EQ(b.missed, 0u);
  EXPECT_EQ(b.events.size(), 5u);
  EXPECT_TRUE(bus.since(25).events.empty());
}

TEST(EventBus, JsonHasTheFieldsAndAnRfc3339Time) {
  EventBus bus(10, TickingWall{});
  std::optional<Event> got;
  bus.subscribe([&](const Event& e) { got = e; });
  bus.publish("vrrp", "VRRP1", "(VRRP1) Entering MASTER STATE", {{"to", "MASTER"}});
  ASSERT_TRUE(got);
  auto j = to_json(*got);
  EXPECT_EQ(j["seq"], 1);
  EXPECT_EQ(j["time"], "2026-11-29T00:00:00.001Z");
  EXPECT_EQ(j["kind"], "vrrp");
  EXPECT_EQ(j["subject"], "VRRP1");
  EXPECT_EQ(j["data"]["to"], "MASTER");
}

}  // namespace
}  // namespace pairgate
