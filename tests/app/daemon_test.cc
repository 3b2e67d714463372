// The daemon's frame with placeholder modules: status, leases, reload with a
// good and a broken file, permission for reload, graceful stop.
#include "app/daemon.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "conf/parser.h"
#include "tests/support/capture_reply.h"

namespace pairgate {
namespace {

using namespace std::chrono_literals;

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pairgate-daemon-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_path_ = (dir_ / "pairgate.yaml").string();
    write(120);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(int priority, const std::string& extra = "") {
    std::ofstream(config_path_) << "node: testhost\n"
                                << "control: {socket: " << (dir_ / "control.sock").string() << "}\n"
                                << "logging: {target: stderr, level: warn}\n"
                                << "vrrp:\n  instances:\n"
                                << "    - {name: V1, interface: lan0, vrid: 7, priority: " << priority
                                << ", virtual_addresses: [198.51.100.1/24]}\n"
                                << "dhcp:\n  subnets:\n"
                                << "    - {interface: lan0, subnet: 198.51.100.0/24, pools: [198.51.100.20-198.51.100.99]}\n"
                                << extra;
  }

  std::unique_ptr<Daemon> make() {
    auto loaded = conf::load(config_path_);
    EXPECT_TRUE(loaded.config.has_value()) << loaded.report();
    auto d = std::make_unique<Daemon>(io_, Daemon::Options{config_path_, 500ms, {}}, std::move(*loaded.config));
    d->start();
    return d;
  }

  // Runs a control command as the socket would, waiting on the loop for an
  // answer that comes later (a reload is parsed off the loop).
  nlohmann::json call(Daemon& d, const std::string& command, uid_t uid = 0) {
    PeerCredentials peer;
    peer.uid = uid;
    auto reply = std::make_shared<testing::CaptureReply>();
    d.commands().dispatch(control::Request{command}, peer, reply);
    for (int i = 0; i < 500 && !reply->finished; ++i) io_.run_one_for(10ms);
    io_.restart();
    EXPECT_TRUE(reply->finished) << command;
    const auto r = reply->response();
    return {{"ok", r.ok}, {"result", r.result}, {"error", r.error}, {"code", r.code}, {"details", r.details}};
  }

  // Daemon::reload, then the loop until it answers. The file is read on a
  // thread of the daemon's; run_one_for's bound only keeps a broken build
  // from hanging the test.
  Daemon::ReloadResult reload(Daemon& d) {
    std::optional<Daemon::ReloadResult> result;
    d.reload([&](Daemon::ReloadResult r) { result = std::move(r); });
    EXPECT_FALSE(result.has_value()) << "reload answered inside reload()";
    for (int i = 0; i < 100 && !result; ++i) io_.run_one_for(100ms);
    EXPECT_TRUE(result.has_value()) << "reload never answered";
    return result.value_or(Daemon::ReloadResult{});
  }

