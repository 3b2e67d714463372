// The pair view with a fake channel and a manual clock: what is sent when,
// what is kept of what arrives, and what peer-status answers.
#include "peer/pair_view.h"

#include <gtest/gtest.h>

#include <vector>

#include "conf/config.h"
#include "tests/support/manual_clock.h"
#include "tests/support/module_context.h"

namespace pairgate {
namespace {

using namespace std::chrono_literals;

class FakeChannel final : public PeerChannel {
 public:
  void attach(PeerMessageType first, std::string, PeerUser& u) override {
    first_ = first;
    user = &u;
  }
  void detach(PeerUser&) override { user = nullptr; }
  bool send(PeerMessageType type, std::span<const std::byte> payload) override {
    if (!up || full) return false;
    sent.push_back({type, std::string(reinterpret_cast<const char*>(payload.data()), payload.size())});
    return true;
  }
  bool is_up() const override { return up; }

  PeerUser* user = nullptr;
  PeerMessageType first_ = 0;
  bool up = false;
  bool full = false;
  std::vector<std::pair<PeerMessageType, std::string>> sent;
};

class PairViewTest : public ::testing::Test {
 protected:
  PairViewTest() {
    registries_.commands.add({.name = "status", .run = [this](const nlohmann::json&, const PeerCredentials&) {
                                return nlohmann::json{{"node", "beagle"}, {"n", ++statuses_}};
                              }});
  }
  void come_up() {
    channel_.up = true;
    channel_.user->up(PeerHello{.node = "primergy", .software = "0.1.0", .part = {}});
  }
  nlohmann::json ask() {
    std::string line;
    run_local(registries_.commands, "peer-status", nlohmann::json::object(), [&](std::string l) { line = l; });
    return nlohmann::json::parse(line)["result"];
  }
  void receive(const std::string& body, PeerMessageType type = PairView::kStatus) {
    channel_.user->message(type, std::as_bytes(std::span(body.data(), body.size())));
  }

  boost::asio::io_context io_;
  testing::Registries registries_;
  testing::ManualClock clock_;
  FakeChannel channel_;
  int statuses_ = 0;
  PairView view_{io_, registries_.commands, channel_, &clock_, 2s};
};

TEST_F(PairViewTest, AttachesToItsBlockAndAnswersBeforeAnythingArrived) {
  EXPECT_EQ(channel_.first_, peer_types::pair_view_first);
  auto s = ask();
  EXPECT_EQ(s["channel"], "down");
  EXPECT_TRUE(s["status"].is_null());
  EXPECT_TRUE(s["age_s"].is_null());
}

TEST_F(PairViewTest, SendsItsStatusWhenTheChannelComesUpAndEveryIntervalWhileUp) {
  view_.start(conf::Config{});
  clock_.advance(5s);
  EXPECT_TRUE(channel_.sent.empty()) << "nothing while down";
  come_up();
  ASSERT_EQ(channel_.sent.size(), 1u);
  EXPECT_EQ(channel_.sent[0].first, PairView::kStatus);
  EXPECT_EQ(nlohmann::json::parse(channel_.sent[0].second)["node"], "beagle");
  clock_.advance(6s);
  EXPECT_EQ(channel_.sent.size(), 4u);
  channel_.full = true;
  clock_.advance(2s);
  EXPECT_EQ(view_.counters().send_refused, 1u);
  channel_.user->down("test");
  channel_.up = false;
  clock_.advance(10s);
  EXPECT_EQ(channel_.sent.size(), 4u);
  bool stopped = false;
  view_.stop([&] { stopped = true; });
  EXPECT_TRUE(stopped);
  EXPECT_EQ(clock_.armed(), 0u);
}

TEST_F(PairViewTest, KeepsThePeersLastStatusWithItsAge) {
  come_up();
  receive(R"({"node": "primergy", "vrrp": []})");
  clock_.advance(3s);
  auto s = ask();
  EXPECT_EQ(s["node"], "primergy");
  EXPECT_EQ(s["channel"], "up");
  EXPECT_EQ(s["status"]["node"], "primergy");
  EXPECT_DOUBLE_EQ(s["age_s"].get<double>(), 3.0);
  channel_.user->down("cut");
  s = ask();
  EXPECT_EQ(s["channel"], "down");
  EXPECT_EQ(s["status"]["node"], "primergy") << "the last status stays, with its age";
}

TEST_F(PairViewTest, WhatIsNotAJsonObjectOrTooLargeIsRejectedAndCounted) {
  come_up();
  receive(R"({"node": "primergy"})");
  receive("not json");
  receive("[1, 2]");
  receive(std::string(PairView::kMaxStatus + 1, ' '));
  receive("{}", PairView::kStatus + 1);
  receive(std::string(100000, '['));
  EXPECT_EQ(view_.counters().rejected, 5u);
  EXPECT_EQ(view_.counters().received, 1u);
  EXPECT_EQ(ask()["status"]["node"], "primergy") << "the good one is kept";
}

}  // namespace
}  // namespace pairgate
