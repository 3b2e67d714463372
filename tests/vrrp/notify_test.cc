#include "vrrp/notify.h"

#include <gtest/gtest.h>

namespace pairgate::vrrp {
namespace {

TEST(Notifier, MailReadsLikeKeepalivedsSmtpAlert) {
  conf::Email e;
  e.to = {"john.doe+home@example.com"};
  e.from = "jOhn.doe@example.com";
  auto m = Notifier::alert("beagle", e, "VRRP1", State::master, "no advert within Master_Down_Interval");
  EXPECT_EQ(m.subject, "[beagle] VRRP Instance VRRP1 - Entering MASTER state");
  EXPECT_EQ(m.from, "jOhn.doe@example.com");
  EXPECT_EQ(m.to, std::vector<std::string>{"john.doe+home@example.com"});
  EXPECT_TRUE(m.body.starts_with("=> VRRP Instance is now owning VRRP VIPs <=\n"));
  EXPECT_NE(m.body.find("reason: no advert within Master_Down_Interval"), std::string::npos);
  EXPECT_EQ(Notifier::alert("b", e, "V", State::fault, "x").subject, "[b] VRRP Instance V - Entering FAULT state");
}

}  // namespace
}  // namespace pairgate::vrrp