  boost::asio::io_context io_;
  std::filesystem::path dir_;
  std::string config_path_;
};

TEST_F(DaemonTest, StatusFollowsTheContract) {
  auto d = make();
  auto s = call(*d, "status")["result"];
  EXPECT_EQ(s["node"], "testhost");
  EXPECT_TRUE(s["uptime_s"].is_number());
  ASSERT_EQ(s["vrrp"].size(), 1u);
  EXPECT_EQ(s["vrrp"][0]["name"], "V1");
  EXPECT_EQ(s["vrrp"][0]["vrid"], 7);
  EXPECT_EQ(s["vrrp"][0]["priority"], 120);
  // lan0 does not exist where unit tests run: the instance waits in FAULT.
  EXPECT_EQ(s["vrrp"][0]["state"], "FAULT");
  EXPECT_EQ(s["vrrp"][0]["virtual_addresses"][0], "198.51.100.1/24");
  EXPECT_EQ(s["dhcp"]["pools"][0]["size"], 80);
  EXPECT_TRUE(s["tunnels"].is_array());
  EXPECT_TRUE(s.contains("firewall"));
  auto page = call(*d, "leases")["result"];
  EXPECT_TRUE(page["leases"].is_array());
  EXPECT_EQ(page["total"], 0);
  EXPECT_EQ(page["limit"], 1000);
}

TEST_F(DaemonTest, ReloadAppliesAGoodFile) {
  auto d = make();
  write(150);
  auto r = call(*d, "reload");
  EXPECT_TRUE(r["ok"]) << r.dump();
  EXPECT_EQ(r["result"]["changed"], "vrrp changed [V1]");
  EXPECT_EQ(call(*d, "status")["result"]["vrrp"][0]["priority"], 150);
}

TEST_F(DaemonTest, ReloadWithABrokenFileKeepsTheRunningConfiguration) {
  auto d = make();
  write(150, "bogus_section: 1\n");
  auto r = call(*d, "reload");
  EXPECT_FALSE(r["ok"]);
  EXPECT_EQ(r["code"], "invalid_config");
  ASSERT_EQ(r["details"].size(), 1u);
  EXPECT_EQ(r["details"][0], config_path_ + ":10:1: error: configuration: unknown key 'bogus_section'");
  auto s = call(*d, "status")["result"];
  EXPECT_EQ(s["vrrp"][0]["priority"], 120);
  EXPECT_EQ(s["reload"]["failures"], 1);
  EXPECT_TRUE(s["reload"].contains("last_error"));
}

TEST_F(DaemonTest, ReloadOfAVanishedFileIsAnErrorNotACrash) {
  auto d = make();
  std::filesystem::remove(config_path_);
  auto r = call(*d, "reload");
  EXPECT_FALSE(r["ok"]);
  EXPECT_NE(r["details"][0].get<std::string>().find("cannot read the file"), std::string::npos);
}

TEST_F(DaemonTest, ReloadIsForRootOnly) {
  auto d = make();
  auto r = call(*d, "reload", 1000);
  EXPECT_FALSE(r["ok"]);
  EXPECT_EQ(r["code"], "permission_denied");
  EXPECT_EQ(call(*d, "status")["result"]["control"]["denied"], 1);
  // Status is for everyone who can open the socket.
  EXPECT_TRUE(call(*d, "status", 1000)["ok"]);
}

TEST_F(DaemonTest, StopRemovesTheSocketAndEndsTheLoop) {
  auto d = make();
  const auto sock = dir_ / "control.sock";
  EXPECT_TRUE(std::filesystem::exists(sock));
  d->stop();
  io_.run_for(2s);
  EXPECT_TRUE(io_.stopped());
  EXPECT_FALSE(std::filesystem::exists(sock));
}

TEST_F(DaemonTest, ASecondDaemonOnTheSameSocketRefusesToStart) {
  auto first = make();
  auto loaded = conf::load(config_path_);
  Daemon second(io_, Daemon::Options{config_path_, 500ms, {}}, std::move(*loaded.config));
  EXPECT_THROW(second.start(), std::runtime_error);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "control.sock"));
}

}  // namespace
}  // namespace pairgate

namespace pairgate {
namespace {

// A module that records its calls and, if told, never finishes stopping.
class FakeModule final : public Module {
 public:
  FakeModule(std::string name, std::vector<std::string>& log, bool hangs) : name_(std::move(name)), log_(log), hangs_(hangs) {}
  std::string_view name() const override { return name_; }
  void start(const conf::Config&) override { log_.push_back("start " + name_); }
  void reload(const conf::Config&, const conf::ConfigDiff&) override { log_.push_back("reload " + name_); }
  void stop(std::function<void()> done) override {
    log_.push_back("stop " + name_);
    if (!hangs_) done();
  }
  void status(nlohmann::json& out) const override { out[name_] = "fake"; }

