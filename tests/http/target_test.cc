#include "http/target.h"

#include <gtest/gtest.h>

namespace pairgate::http {
namespace {

TEST(ParseTarget, PathAndDecodedQueryInOrder) {
  auto t = parse_target("/api/leases?offset=10&limit=50&q=aa%3Abb+cc&empty=&flag");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/api/leases");
  ASSERT_EQ(t->query.size(), 5u);
  EXPECT_EQ(t->param("q"), "aa:bb cc");
  EXPECT_EQ(t->param("empty"), "");
  EXPECT_EQ(t->param("flag"), "");
  EXPECT_EQ(t->param("none"), std::nullopt);
  EXPECT_EQ(number_param(*t, "offset", 0, 0, 100), 10u);
  EXPECT_EQ(number_param(*t, "missing", 7, 0, 100), 7u);
  EXPECT_EQ(number_param(*t, "q", 0, 0, 100), std::nullopt);
  EXPECT_EQ(number_param(*t, "limit", 0, 0, 49), std::nullopt);
  EXPECT_EQ(number_param(*t, "empty", 0, 0, 49), std::nullopt);
}

TEST(ParseTarget, PlainPaths) {
  EXPECT_EQ(parse_target("/")->path, "/");
  EXPECT_EQ(parse_target("/metrics")->path, "/metrics");
  EXPECT_EQ(parse_target("/metrics/")->path, "/metrics/");
  EXPECT_EQ(parse_target("/metrics#frag")->path, "/metrics");
  EXPECT_EQ(parse_target("/a%20b")->path, "/a b");
  EXPECT_EQ(parse_target("/api/x..y")->path, "/api/x..y");
  EXPECT_TRUE(parse_target("/?&&a=1&&")->param("a"));
}

TEST(ParseTarget, RefusesWhatIsNotAPlainPath) {
  struct Case {
    std::string_view target;
    TargetError error;
  } cases[] = {
      {"", TargetError::not_origin_form},
      {"*", TargetError::not_origin_form},
      {"http://example.com/metrics", TargetError::not_origin_form},
      {"/..", TargetError::dot_segment},
      {"/../etc/passwd", TargetError::dot_segment},
      {"/api/../metrics", TargetError::dot_segment},
      {"/api/./status", TargetError::dot_segment},
      {"/%2e%2e/etc/passwd", TargetError::dot_segment},
      {"/%2E./x", TargetError::dot_segment},
      {"/api%2f..%2fx", TargetError::dot_segment},
      {"/..\\etc", TargetError::bad_character},
      {"/a%5c..", TargetError::bad_character},
      {"/a%00b", TargetError::bad_character},
      {"/a%0ab", TargetError::bad_character},
      {"/?q=a%0d%0aSet-Cookie:x", TargetError::bad_character},
      {"//etc/passwd", TargetError::empty_segment},
      {"/a//b", TargetError::empty_segment},
      {"/a%", TargetError::bad_escape},
      {"/a%4", TargetError::bad_escape},
      {"/a%zz", TargetError::bad_escape},
      {"/?q=%", TargetError::bad_escape},
      {"/?q=%g0", TargetError::bad_escape},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.target);
    auto t = parse_target(c.target);
    ASSERT_FALSE(t);
    EXPECT_EQ(t.error(), c.error);
    EXPECT_FALSE(to_string(t.error()).empty());
  }
}

TEST(ParseTarget, Bounds) {
  EXPECT_EQ(parse_target("/" + std::string(kMaxTarget, 'a')).error(), TargetError::too_long);
  EXPECT_TRUE(parse_target("/" + std::string(kMaxTarget - 1, 'a')));
  std::string many = "/?";
  for (std::size_t i = 0; i <= kMaxParams; ++i) many += "a=1&";
  EXPECT_EQ(parse_target(many).error(), TargetError::too_many_params);
  EXPECT_EQ(parse_target("/?q=" + std::string(kMaxValue + 1, 'x')).error(), TargetError::param_too_long);
  EXPECT_TRUE(parse_target("/?q=" + std::string(kMaxValue, 'x')));
  EXPECT_EQ(parse_target("/?" + std::string(kMaxKey + 1, 'k') + "=1").error(), TargetError::param_too_long);
  // Encoded bytes count once decoded.
  std::string encoded = "/?q=";
  for (std::size_t i = 0; i < kMaxValue; ++i) encoded += "%41";
  EXPECT_TRUE(parse_target(encoded));
}

TEST(ParseTarget, EveryPrefixOfAValidTargetIsACleanAnswer) {
  const std::string_view full = "/api/leases?offset=10&limit=50&q=aa%3Abb+cc";
  for (std::size_t n = 0; n <= full.size(); ++n) (void)parse_target(full.substr(0, n));
}

}  // namespace
}  // namespace pairgate::http
