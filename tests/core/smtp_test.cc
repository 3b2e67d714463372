#include "core/smtp.h"

#include <gtest/gtest.h>

namespace pairgate {
namespace {

MailMessage message() {
  return MailMessage{"jOhn.doe@example.com", {"a@example.com", "b@example.com"}, "[beagle] VRRP Instance VRRP1 - Entering MASTER state",
                     "line one\n.starts with a dot\nlast"};
}

TEST(SmtpDialog, SpeaksRfc5321) {
  SmtpDialog d(message(), "beagle", "Tue, 24 Nov 2026 16:31:02 +0000");
  EXPECT_EQ(d.on_reply("220 mail.example.com ESMTP"), "EHLO beagle\r\n");
  EXPECT_EQ(d.on_reply("250-mail.example.com"), "") << "a multi-line reply goes on";
  EXPECT_EQ(d.on_reply("250-PIPELINING"), "");
  EXPECT_EQ(d.on_reply("250 8BITMIME"), "MAIL FROM:<jOhn.doe@example.com>\r\n");
  EXPECT_EQ(d.on_reply("250 OK"), "RCPT TO:<a@example.com>\r\n");
  EXPECT_EQ(d.on_reply("250 OK"), "RCPT TO:<b@example.com>\r\n");
  EXPECT_EQ(d.on_reply("251 will forward"), "DATA\r\n");
  const std::string data = d.on_reply("354 go ahead");
  EXPECT_EQ(data,
            "Date: Tue, 24 Nov 2026 16:31:02 +0000\r\n"
            "From: <jOhn.doe@example.com>\r\n"
            "To: <a@example.com>, <b@example.com>\r\n"
            "Subject: [beagle] VRRP Instance VRRP1 - Entering MASTER state\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "\r\n"
            "line one\r\n"
            "..starts with a dot\r\n"
            "last\r\n"
            ".\r\n");
  EXPECT_EQ(d.on_reply("250 queued"), "QUIT\r\n");
  EXPECT_FALSE(d.done());
  EXPECT_EQ(d.on_reply("221 bye"), "");
  EXPECT_TRUE(d.done());
  EXPECT_FALSE(d.error().has_value());
}

TEST(SmtpDialog, FallsBackToHelo) {
  SmtpDialog d(message(), "beagle", "x");
  d.on_reply("220 old server");
  EXPECT_EQ(d.on_reply("502 what is EHLO"), "HELO beagle\r\n");
  EXPECT_EQ(d.on_reply("250 hi"), "MAIL FROM:<jOhn.doe@example.com>\r\n");
}

TEST(SmtpDialog, ARefusalEndsTheExchangeWithTheServersWords) {
  SmtpDialog d(message(), "beagle", "x");
  d.on_reply("220 hi");
  d.on_reply("250 hi");
  d.on_reply("250 ok");
  EXPECT_EQ(d.on_reply("550 5.1.1 no such user"), "QUIT\r\n");
  ASSERT_TRUE(d.error().has_value());
  EXPECT_EQ(*d.error(), "RCPT TO <a@example.com>: 550 5.1.1 no such user");
  d.on_reply("221 bye");
  EXPECT_TRUE(d.done());
}

TEST(SmtpDialog, ABadGreetingIsAnError) {
  SmtpDialog d(message(), "beagle", "x");
  EXPECT_EQ(d.on_reply("554 go away"), "QUIT\r\n");
  EXPECT_EQ(*d.error(), "greeting: 554 go away");
  EXPECT_EQ(d.on_reply("garbage"), "");
  EXPECT_TRUE(d.done());
}

TEST(SmtpDate, LooksLikeRfc5322) {
  const std::string d = rfc5322_date();
  EXPECT_EQ(d.size(), 31u) << d;
  EXPECT_TRUE(d.ends_with(" +0000"));
}

}  // namespace
}  // namespace pairgate