 private:
  std::string name_;
  std::vector<std::string>& log_;
  bool hangs_;
};

TEST_F(DaemonTest, ModulesStopInReverseOrderAndAHungOneIsPassedAfterItsDeadline) {
  std::vector<std::string> log;
  auto loaded = conf::load(config_path_);
  Daemon::Options options{config_path_, 100ms, [&](ModuleContext) {
                            std::vector<std::unique_ptr<Module>> m;
                            m.push_back(std::make_unique<FakeModule>("a", log, false));
                            m.push_back(std::make_unique<FakeModule>("b", log, true));
                            m.push_back(std::make_unique<FakeModule>("c", log, false));
                            return m;
                          }};
  Daemon d(io_, options, std::move(*loaded.config));
  d.start();
  EXPECT_EQ(d.status()["b"], "fake");
  d.stop();
  io_.run_for(2s);
  EXPECT_TRUE(io_.stopped());
  EXPECT_EQ(log, (std::vector<std::string>{"start a", "start b", "start c", "stop c", "stop b", "stop a"}));
}

TEST_F(DaemonTest, AnUnchangedFileReloadsNoModule) {
  std::vector<std::string> log;
  auto loaded = conf::load(config_path_);
  Daemon::Options options{config_path_, 100ms, [&](ModuleContext) {
                            std::vector<std::unique_ptr<Module>> m;
                            m.push_back(std::make_unique<FakeModule>("a", log, false));
                            return m;
                          }};
  Daemon d(io_, options, std::move(*loaded.config));
  d.start();
  auto r = reload(d);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.summary, "no changes");
  EXPECT_EQ(log, (std::vector<std::string>{"start a"}));
  write(130);
  EXPECT_TRUE(reload(d).ok);
  EXPECT_EQ(log.back(), "reload a");
}

// A module that fails in one of the ways a bug can: its start throws, its
// stop throws, or a handler it put on the loop throws (as std::bad_alloc did
// when a reload read /dev/zero).
class FaultyModule final : public Module {
 public:
  enum class Fault { start, stop, handler };
  FaultyModule(ModuleContext ctx, std::string name, std::vector<std::string>& log, Fault fault)
      : io_(ctx.io), name_(std::move(name)), log_(log), fault_(fault) {}
  std::string_view name() const override { return name_; }
  void start(const conf::Config&) override {
    log_.push_back("start " + name_);
    if (fault_ == Fault::start) throw std::runtime_error(name_ + " cannot start");
    if (fault_ == Fault::handler) boost::asio::post(io_, [] { throw std::bad_alloc(); });
  }
  void reload(const conf::Config&, const conf::ConfigDiff&) override {}
  void stop(std::function<void()> done) override {
    log_.push_back("stop " + name_);
    if (fault_ == Fault::stop) throw std::runtime_error(name_ + " cannot stop");
    done();
  }
  void status(nlohmann::json&) const override {}

 private:
  boost::asio::io_context& io_;
  std::string name_;
  std::vector<std::string>& log_;
  Fault fault_;
};

Daemon::ModuleFactory with_fault(std::vector<std::string>& log, FaultyModule::Fault fault) {
  return [&log, fault](ModuleContext ctx) {
    std::vector<std::unique_ptr<Module>> m;
    m.push_back(std::make_unique<FakeModule>("a", log, false));
    m.push_back(std::make_unique<FaultyModule>(ctx, "faulty", log, fault));
    m.push_back(std::make_unique<FakeModule>("c", log, false));
    return m;
  };
}

TEST_F(DaemonTest, AnExceptionThatEscapesTheLoopStillStopsEveryModuleInOrderAndExits2) {
  std::vector<std::string> log;
  auto loaded = conf::load(config_path_);
  Daemon d(io_, Daemon::Options{config_path_, 100ms, with_fault(log, FaultyModule::Fault::handler)},
           std::move(*loaded.config));
  d.start();
  EXPECT_EQ(d.run(), 2);
  EXPECT_TRUE(d.stopping());
  // Before, run() did not exist and pairgated exited 2 from the first
  // exception: no module stopped, a master kept its addresses.
  EXPECT_EQ(log, (std::vector<std::string>{"start a", "start faulty", "start c", "stop c", "stop faulty", "stop a"}));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "control.sock"));
}

TEST_F(DaemonTest, AModuleWhoseStopThrowsDoesNotKeepTheOthersFromStopping) {
  std::vector<std::string> log;
  auto loaded = conf::load(config_path_);
  Daemon d(io_, Daemon::Options{config_path_, 100ms, with_fault(log, FaultyModule::Fault::stop)},
           std::move(*loaded.config));
  d.start();
  d.stop();
  EXPECT_EQ(d.run(), 0);
  EXPECT_EQ(log, (std::vector<std::string>{"start a", "start faulty", "start c", "stop c", "stop faulty", "stop a"}));
}

TEST_F(DaemonTest, AFailedStartStopsWhatStartedAndNothingElse) {
  std::vector<std::string> log;
  auto loaded = conf::load(config_path_);
  Daemon d(io_, Daemon::Options{config_path_, 100ms, with_fault(log, FaultyModule::Fault::start)},
           std::move(*loaded.config));
  EXPECT_THROW(d.start(), std::runtime_error);
  d.stop();  // as pairgated does
  EXPECT_EQ(d.run(), 0);
  // The module that threw may have half started: it stops too. c never
  // started and is not asked to stop (before, every module was).
  EXPECT_EQ(log, (std::vector<std::string>{"start a", "start faulty", "stop faulty", "stop a"}));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "control.sock"));
}

