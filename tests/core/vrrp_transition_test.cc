// core/vrrp_transition: reading the VRRP service's transitions off the bus.
#include "core/vrrp_transition.h"

#include <gtest/gtest.h>

namespace pairgate {
namespace {

TEST(VrrpTransition, ReadsTheEventTheVrrpServicePublishes) {
  EventBus bus;
  bus.publish("tunnel", "ip6tnl1", "up", {{"to", "MASTER"}});
  bus.publish("vrrp", "VRRP1", "(VRRP1) Entering MASTER STATE", {{"from", "BACKUP"}, {"to", "MASTER"}, {"monotonic_ms", 1500.0}});
  bus.publish("vrrp", "VRRP2", "(VRRP2) Entering BACKUP STATE", {{"from", "INIT"}, {"to", "BACKUP"}});
  const auto events = bus.since(0).events;
  EXPECT_FALSE(vrrp_transition(events[0]));  // another kind
  auto t = vrrp_transition(events[1]);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->instance, "VRRP1");
  EXPECT_TRUE(t->master());
  ASSERT_TRUE(t->at);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(t->at->time_since_epoch()).count(), 1500);
  t = vrrp_transition(events[2]);
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->master());
  EXPECT_FALSE(t->at);
}

TEST(VrrpTransition, TheLastOneOfAnInstanceFromTheHistory) {
  EventBus bus;
  EXPECT_FALSE(last_vrrp_transition(bus, "VRRP1"));
  bus.publish("vrrp", "VRRP1", "m", {{"to", "MASTER"}});
  bus.publish("vrrp", "VRRP1", "b", {{"to", "BACKUP"}});
  bus.publish("vrrp", "VRRP1", "no state", {{"note", "notify program failed"}});
  bus.publish("vrrp", "VRRP2", "m", {{"to", "MASTER"}});
  auto t = last_vrrp_transition(bus, "VRRP1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->to, "BACKUP");
  EXPECT_FALSE(last_vrrp_transition(bus, "VRRP3"));
}

}  // namespace
}  // namespace pairgate
