#include "core/smtp.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <ctime>
#include <utility>

#include "core/cloexec.h"

namespace pairgate {

namespace asio = boost::asio;

namespace {

int code_of(std::string_view reply) {
  if (reply.size() < 3) return 0;
  int c = 0;
  for (int i = 0; i < 3; ++i) {
    if (reply[i] < '0' || reply[i] > '9') return 0;
    c = c * 10 + (reply[i] - '0');
  }
  return c;
}

// "250-..." continues a multi-line reply; "250 ..." or "250" ends it.
bool last_line(std::string_view reply) { return reply.size() < 4 || reply[3] != '-'; }

std::string crlf(std::string s) { return s + "\r\n"; }

}  // namespace

SmtpDialog::SmtpDialog(MailMessage message, std::string helo_name, std::string date)
    : m_(std::move(message)), helo_name_(std::move(helo_name)), date_(std::move(date)) {}

std::string SmtpDialog::fail(std::string_view what, std::string_view reply) {
  error_ = std::string(what) + ": " + std::string(reply);
  // Say goodbye politely; the server owes us nothing more.
  step_ = Step::quit;
  return crlf("QUIT");
}

std::string SmtpDialog::on_reply(std::string_view reply) {
  if (step_ == Step::done) return {};
  if (!last_line(reply)) return {};
  const int code = code_of(reply);
  switch (step_) {
    case Step::greeting:
      if (code != 220) return fail("greeting", reply);
      step_ = Step::ehlo;
      return crlf("EHLO " + helo_name_);
    case Step::ehlo:
      if (code != 250) {
        // RFC 5321 §4.1.4: fall back to HELO.
        step_ = Step::helo;
        return crlf("HELO " + helo_name_);
      }
      step_ = Step::mail;
      return crlf("MAIL FROM:<" + m_.from + ">");
    case Step::helo:
      if (code != 250) return fail("HELO", reply);
      step_ = Step::mail;
      return crlf("MAIL FROM:<" + m_.from + ">");
    case Step::mail:
      if (code != 250) return fail("MAIL FROM <" + m_.from + ">", reply);
      step_ = Step::rcpt;
      return crlf("RCPT TO:<" + m_.to.at(rcpt_) + ">");
    case Step::rcpt:
      if (code != 250 && code != 251) return fail("RCPT TO <" + m_.to.at(rcpt_) + ">", reply);
      if (++rcpt_ < m_.to.size()) return crlf("RCPT TO:<" + m_.to[rcpt_] + ">");
      step_ = Step::data;
      return crlf("DATA");
    case Step::data:
      if (code != 354) return fail("DATA", reply);
      step_ = Step::body;
      return data();
    case Step::body:
      if (code != 250) return fail("message", reply);
      step_ = Step::quit;
      return crlf("QUIT");
    case Step::quit:
      step_ = Step::done;
      return {};
    case Step::done:
      return {};
  }
  return {};
}

std::string SmtpDialog::data() const {
  std::string out;
  out += crlf("Date: " + date_);
  out += crlf("From: <" + m_.from + ">");
  std::string to;
  for (const auto& t : m_.to) to += (to.empty() ? "<" : ", <") + t + ">";
  out += crlf("To: " + to);
  out += crlf("Subject: " + m_.subject);
  out += crlf("Content-Type: text/plain; charset=utf-8");
  out += crlf("");
  // RFC 5321 §4.5.2: a line starting with "." gets another; bare LFs become CRLF.
  std::string line;
  auto emit = [&] {
    out += (line.starts_with(".") ? "." : "") + line + "\r\n";
    line.clear();
  };
  for (char c : m_.body) {
    if (c == '\n') {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      emit();
    } else {
      line += c;
    }
  }
  if (!line.empty()) emit();
  out += crlf(".");
  return out;
}

struct SmtpClient::Exchange : std::enable_shared_from_this<Exchange> {
  Exchange(asio::io_context& io, SmtpDialog d, Done done)
      : resolver(io), socket(io), timer(io), dialog(std::move(d)), done(std::move(done)) {}
  asio::ip::tcp::resolver resolver;
  asio::ip::tcp::resolver::results_type results;
  asio::ip::tcp::socket socket;
  asio::steady_timer timer;
  asio::streambuf in{65536};
  std::string out;
  SmtpDialog dialog;
  Done done;
  bool finished = false;

  void finish(const std::optional<std::string>& error) {
    if (finished) return;
    finished = true;
    timer.cancel();
    boost::system::error_code ignored;
    resolver.cancel();
    socket.close(ignored);
    if (done) done(error);
  }

