#include "tunnel/dns_client.h"

#include <sys/random.h>

#include <boost/asio/ip/address.hpp>

#include "core/cloexec.h"

#include <cerrno>
#include <numeric>
#include <system_error>

namespace pairgate::tunnel {

namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

udp::endpoint endpoint(const Resolver& r) {
  if (r.address.is_v4()) return {asio::ip::address_v4(r.address.v4().to_uint()), r.port};
  asio::ip::address_v6 a(r.address.v6().bytes(), static_cast<unsigned>(r.scope_ifindex));
  return {a, r.port};
}

}  // namespace

std::string_view to_string(Ignored i) {
  switch (i) {
    case Ignored::wrong_source: return "wrong_source";
    case Ignored::not_response: return "not_response";
    case Ignored::wrong_id: return "wrong_id";
    case Ignored::wrong_question: return "wrong_question";
    case Ignored::malformed: return "malformed";
  }
  return "?";
}

// RFC 5452 §4.3 / §9.2: the ID must not be predictable; a seeded
// pseudo-random generator is, once some of its output has been seen.
std::uint16_t random_u16() {
  std::uint16_t v = 0;
  for (;;) {
    const ssize_t n = ::getrandom(&v, sizeof v, 0);
    if (n == static_cast<ssize_t>(sizeof v)) return v;
    if (n < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "getrandom");
  }
}

std::uint64_t DnsClient::ignored() const { return std::accumulate(ignored_.begin(), ignored_.end(), std::uint64_t{0}); }

void DnsClient::ignore(Ignored why) {
  ++ignored_[static_cast<std::size_t>(why)];
  receive();
}

DnsClient::DnsClient(asio::io_context& io, LoopClock& clock, std::chrono::milliseconds per_server)
    : io_(io), per_server_(per_server), clock_(clock), socket_(io), timer_(clock.make_timer()) {}

DnsClient::~DnsClient() {
  *alive_ = false;
  cancel();
}

void DnsClient::resolve(const std::string& name, std::vector<Resolver> servers, Callback callback) {
  cancel();
  name_ = name;
  servers_ = std::move(servers);
  next_ = 0;
  callback_ = std::move(callback);
  last_error_ = "no DNS server to ask";
  ask_next();
}

void DnsClient::cancel() {
  ++generation_;
  callback_ = nullptr;
  boost::system::error_code ec;
  socket_.close(ec);
  timer_->cancel();
}

void DnsClient::finish(const dns::Response& r, const std::string& error) {
  auto cb = std::move(callback_);
  callback_ = nullptr;
  ++generation_;
  boost::system::error_code ec;
  socket_.close(ec);
  timer_->cancel();
  if (cb) cb(r, error);
}

void DnsClient::ask_next() {
  boost::system::error_code ec;
  socket_.close(ec);
  if (next_ >= servers_.size()) {
    dns::Response none;
    none.error = dns::Error::server_failure;
    finish(none, last_error_);
    return;
  }
  const Resolver& server = servers_[next_++];
  server_ = endpoint(server);
  id_ = random_u16();
  query_ = dns::build_query(id_, name_);
  if (query_.empty()) {
    last_error_ = "'" + name_ + "' is not a valid name";
    next_ = servers_.size();
    ask_next();
    return;
  }
  open_cloexec(socket_, server_.protocol(), ec);
  if (!ec) socket_.send_to(asio::buffer(query_), server_, 0, ec);
  if (ec) {
    last_error_ = server.address.to_string() + ": " + ec.message();
    asio::post(io_, [this, alive = alive_, g = generation_] {
      if (*alive && g == generation_) ask_next();
    });
    return;
  }
  ++queries_;
  clock_.arm_after(*timer_, per_server_, [this, alive = alive_, g = generation_, who = server.address.to_string()] {
    if (!*alive || g != generation_) return;
    last_error_ = who + ": no answer";
    ++generation_;
    ask_next();
  });
  receive();
}

void DnsClient::receive() {
  socket_.async_receive_from(asio::buffer(buffer_), from_,
                             [this, alive = alive_, g = generation_](boost::system::error_code ec, std::size_t n) {
    if (!*alive || g != generation_ || ec == asio::error::operation_aborted) return;
    if (ec) {
      // ICMP port unreachable and the like: this server is out.
      last_error_ = server_.address().to_string() + ": " + ec.message();
      ++generation_;
      timer_->cancel();
      ask_next();
      return;
    }
    // RFC 5452 §9.1: the address and port we asked, then ID and question.
    if (from_ != server_) return ignore(Ignored::wrong_source);
    auto r = dns::parse_response(std::span<const std::byte>(buffer_.data(), n), id_, name_);
    if (r.error != dns::Error::none) ++errors_[static_cast<std::size_t>(r.error)];
    switch (r.error) {
      case dns::Error::not_response: return ignore(Ignored::not_response);
      case dns::Error::id_mismatch: return ignore(Ignored::wrong_id);
      case dns::Error::question_mismatch: return ignore(Ignored::wrong_question);
      // Not a well-formed message: nobody's answer, whoever sent it.
      case dns::Error::short_message:
      case dns::Error::bad_name:
      case dns::Error::pointer_loop:
      case dns::Error::bad_record:
        return ignore(Ignored::malformed);
      case dns::Error::none:
      case dns::Error::name_error:
      case dns::Error::no_data:
        finish(r, r.error == dns::Error::none ? "" : std::string(dns::to_string(r.error)));
        return;
      default:
        last_error_ = server_.address().to_string() + ": " + std::string(dns::to_string(r.error));
        ++generation_;
        timer_->cancel();
        ask_next();
        return;
    }
  });
}

}  // namespace pairgate::tunnel
