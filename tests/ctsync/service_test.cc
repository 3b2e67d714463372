// Which VRRP instances the firewall's state follows (ctsync/service.cc).
#include "ctsync/service.h"

#include <gtest/gtest.h>

namespace pairgate::ctsync {
namespace {

conf::Config config(std::vector<std::string> instances, std::vector<std::vector<std::string>> groups,
                    std::string follow, bool on = true) {
  conf::Config c;
  c.vrrp.emplace();
  for (auto& n : instances) {
    conf::VrrpInstance i;
    i.name = n;
    c.vrrp->instances.push_back(i);
  }
  int g = 0;
  for (auto& members : groups) {
    conf::SyncGroup s;
    s.name = "G" + std::to_string(g++);
    s.instances = members;
    c.vrrp->sync_groups.push_back(s);
  }
  c.firewall.emplace();
  c.firewall->state_sync = on;
  c.firewall->state_sync_instance = follow;
  return c;
}

using Set = std::set<std::string>;

TEST(CtsyncFollowed, TheOneInstance) { EXPECT_EQ(Service::followed(config({"V"}, {}, "")), Set{"V"}); }

TEST(CtsyncFollowed, TheOneSyncGroupsMembers) {
  EXPECT_EQ(Service::followed(config({"A", "B", "C"}, {{"A", "B"}}, "")), (Set{"A", "B"}));
}

TEST(CtsyncFollowed, ANamedGroupOrInstance) {
  auto c = config({"A", "B", "C"}, {{"A", "B"}, {"C"}}, "G1");
  EXPECT_EQ(Service::followed(c), Set{"C"});
  c.firewall->state_sync_instance = "B";
  EXPECT_EQ(Service::followed(c), Set{"B"});
}

TEST(CtsyncFollowed, NothingWhenOff) {
  EXPECT_TRUE(Service::followed(config({"V"}, {}, "", false)).empty());
}

}  // namespace
}  // namespace pairgate::ctsync
