#include "core/commands.h"

#include <gtest/gtest.h>

#include "tests/support/capture_reply.h"

namespace pairgate {
namespace {

PeerCredentials as(uid_t uid) {
  PeerCredentials p;
  p.uid = uid;
  return p;
}

control::Response run(CommandRegistry& reg, const std::string& name, uid_t uid = 0, nlohmann::json args = nlohmann::json::object()) {
  auto reply = std::make_shared<testing::CaptureReply>();
  reg.dispatch(control::Request{name, std::move(args)}, as(uid), reply);
  EXPECT_TRUE(reply->finished);
  return reply->response();
}

TEST(CommandRegistry, RunsARegisteredCommandWithItsArguments) {
  CommandRegistry reg;
  reg.add({.name = "echo", .run = [](const nlohmann::json& args, const PeerCredentials& p) {
             return nlohmann::json{{"args", args}, {"uid", p.uid}};
           }});
  auto r = run(reg, "echo", 7, {{"x", 1}});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.result["args"]["x"], 1);
  EXPECT_EQ(r.result["uid"], 7);
}

TEST(CommandRegistry, AnUnknownCommandListsTheKnownOnes) {
  CommandRegistry reg;
  reg.add({.name = "status", .run = [](auto&, auto&) { return nlohmann::json::object(); }});
  reg.add({.name = "leases", .run = [](auto&, auto&) { return nlohmann::json::array(); }});
  auto r = run(reg, "shutdown");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.code, "bad_request");
  EXPECT_EQ(r.error, "unknown command 'shutdown' (leases, status)");
  EXPECT_EQ(reg.counters().unknown, 1u);
}

TEST(CommandRegistry, RootOnlyCommandsAreRefusedToOthersAndCounted) {
  CommandRegistry reg;
  int runs = 0;
  reg.add({.name = "reload", .root_only = true, .run = [&](auto&, auto&) {
             ++runs;
             return nlohmann::json::object();
           }});
  auto r = run(reg, "reload", 1000);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.code, "permission_denied");
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(reg.counters().denied, 1u);
  EXPECT_TRUE(run(reg, "reload", 0).ok);
  EXPECT_EQ(runs, 1);
}

TEST(CommandRegistry, FailuresBecomeAnswers) {
  CommandRegistry reg;
  reg.add({.name = "refuse", .run = [](auto&, auto&) -> nlohmann::json {
             throw CommandError("offset must be a number", control::code::bad_request);
           }});
  reg.add({.name = "crash", .run = [](auto&, auto&) -> nlohmann::json { throw std::runtime_error("boom"); }});
  auto r = run(reg, "refuse");
  EXPECT_EQ(r.code, "bad_request");
  EXPECT_EQ(r.error, "offset must be a number");
  r = run(reg, "crash");
  EXPECT_EQ(r.code, "internal");
  EXPECT_EQ(r.error, "boom");
  EXPECT_EQ(reg.counters().failed, 1u);
}

TEST(CommandRegistry, AnAsynchronousCommandAnswersWhenItIsReady) {
  CommandRegistry reg;
  ReplyPtr later;
  reg.add({.name = "slow", .run_async = [&](auto&, auto&, ReplyPtr reply) { later = reply; }});
  auto reply = std::make_shared<testing::CaptureReply>();
  reg.dispatch(control::Request{"slow"}, as(0), reply);
  EXPECT_FALSE(reply->finished);
  later->ok({{"done", true}});
  EXPECT_TRUE(reply->finished);
  EXPECT_EQ(reply->response().result["done"], true);
}

// run_local: the daemon's own callers (HTTP, the pair view) get the answer
// line, as a client that is not root.
TEST(CommandRegistry, RunLocalHandsOverTheAnswerLineAsANonRootClient) {
  CommandRegistry r;
  r.add({.name = "echo", .run = [](const nlohmann::json& args, const PeerCredentials&) { return args; }});
  r.add({.name = "secret", .root_only = true, .run = [](const nlohmann::json&, const PeerCredentials&) {
           return nlohmann::json("no");
         }});
  std::string line;
  run_local(r, "echo", {{"x", 1}}, [&](std::string l) { line = std::move(l); });
  EXPECT_EQ(nlohmann::json::parse(line)["result"]["x"], 1);
  run_local(r, "secret", nlohmann::json::object(), [&](std::string l) { line = std::move(l); });
  EXPECT_EQ(nlohmann::json::parse(line)["ok"], false);
  run_local(r, "nope", nlohmann::json::object(), [&](std::string l) { line = std::move(l); });
  EXPECT_EQ(nlohmann::json::parse(line)["ok"], false);
}

TEST(CommandRegistry, NamesAreUniqueAndRemovable) {
  CommandRegistry reg;
  reg.add({.name = "leases", .run = [](auto&, auto&) { return nlohmann::json::array(); }});
  EXPECT_THROW(reg.add({.name = "leases", .run = [](auto&, auto&) { return nlohmann::json::array(); }}), std::logic_error);
  EXPECT_THROW(reg.add({.name = "nothing"}), std::logic_error);
  reg.remove("leases");
  EXPECT_FALSE(reg.contains("leases"));
  EXPECT_EQ(run(reg, "leases").code, "bad_request");
}

}  // namespace
}  // namespace pairgate