TEST_F(DaemonTest, ReloadsThatComeWhileOneRunsShareOneMoreReload) {
  std::vector<std::string> log;
  auto loaded = conf::load(config_path_);
  Daemon::Options options{config_path_, 100ms, [&](ModuleContext) {
                            std::vector<std::unique_ptr<Module>> m;
                            m.push_back(std::make_unique<FakeModule>("a", log, false));
                            return m;
                          }};
  Daemon d(io_, options, std::move(*loaded.config));
  d.start();
  write(130);
  std::vector<Daemon::ReloadResult> results;
  for (int i = 0; i < 3; ++i) d.reload([&](Daemon::ReloadResult r) { results.push_back(std::move(r)); });
  EXPECT_TRUE(results.empty());  // answered on the loop, never inside reload()
  for (int i = 0; i < 100 && results.size() < 3; ++i) io_.run_one_for(100ms);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].summary, "vrrp changed [V1]");
  // The second and third came while the first ran: one more reload served
  // both, and found the file unchanged since the first.
  EXPECT_EQ(results[1].summary, "no changes");
  EXPECT_EQ(results[2].summary, "no changes");
  EXPECT_EQ(d.status()["reload"]["count"], 2);
  EXPECT_EQ(std::count(log.begin(), log.end(), "reload a"), 1);
}

TEST_F(DaemonTest, AReloadOfAnEndlessFileIsRefusedAndTheDaemonRunsOn) {
  auto d = make();
  std::filesystem::remove(config_path_);
  std::filesystem::create_symlink("/dev/zero", config_path_);
  auto r = reload(*d);
  EXPECT_FALSE(r.ok);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].message,
            "cannot read the file: it is a character device; the configuration must be a regular file");
  auto s = call(*d, "status")["result"];
  EXPECT_EQ(s["vrrp"][0]["priority"], 120);
  EXPECT_EQ(s["reload"]["failures"], 1);
}

TEST_F(DaemonTest, AReloadAfterStopIsRefused) {
  auto d = make();
  d->stop();
  std::optional<Daemon::ReloadResult> result;
  d->reload([&](Daemon::ReloadResult r) { result = std::move(r); });
  io_.run_for(2s);
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(result->ok);
  EXPECT_EQ(result->errors.at(0).message, "the daemon is stopping");
}

TEST_F(DaemonTest, TheReloadCommandAnswersWhenItsReloadIsDoneAndSharesAQueuedOne) {
  auto d = make();
  write(150);
  PeerCredentials root;
  root.uid = 0;
  std::vector<std::shared_ptr<testing::CaptureReply>> replies;
  for (int i = 0; i < 3; ++i) {
    replies.push_back(std::make_shared<testing::CaptureReply>());
    d->commands().dispatch(control::Request{"reload"}, root, replies.back());
  }
  // The file is read off the loop: nobody has an answer yet.
  for (const auto& r : replies) EXPECT_FALSE(r->finished);
  for (int i = 0; i < 100 && !replies.back()->finished; ++i) io_.run_one_for(100ms);
  for (const auto& r : replies) ASSERT_TRUE(r->finished);
  EXPECT_EQ(replies[0]->response().result["changed"], "vrrp changed [V1]");
  EXPECT_EQ(replies[1]->response().result["changed"], "no changes");
  EXPECT_EQ(replies[2]->response().result["changed"], "no changes");
  EXPECT_EQ(call(*d, "status")["result"]["reload"]["count"], 2);
}

TEST_F(DaemonTest, TheReloadCommandShowsAHundredErrorsAndCountsTheRest) {
  auto d = make();
  std::string extra;
  for (int i = 0; i < 150; ++i) extra += "unknown_" + std::to_string(i) + ": 1\n";
  write(150, extra);
  auto r = call(*d, "reload");
  EXPECT_EQ(r["code"], "invalid_config");
  ASSERT_EQ(r["details"].size(), 101u);
  EXPECT_EQ(r["details"][100], "... and 50 more not shown");
  EXPECT_EQ(call(*d, "status")["result"]["reload"]["last_error"], "150 errors in " + config_path_);
}

}  // namespace
}  // namespace pairgate
