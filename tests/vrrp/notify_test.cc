// vrrp/notify with a process double: which programs start when, in what
// order, and what happens at stop. Nothing runs for real and nothing sleeps.
#include "vrrp/notify.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

namespace pairgate::vrrp {
namespace {

class FakeLauncher : public ProcessLauncher {
 public:
  struct Run {
    std::vector<std::string> argv;
    Done done;
  };
  void run(std::vector<std::string> argv, std::string, std::chrono::milliseconds, Done done) override {
    if (fail_next) {
      fail_next = false;
      ProcessResult r;
      r.error = "No such file or directory";
      done(r);
      return;
    }
    started.push_back(argv);
    live.push_back({std::move(argv), std::move(done)});
  }
  void kill_all() override {
    ++kills;
    for (auto& r : live) {
      ProcessResult result;
      result.killed = true;
      result.signal = 9;
      if (r.done) r.done(result);
    }
    live.clear();
  }
  std::size_t running() const override { return live.size(); }

  // The oldest running program exits with `code`.
  void finish(int code = 0) {
    ASSERT_FALSE(live.empty());
    Run r = std::move(live.front());
    live.erase(live.begin());
    ProcessResult result;
    result.exit_code = code;
    r.done(result);
  }

  std::vector<std::vector<std::string>> started;
  std::vector<Run> live;
  int kills = 0;
  bool fail_next = false;
};

using Args = std::vector<std::string>;

class NotifierTest : public ::testing::Test {
 protected:
  NotifierTest() {
    auto l = std::make_unique<FakeLauncher>();
    launcher = l.get();
    notifier = std::make_unique<Notifier>(io, "beagle", std::move(l));
    conf::Notify n;
    n.exec = {"/usr/local/bin/notify --flag", "/usr/local/bin/second"};
    notifier->configure(n);
  }
  // The fake's results are posted onto the loop, as the real ones are.
  void settle() {
    io.poll();
    io.restart();
  }
  boost::asio::io_context io;
  FakeLauncher* launcher;
  std::unique_ptr<Notifier> notifier;
};

TEST_F(NotifierTest, OneProgramAtATimePerInstanceInTheOrderOfItsTransitions) {
  notifier->state_changed("V1", State::initialize, State::backup, "startup");
  notifier->state_changed("V1", State::backup, State::master, "no advert");
  notifier->state_changed("V1", State::master, State::fault, "tunnel DOWN");
  notifier->state_changed("V2", State::initialize, State::backup, "startup");
  // V1 and V2 each run one program; the rest wait.
  EXPECT_EQ(launcher->running(), 2u);
  EXPECT_EQ(notifier->exec_waiting(), 6u);
  const std::vector<Args> want = {
      {"/usr/local/bin/notify", "--flag", "V1", "INIT", "BACKUP"}, {"/usr/local/bin/second", "V1", "INIT", "BACKUP"},
      {"/usr/local/bin/notify", "--flag", "V1", "BACKUP", "MASTER"}, {"/usr/local/bin/second", "V1", "BACKUP", "MASTER"},
      {"/usr/local/bin/notify", "--flag", "V1", "MASTER", "FAULT"}, {"/usr/local/bin/second", "V1", "MASTER", "FAULT"}};
  std::vector<Args> v1;
  for (int i = 0; i < 6; ++i) {
    ASSERT_LE(launcher->running(), 2u);
    for (auto& r : launcher->live) {
      if (r.argv[r.argv.size() - 3] == "V1" && (v1.empty() || v1.back() != r.argv)) v1.push_back(r.argv);
    }
    // Finish V1's program (V2's stays running all along).
    auto it = std::find_if(launcher->live.begin(), launcher->live.end(),
                           [](const auto& r) { return r.argv[r.argv.size() - 3] == "V1"; });
    ASSERT_NE(it, launcher->live.end());
    std::rotate(launcher->live.begin(), it, it + 1);
    launcher->finish();
    EXPECT_EQ(launcher->running(), 1u) << "the next V1 program starts only from the loop";
    settle();
  }
  EXPECT_EQ(v1, want);
  EXPECT_EQ(notifier->exec_started(), 7u);
}

TEST_F(NotifierTest, TheQueueIsBoundedAndDropsTheOldestWaiting) {
  conf::Notify n;
  n.exec = {"/usr/local/bin/notify"};
  notifier->configure(n);
  // One runs, 64 wait, 6 more push the oldest waiting ones out.
  for (int i = 0; i < 71; ++i) notifier->state_changed("V1", State::backup, State::master, "flap " + std::to_string(i));
  EXPECT_EQ(launcher->running(), 1u);
  EXPECT_EQ(notifier->exec_waiting(), Notifier::kQueue);
  EXPECT_EQ(notifier->exec_dropped(), 6u);
  for (int i = 0; i < 65; ++i) {
    launcher->finish();
    settle();
  }
  EXPECT_EQ(launcher->started.size(), 65u);
  EXPECT_EQ(notifier->exec_waiting(), 0u);
}

TEST_F(NotifierTest, AProgramThatCannotStartIsCountedAndTheNextOneRuns) {
  launcher->fail_next = true;
  notifier->state_changed("V1", State::initialize, State::backup, "startup");
  settle();
  EXPECT_EQ(notifier->exec_failed(), 1u);
  ASSERT_EQ(launcher->running(), 1u);
  EXPECT_EQ(launcher->live[0].argv[0], "/usr/local/bin/second");
  launcher->finish(3);
  settle();
  EXPECT_EQ(notifier->exec_failed(), 2u) << "a non-zero exit counts too";
}

TEST_F(NotifierTest, DrainWaitsForWhatRunsAndWaits) {
  bool drained = false;
  notifier->drain([&] { drained = true; });
  EXPECT_TRUE(drained) << "nothing to wait for";
  drained = false;
  notifier->state_changed("V1", State::master, State::initialize, "shutdown");
  notifier->drain([&] { drained = true; });
  EXPECT_FALSE(drained);
  launcher->finish();
  settle();
  EXPECT_FALSE(drained) << "the second program still has to run";
  launcher->finish();
  settle();
  EXPECT_TRUE(drained);
  EXPECT_EQ(launcher->kills, 0);
}

TEST_F(NotifierTest, AbortKillsWhatRunsAndDropsWhatWaits) {
  notifier->state_changed("V1", State::master, State::initialize, "shutdown");
  notifier->state_changed("V2", State::master, State::initialize, "shutdown");
  bool drained = false;
  notifier->drain([&] { drained = true; });
  notifier->abort();
  EXPECT_TRUE(drained);
  EXPECT_EQ(launcher->kills, 1);
  EXPECT_EQ(notifier->exec_dropped(), 2u) << "each instance's second program never ran";
  EXPECT_EQ(notifier->exec_waiting(), 0u);
  settle();
  EXPECT_EQ(launcher->started.size(), 2u) << "nothing starts after abort";
}

TEST(Notifier, MailReadsLikeKeepalivedsSmtpAlert) {
  conf::Email e;
  e.to = {"john.doe+home@example.com"};
  e.from = "jOhn.doe@example.com";
  auto m = Notifier::alert("beagle", e, "VRRP1", State::master, "no advert within Master_Down_Interval");
  EXPECT_EQ(m.subject, "[beagle] VRRP Instance VRRP1 - Entering MASTER state");
  EXPECT_EQ(m.from, "jOhn.doe@example.com");
  EXPECT_EQ(m.to, std::vector<std::string>{"john.doe+home@example.com"});
  EXPECT_TRUE(m.body.starts_with("=> VRRP Instance is now owning VRRP VIPs <=\n"));
  EXPECT_NE(m.body.find("reason: no advert within Master_Down_Interval"), std::string::npos);
  EXPECT_EQ(Notifier::alert("b", e, "V", State::fault, "x").subject, "[b] VRRP Instance V - Entering FAULT state");
}

}  // namespace
}  // namespace pairgate::vrrp

