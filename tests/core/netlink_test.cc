// core/netlink's error helpers, which the tunnel relies on to tell a kernel
// without ip6_tunnel from a passing failure. (The adapter itself talks to a
// kernel: tests/netns/netlink_test.cc, and in the guest,
// tests/guest/netlink_ip6tnl_test.sh.)
#include "core/netlink.h"

#include <gtest/gtest.h>
#include <netlink/errno.h>

#include <cerrno>

namespace pairgate {
namespace {

TEST(NetlinkErrors, OnlyLibnlsOpNotSupportedMeansNoDriver) {
  EXPECT_TRUE(is_unsupported_kind(std::error_code(NLE_OPNOTSUPP, libnl_category())));
  EXPECT_FALSE(is_unsupported_kind(std::error_code(NLE_PERM, libnl_category())));
  EXPECT_FALSE(is_unsupported_kind(std::error_code(NLE_EXIST, libnl_category())));
  EXPECT_FALSE(is_unsupported_kind(std::error_code(EOPNOTSUPP, std::generic_category())))
      << "the same number in another category is something else";
  EXPECT_FALSE(is_unsupported_kind(std::error_code()));
}

TEST(NetlinkErrors, MessagesAreLibnls) {
  EXPECT_STREQ(libnl_category().name(), "libnl");
  EXPECT_EQ(std::error_code(NLE_OPNOTSUPP, libnl_category()).message(), "Operation not supported");
  EXPECT_EQ(std::error_code(NLE_EXIST, libnl_category()).message(), "Object exists");
}

}  // namespace
}  // namespace pairgate
