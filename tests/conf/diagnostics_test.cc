#include "conf/diagnostics.h"

#include <gtest/gtest.h>

#include "conf/parser.h"

namespace pairgate::conf {
namespace {

constexpr std::string_view kSource = "node: beagle\nvrrp:\n  instances: 5\n";

TEST(Diagnostics, HeadlineReadsLikeACompiler) {
  EXPECT_EQ(headline({"pairgate.yaml", 3, 14, "vrrp.instances: expected a list"}),
            "pairgate.yaml:3:14: error: vrrp.instances: expected a list");
  EXPECT_EQ(headline({"pairgate.yaml", 0, 0, "cannot read the file: it is a directory"}),
            "pairgate.yaml: error: cannot read the file: it is a directory");
}

TEST(Diagnostics, FormatShowsTheLineAndACaretUnderTheColumn) {
  EXPECT_EQ(format({"f.yaml", 3, 14, "vrrp.instances: expected a list"}, kSource),
            "f.yaml:3:14: error: vrrp.instances: expected a list\n"
            "   instances: 5\n"
            "              ^");
  EXPECT_EQ(format({"f.yaml", 1, 1, "m"}, kSource),
            "f.yaml:1:1: error: m\n"
            " node: beagle\n"
            " ^");
}

TEST(Diagnostics, CaretFollowsTabsInTheLine) {
  EXPECT_EQ(format({"f.yaml", 2, 3, "m"}, "node: x\n\t\tab: 1\n"),
            "f.yaml:2:3: error: m\n"
            " \t\tab: 1\n"
            " \t\t^");
}

TEST(Diagnostics, CarriageReturnsAreNotShown) {
  EXPECT_EQ(format({"f.yaml", 1, 7, "m"}, "node: x\r\nvrrp:\r\n"),
            "f.yaml:1:7: error: m\n"
            " node: x\n"
            "       ^");
}

TEST(Diagnostics, LastLineWithoutNewline) {
  EXPECT_EQ(format({"f.yaml", 2, 3, "m"}, "a: 1\nbb: 2"),
            "f.yaml:2:3: error: m\n"
            " bb: 2\n"
            "   ^");
}

TEST(Diagnostics, ColumnPastTheEndPutsTheCaretAfterTheLine) {
  EXPECT_EQ(format({"f.yaml", 1, 40, "m"}, "ab\n"),
            "f.yaml:1:40: error: m\n"
            " ab\n"
            "   ^");
  // An error after the last newline (yaml-cpp's "end of ... not found").
  EXPECT_EQ(format({"f.yaml", 2, 1, "m"}, "a: [1\n"),
            "f.yaml:2:1: error: m\n"
            " \n"
            " ^");
}

TEST(Diagnostics, WithoutALineOnlyTheHeadline) {
  EXPECT_EQ(format({"f.yaml", 0, 0, "m"}, kSource), "f.yaml: error: m");
  EXPECT_EQ(format({"f.yaml", 9, 1, "m"}, kSource), "f.yaml:9:1: error: m");
  EXPECT_EQ(format({"f.yaml", 2, 1, "m"}, ""), "f.yaml:2:1: error: m");
}

TEST(Diagnostics, ParserErrorsFormatAtTheirPosition) {
  LoadResult r = parse(kSource, "pairgate.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(format(r.errors[0], r.source),
            "pairgate.yaml:3:14: error: vrrp.instances: expected a list\n"
            "   instances: 5\n"
            "              ^");
  EXPECT_EQ(r.report(), format(r.errors[0], r.source) + "\n");
}

}  // namespace
}  // namespace pairgate::conf
