#include "conf/duration.h"

#include <gtest/gtest.h>

namespace pairgate::conf {
namespace {

TEST(Duration, ParsesEachUnit) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("1s"), 1s);
  EXPECT_EQ(parse_duration("2m"), 2min);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("1d"), 24h);
  EXPECT_EQ(parse_duration("0s"), 0s);
  EXPECT_EQ(parse_duration("0ms"), 0ms);
  EXPECT_EQ(parse_duration("600s"), 600s);
}

TEST(Duration, ParsesCompoundFormsFromLargerToSmallerUnits) {
  EXPECT_EQ(parse_duration("1m30s"), 90s);
  EXPECT_EQ(parse_duration("1h30m"), 90min);
  EXPECT_EQ(parse_duration("1d2h3m4s5ms"), 24h + 2h + 3min + 4s + 5ms);
  EXPECT_EQ(parse_duration("1s500ms"), 1500ms);
  EXPECT_EQ(parse_duration("1h0m"), 1h);
}

TEST(Duration, RejectsANumberWithoutUnit) {
  EXPECT_EQ(parse_duration("1"), std::nullopt);
  EXPECT_EQ(parse_duration("0"), std::nullopt);
  EXPECT_EQ(parse_duration("1m30"), std::nullopt);
}

TEST(Duration, RejectsMalformedText) {
  for (std::string_view text : {"", "s", "ms", "1x", "1S", "1 s", " 1s", "1s ", "1.5s", "-1s", "-0s", "+1s",
                                "1sms", "1s1s", "30s1m", "1ms1s", "1m1m", "0x10s", "1_000ms", "1e3ms",
                                "\xff" "1s", "1s\n"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(parse_duration(text), std::nullopt);
  }
}

TEST(Duration, RejectsMoreThanTenYears) {
  EXPECT_EQ(parse_duration("3650d"), Duration(3650LL * 86'400'000));
  EXPECT_EQ(parse_duration("87600h"), Duration(3650LL * 86'400'000));
  EXPECT_EQ(parse_duration("3651d"), std::nullopt);
  EXPECT_EQ(parse_duration("3650d1ms"), std::nullopt);
  EXPECT_EQ(parse_duration("87601h"), std::nullopt);
  EXPECT_EQ(parse_duration("9223372036854775807ms"), std::nullopt);
  EXPECT_EQ(parse_duration("9223372036854775807d"), std::nullopt);     // n * unit would overflow
  EXPECT_EQ(parse_duration("99999999999999999999999s"), std::nullopt);  // n overflows
  EXPECT_EQ(parse_duration("3649d23h59m59s999ms1ms"), std::nullopt);    // units out of order
  EXPECT_EQ(parse_duration("3649d23h59m59s999ms"), Duration(3650LL * 86'400'000 - 1));
}

TEST(Duration, FormatsInTheLargestExactUnit) {
  EXPECT_EQ(format_duration(0ms), "0s");
  EXPECT_EQ(format_duration(500ms), "500ms");
  EXPECT_EQ(format_duration(1500ms), "1500ms");
  EXPECT_EQ(format_duration(1s), "1s");
  EXPECT_EQ(format_duration(90s), "90s");
  EXPECT_EQ(format_duration(120s), "2m");
  EXPECT_EQ(format_duration(1000s), "1000s");
  EXPECT_EQ(format_duration(7200s), "2h");
  EXPECT_EQ(format_duration(12h), "12h");
  EXPECT_EQ(format_duration(24h), "1d");
  EXPECT_EQ(format_duration(36h), "36h");
}

TEST(Duration, FormatRoundTrips) {
  for (Duration d : {Duration(0), Duration(1), Duration(999), Duration(1000), Duration(61'000),
                     Duration(3'600'000), Duration(86'400'000), Duration(90'061'001),
                     Duration(3650LL * 86'400'000)}) {
    SCOPED_TRACE(d.count());
    EXPECT_EQ(parse_duration(format_duration(d)), d);
  }
}

}  // namespace
}  // namespace pairgate::conf
