#include "core/control_protocol.h"

#include <gtest/gtest.h>

namespace pairgate::control {
namespace {

TEST(ControlProtocol, ParsesJsonRequestsWithTheirArguments) {
  auto r = parse_request(R"({"command":"status"})");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->command, "status");
  EXPECT_EQ(r->args, nlohmann::json::object());
  auto l = parse_request(R"( {"command": "leases", "offset": 100, "q": "aa:bb"})");
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->command, "leases");
  EXPECT_EQ(l->args, (nlohmann::json{{"offset", 100}, {"q", "aa:bb"}}));
}

TEST(ControlProtocol, ParsesBareWordsForShellUse) {
  EXPECT_EQ(parse_request("status")->command, "status");
  EXPECT_EQ(parse_request("reload\r")->command, "reload");
  EXPECT_EQ(parse_request("  leases  ")->command, "leases");
  EXPECT_EQ(parse_request("leases")->args, nlohmann::json::object());
}

// Which commands exist is the registry's business (core/commands_test.cc):
// the protocol checks only the form of a name.
TEST(ControlProtocol, RejectsMalformedRequestsWithAReason) {
  struct Case {
    std::string line;
    std::string error;
  };
  const Case cases[] = {
      {"", "empty request"},
      {"   ", "empty request"},
      {"{", "request is not valid JSON"},
      {R"({"command": 1})", "request needs a string \"command\""},
      {R"({"cmd": "status"})", "request needs a string \"command\""},
      {R"({"command": "Status"})", "malformed command name 'Status'"},
      {R"({"command": ""})", "malformed command name ''"},
      {"[1,2]", "malformed command name '[1,2]'"},
      {"rm -rf", "malformed command name 'rm -rf'"},
      {std::string(65, 'a'), "malformed command name '" + std::string(64, 'a') + "'"},
      {std::string(5000, 'a'), "request longer than 4096 bytes"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line.substr(0, 40));
    auto r = parse_request(c.line);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), c.error);
  }
  EXPECT_EQ(parse_request("{} ").has_value(), false);
  EXPECT_EQ(parse_request("[1]").has_value(), false);
}

TEST(ControlProtocol, EncodesOneLinePerMessage) {
  EXPECT_EQ(encode_request("status"), "{\"command\":\"status\"}\n");
  EXPECT_EQ(encode_request("leases", {{"limit", 10}}), "{\"command\":\"leases\",\"limit\":10}\n");
  EXPECT_EQ(ok_response({{"a", 1}}), "{\"ok\":true,\"result\":{\"a\":1}}\n");
  const std::string err = error_response("no", code::denied);
  EXPECT_EQ(err, "{\"code\":\"permission_denied\",\"error\":\"no\",\"ok\":false}\n");
}

TEST(ControlProtocol, ResponsesRoundTrip) {
  auto ok = parse_response(ok_response({{"node", "beagle"}}));
  ASSERT_TRUE(ok.has_value());
  EXPECT_TRUE(ok->ok);
  EXPECT_EQ(ok->result["node"], "beagle");

  auto bad = parse_response(error_response("broken", code::invalid_config, nlohmann::json::array({"f:1:1: error: x"})));
  ASSERT_TRUE(bad.has_value());
  EXPECT_FALSE(bad->ok);
  EXPECT_EQ(bad->error, "broken");
  EXPECT_EQ(bad->code, "invalid_config");
  EXPECT_EQ(bad->details[0], "f:1:1: error: x");

  EXPECT_FALSE(parse_response("not json").has_value());
  EXPECT_FALSE(parse_response("{}").has_value());
  EXPECT_FALSE(parse_response("[true]").has_value());
}

TEST(ControlProtocol, InvalidUtf8InMessagesDoesNotThrow) {
  const std::string bad = "\xff\xfe";
  EXPECT_NO_THROW(error_response(bad, code::bad_request));
  EXPECT_NO_THROW(ok_response(bad));
}

}  // namespace
}  // namespace pairgate::control
