// The Netlink double that module tests use behaves like the interface says.
#include "tests/mocks/mock_netlink.h"

#include <gtest/gtest.h>

namespace pairgate {
namespace {

using ::testing::_;
using ::testing::Return;

TEST(MockNetlink, StandsInForTheKernel) {
  testing::MockNetlink nl;
  const auto vip = *IpPrefix::parse("192.0.2.2/24");
  EXPECT_CALL(nl, add_address(3, vip, _)).WillOnce(Return(std::error_code(EPERM, std::generic_category())));
  Netlink& iface = nl;
  EXPECT_EQ(iface.add_address(3, vip, {}).value(), EPERM);

  std::vector<AddressEvent> seen;
  auto id = iface.subscribe({.on_link = nullptr, .on_address = [&](const AddressEvent& e) { seen.push_back(e); }, .on_resync = nullptr});
  nl.emit_address({true, {3, vip, 0, 0, ""}});
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_TRUE(seen[0].removed);
  iface.unsubscribe(id);
  nl.emit_address({false, {3, vip, 0, 0, ""}});
  EXPECT_EQ(seen.size(), 1u);
  EXPECT_EQ(nl.subscribers(), 0u);
}

}  // namespace
}  // namespace pairgate
