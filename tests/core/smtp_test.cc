#include "core/smtp.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <istream>

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

// An SMTP server on 127.0.0.1 in the test's own loop: it accepts mail, or
// (silent) accepts connections and never says a word.
class FakeSmtpServer {
 public:
  FakeSmtpServer(boost::asio::io_context& io, bool silent)
      : io_(io), acceptor_(io, {boost::asio::ip::make_address("127.0.0.1"), 0}), silent_(silent) {
    accept();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::vector<std::string> subjects;
  int connections = 0;

 private:
  struct Session {
    explicit Session(boost::asio::io_context& io) : socket(io) {}
    boost::asio::ip::tcp::socket socket;
    boost::asio::streambuf in;
    std::string out;
    bool data = false;
  };
  void accept() {
    auto s = std::make_shared<Session>(io_);
    acceptor_.async_accept(s->socket, [this, s](boost::system::error_code ec) {
      if (ec) return;
      ++connections;
      sessions_.push_back(s);
      if (!silent_) say(s, "220 fake ESMTP");
      accept();
    });
  }
  void say(const std::shared_ptr<Session>& s, const std::string& line) {
    s->out = line + "\r\n";
    boost::asio::async_write(s->socket, boost::asio::buffer(s->out), [this, s](boost::system::error_code ec, std::size_t) {
      if (!ec) listen(s);
    });
  }
  void listen(const std::shared_ptr<Session>& s) {
    boost::asio::async_read_until(s->socket, s->in, "\r\n", [this, s](boost::system::error_code ec, std::size_t) {
      if (ec) return;
      std::istream is(&s->in);
      std::string line;
      std::getline(is, line);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (s->data) {
        if (line.starts_with("Subject: ")) subjects.push_back(line.substr(9));
        if (line == ".") {
          s->data = false;
          return say(s, "250 queued");
        }
        return listen(s);
      }
      if (line.starts_with("DATA")) {
        s->data = true;
        return say(s, "354 go");
      }
      if (line.starts_with("QUIT")) return say(s, "221 bye");
      say(s, "250 OK");
    });
  }
  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  bool silent_;
  std::vector<std::shared_ptr<Session>> sessions_;
};

MailMessage alert(const std::string& subject) { return MailMessage{"a@example.com", {"b@example.com"}, subject, "body"}; }

// What the daemon does at stop: the alerts queued last are still sent, and
// it learns when they are.
TEST(SmtpClient, WhenIdleComesOnceTheQueuedMailIsSent) {
  boost::asio::io_context io;
  FakeSmtpServer server(io, false);
  SmtpClient client(io, "127.0.0.1", server.port(), std::chrono::seconds(5), "beagle");
  bool idle = false;
  client.when_idle([&] { idle = true; });
  EXPECT_TRUE(idle) << "nothing queued: idle at once";
  idle = false;
  client.send(alert("one"));
  client.send(alert("stopped"));
  client.when_idle([&] { idle = true; });
  EXPECT_FALSE(idle);
  for (int i = 0; i < 500 && !idle; ++i) io.run_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(idle);
  EXPECT_EQ(server.subjects, (std::vector<std::string>{"one", "stopped"}));
  EXPECT_EQ(client.sent(), 2u);
}

// The stop deadline passed with a server that never answers: the exchange
// in progress and what waits are given up at once, counted, not waited for.
TEST(SmtpClient, AbortGivesUpOnASilentServer) {
  boost::asio::io_context io;
  FakeSmtpServer server(io, true);
  SmtpClient client(io, "127.0.0.1", server.port(), std::chrono::seconds(30), "beagle");
  for (const char* s : {"one", "two", "three"}) client.send(alert(s));
  bool idle = false;
  client.when_idle([&] { idle = true; });
  for (int i = 0; i < 500 && server.connections == 0; ++i) io.run_for(std::chrono::milliseconds(10));
  ASSERT_EQ(server.connections, 1);
  client.abort();
  for (int i = 0; i < 100 && !idle; ++i) io.run_for(std::chrono::milliseconds(10));
  EXPECT_TRUE(idle);
  EXPECT_EQ(client.failed(), 3u);
  EXPECT_EQ(client.sent(), 0u);
}

}  // namespace
}  // namespace pairgate