namespace pairgate::vrrp {
namespace {

// The programs follow the event stream: a transition published while the bus
// delivers another event (a listener reacting to it) runs after that one, as
// `pairgatectl events` shows it, and events that are not VRRP transitions
// run nothing.
TEST_F(NotifierTest, ProgramsStartInTheEventStreamsOrder) {
  conf::Notify n;
  n.exec = {"/usr/local/bin/notify"};
  notifier->configure(n);
  EventBus bus;
  std::vector<std::uint64_t> seen;
  // Subscribed first: reacts to V1's MASTER by publishing V2's BACKUP.
  bus.subscribe([&](const Event& e) {
    seen.push_back(e.seq);
    if (e.subject == "V1" && e.data.value("to", "") == "MASTER") {
      bus.publish("vrrp", "V2", "(V2) Entering BACKUP STATE", {{"from", "MASTER"}, {"to", "BACKUP"}, {"reason", "sync"}});
    }
  });
  notifier->follow(bus);
  bus.publish("tunnel", "ip6tnl1", "tunnel ip6tnl1 DOWN", {{"state", "DOWN"}});
  bus.publish("vrrp", "V1", "(V1) Entering MASTER STATE", {{"from", "BACKUP"}, {"to", "MASTER"}, {"reason", "x"}});
  bus.publish("vrrp", "V3", "malformed", {{"to", "SIDEWAYS"}});
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2, 3, 4}));
  ASSERT_EQ(launcher->started.size(), 2u);
  EXPECT_EQ(launcher->started[0], (Args{"/usr/local/bin/notify", "V1", "BACKUP", "MASTER"}));
  EXPECT_EQ(launcher->started[1], (Args{"/usr/local/bin/notify", "V2", "MASTER", "BACKUP"}));
  // One at a time per instance still: V1's next waits for its first.
  bus.publish("vrrp", "V1", "(V1) Entering BACKUP STATE", {{"from", "MASTER"}, {"to", "BACKUP"}, {"reason", "y"}});
  EXPECT_EQ(launcher->started.size(), 2u);
  launcher->finish();
  settle();
  ASSERT_EQ(launcher->started.size(), 3u);
  EXPECT_EQ(launcher->started[2], (Args{"/usr/local/bin/notify", "V1", "MASTER", "BACKUP"}));
  notifier.reset();  // before the bus it follows
}

TEST_F(NotifierTest, ADestroyedNotifierLeavesTheBus) {
  EventBus bus;
  notifier->follow(bus);
  EXPECT_EQ(bus.listeners(), 1u);
  notifier.reset();
  EXPECT_EQ(bus.listeners(), 0u);
  bus.publish("vrrp", "V1", "", {{"from", "BACKUP"}, {"to", "MASTER"}});
}

}  // namespace
}  // namespace pairgate::vrrp
