#include "vrrp/log_limit.h"

#include <gtest/gtest.h>

namespace pairgate::vrrp {
namespace {

using namespace std::chrono_literals;

TEST(LogLimit, OneLinePerPeriodWithTheCountHeldBack) {
  LogLimit l(1min);
  const LogLimit::Clock::time_point t0{};  // the clock's epoch is a valid first time
  EXPECT_EQ(l.admit(t0), 0u);
  for (int i = 1; i <= 5; ++i) EXPECT_FALSE(l.admit(t0 + i * 10s).has_value());
  EXPECT_EQ(l.admit(t0 + 60s), 5u);
  EXPECT_FALSE(l.admit(t0 + 119s).has_value());
  EXPECT_EQ(l.admit(t0 + 10min), 1u);
  EXPECT_EQ(l.admit(t0 + 20min), 0u);
}

}  // namespace
}  // namespace pairgate::vrrp