  // Each address in turn, on a socket opened close-on-exec (asio's
  // range async_connect opens its own, without).
  void connect(asio::ip::tcp::resolver::results_type::const_iterator it, boost::system::error_code last) {
    if (it == results.end()) return finish("connect: " + last.message());
    boost::system::error_code ec;
    socket.close(ec);
    open_cloexec(socket, it->endpoint().protocol(), ec);
    if (ec) return connect(std::next(it), ec);
    socket.async_connect(it->endpoint(), [self = shared_from_this(), it](boost::system::error_code cec) {
      if (self->finished) return;
      if (cec) return self->connect(std::next(it), cec);
      self->read();
    });
  }

  void read() {
    asio::async_read_until(socket, in, "\r\n", [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      if (self->finished) return;
      if (ec) {
        // The server may hang up after QUIT's 221 without waiting for us.
        if (self->dialog.done() || (self->dialog.error() && ec == asio::error::eof)) {
          self->finish(self->dialog.error());
        } else {
          self->finish("connection: " + ec.message());
        }
        return;
      }
      std::string line(asio::buffers_begin(self->in.data()), asio::buffers_begin(self->in.data()) + n - 2);
      self->in.consume(n);
      std::string reply = self->dialog.on_reply(line);
      if (self->dialog.done()) {
        self->finish(self->dialog.error());
        return;
      }
      if (reply.empty()) {
        self->read();
        return;
      }
      self->out = std::move(reply);
      asio::async_write(self->socket, asio::buffer(self->out), [self](boost::system::error_code wec, std::size_t) {
        if (self->finished) return;
        if (wec) return self->finish("connection: " + wec.message());
        self->read();
      });
    });
  }
};

SmtpClient::SmtpClient(asio::io_context& io, std::string host, std::uint16_t port, std::chrono::milliseconds timeout,
                       std::string helo_name)
    : io_(io), host_(std::move(host)), port_(port), timeout_(timeout), helo_name_(std::move(helo_name)) {}

SmtpClient::~SmtpClient() { *alive_ = false; }

void SmtpClient::send(MailMessage message, Done done) {
  if (queue_.size() >= 32) {
    spdlog::warn("mail: queue full; dropping the alert \"{}\"", queue_.front().first.subject);
    ++failed_;
    queue_.pop_front();
  }
  queue_.emplace_back(std::move(message), std::move(done));
  if (!busy_) next();
}

void SmtpClient::when_idle(std::function<void()> idle) {
  if (this->idle()) return idle();
  idle_.push_back(std::move(idle));
}

void SmtpClient::abort() {
  for (auto& [message, done] : std::exchange(queue_, {})) {
    ++failed_;
    spdlog::warn("mail: not sent, stopping: alert \"{}\"", message.subject);
    if (done) done("stopped before it was sent");
  }
  if (auto ex = current_.lock()) ex->finish("stopped before the exchange ended");
}

void SmtpClient::next() {
  if (queue_.empty()) {
    busy_ = false;
    for (auto& f : std::exchange(idle_, {})) f();
    return;
  }
  busy_ = true;
  auto [message, done] = std::move(queue_.front());
  queue_.pop_front();
  const std::string subject = message.subject;
  auto ex = std::make_shared<Exchange>(
      io_, SmtpDialog(std::move(message), helo_name_, rfc5322_date()),
      [this, alive = alive_, subject, done = std::move(done)](const std::optional<std::string>& error) {
        if (done) done(error);
        if (!*alive) return;
        if (error) {
          ++failed_;
          spdlog::warn("mail to {}:{} failed: {} (alert \"{}\")", host_, port_, *error, subject);
        } else {
          ++sent_;
          spdlog::info("mail: sent \"{}\"", subject);
        }
        asio::post(io_, [this, alive] {
          if (*alive) next();
        });
      });
  current_ = ex;
  ex->timer.expires_after(timeout_);
  ex->timer.async_wait([weak = std::weak_ptr<Exchange>(ex)](boost::system::error_code ec) {
    if (auto e = weak.lock(); e && !ec) e->finish("no answer within the timeout");
  });
  ex->resolver.async_resolve(host_, std::to_string(port_),
                             [ex](boost::system::error_code ec, asio::ip::tcp::resolver::results_type results) {
                               if (ex->finished) return;
                               if (ec) return ex->finish("resolve: " + ec.message());
                               ex->results = std::move(results);
                               ex->connect(ex->results.begin(), asio::error::host_not_found);
                             });
}

std::string rfc5322_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  return buf;
}

}  // namespace pairgate
