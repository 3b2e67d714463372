// Mail for state-change alerts (keepalived's smtp_alert): a small SMTP
// client (RFC 5321) on the event loop. A dead or slow server is logged and
// never holds anything else up: every exchange has one deadline.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pairgate {

struct MailMessage {
  std::string from;
  std::vector<std::string> to;
  std::string subject;
  std::string body;
};

// The client side of one SMTP exchange, without I/O: feed it each reply
// line from the server, send what it returns. Pure, so it is unit-tested.
class SmtpDialog {
 public:
  SmtpDialog(MailMessage message, std::string helo_name, std::string date);

  // The lines to send (each ending in CRLF) after `reply`, a line from the
  // server without its CRLF. Empty while a multi-line reply goes on.
  std::string on_reply(std::string_view reply);
  bool done() const { return step_ == Step::done; }
  // Set when the server refused something: "RCPT TO <x>: 550 no such user".
  const std::optional<std::string>& error() const { return error_; }

  // The DATA section: headers, the dot-stuffed body, the final ".".
  std::string data() const;

 private:
  enum class Step { greeting, ehlo, helo, mail, rcpt, data, body, quit, done };
  std::string fail(std::string_view what, std::string_view reply);

  MailMessage m_;
  std::string helo_name_;
  std::string date_;
  Step step_ = Step::greeting;
  std::size_t rcpt_ = 0;
  std::optional<std::string> error_;
};

class SmtpClient {
 public:
  using Done = std::function<void(const std::optional<std::string>& error)>;
  SmtpClient(boost::asio::io_context& io, std::string host, std::uint16_t port, std::chrono::milliseconds timeout,
             std::string helo_name);
  ~SmtpClient();

  // Queues a message; they go one at a time. At most 32 wait: beyond that
  // the oldest waiting one is dropped, and logged.
  void send(MailMessage message, Done done = nullptr);
  // Calls `idle` once nothing waits or is being sent: at once if so now,
  // else from the event loop when the last exchange ends.
  void when_idle(std::function<void()> idle);
  // Gives up (the daemon stops and its deadline passed): the exchange in
  // progress ends as failed, the waiting messages are dropped; each is
  // counted as failed and logged with its subject.
  void abort();
  bool idle() const { return !busy_ && queue_.empty(); }
  std::uint64_t sent() const { return sent_; }
  std::uint64_t failed() const { return failed_; }

 private:
  struct Exchange;
  void next();

  boost::asio::io_context& io_;
  std::string host_;
  std::uint16_t port_;
  std::chrono::milliseconds timeout_;
  std::string helo_name_;
  std::deque<std::pair<MailMessage, Done>> queue_;
  std::weak_ptr<Exchange> current_;
  std::vector<std::function<void()>> idle_;
  bool busy_ = false;
  std::uint64_t sent_ = 0;
  std::uint64_t failed_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// RFC 5322 date of now, e.g. "Tue, 24 Nov 2026 16:31:02 +0000".
std::string rfc5322_date();

}  // namespace pairgate
