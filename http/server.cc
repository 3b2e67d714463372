#include "http/server.h"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <optional>
#include <stdexcept>

#include "core/cloexec.h"

namespace pairgate::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

IpAddress client_address(const asio::ip::address& a) {
  if (a.is_v4()) return Ipv4Address(a.to_v4().to_uint());
  const auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) return Ipv4Address(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint());
  return *IpAddress::parse(v6.to_string());
}

struct Server::Listener {
  explicit Listener(asio::io_context& io, LoopClock& clock) : acceptor(io), retry(clock.make_timer()) {}
  tcp::acceptor acceptor;
  tcp protocol = tcp::v4();
  std::unique_ptr<Timer> retry;
};

class Server::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Server& server)
      : socket_(std::move(socket)),
        buffer_(server.options_.header_limit + 1024),
        deadline_(server.clock_->make_timer()),
        server_(server),
        alive_(server.alive_),
        open_(server.open_) {
    ++*open_;
  }
  ~Session() { --*open_; }

  void start() {
    arm(server_.options_.request_timeout);
    read();
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    deadline_->cancel();
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

 private:
  bool server_alive() const { return *alive_; }

  void arm(std::chrono::milliseconds timeout) {
    server_.clock_->arm_after(*deadline_, timeout, [weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self || self->closed_) return;
      if (self->server_alive()) ++self->server_.counters_.timeouts;
      if (self->waiting_answer_) {
        // The route never answered: say so, then hang up.
        self->waiting_answer_ = false;
        ++self->answer_id_;
        self->respond(text_response(503, "no answer in time"), false);
        return;
      }
      self->close();
    });
  }

  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_.options_.header_limit));
    parser_->body_limit(0);
    bhttp::async_read(socket_, buffer_, *parser_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(boost::system::error_code ec) {
    if (closed_ || !server_alive()) return;
    if (ec) {
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
          ec == asio::error::operation_aborted) {
        close();
        return;
      }
      if (ec == bhttp::error::header_limit || ec == bhttp::error::buffer_overflow) {
        ++server_.counters_.header_too_large;
        respond(text_response(431, "request header fields too large"), false);
      } else if (ec == bhttp::error::body_limit || ec == bhttp::error::unexpected_body) {
        ++server_.counters_.bad_requests;
        respond(text_response(413, "a request body is not accepted"), false);
      } else {
        ++server_.counters_.bad_requests;
        respond(text_response(400, "bad request"), false);
      }
      return;
    }
    ++server_.counters_.requests;
    ++requests_;
    const auto& req = parser_->get();
    version_ = req.version();
    keep_alive_ = req.keep_alive() && requests_ < server_.options_.max_requests_per_connection;
    const std::uint64_t id = ++answer_id_;
    waiting_answer_ = true;
    arm(server_.options_.answer_timeout);
    const std::string method(req.method_string());
    const std::string target(req.target());
    // The answer holds the session: nothing else does while a route works
    // (the deadline holds it weakly, and answers 503 if the route never does).
    server_.handler_(method, target, [self = shared_from_this(), id](Response r) {
      if (self->closed_ || id != self->answer_id_ || !self->waiting_answer_) return;
      self->waiting_answer_ = false;
      self->respond(std::move(r), self->keep_alive_);
    });
  }

  void respond(Response r, bool keep_alive) {
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(r.status), version_);
    res->set(bhttp::field::server, "pairgated");
    res->set(bhttp::field::content_type, r.content_type);
    res->set(bhttp::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    res->set("Referrer-Policy", "no-referrer");
    bool length_set = false;
    for (auto& [name, value] : r.headers) {
      if (beast::iequals(name, "Content-Length")) {
        length_set = true;
        res->content_length(std::stoull(value));
      } else {
        res->set(name, value);
      }
    }
    res->body() = std::move(r.body);
    if (!length_set) res->prepare_payload();
    res->keep_alive(keep_alive);
    arm(server_.options_.write_timeout);
    bhttp::async_write(socket_, *res, [self = shared_from_this(), res, keep_alive](boost::system::error_code ec, std::size_t) {
      if (self->closed_ || !self->server_alive()) return;
      if (ec || !keep_alive) {
        // Our side is done; the client reads what is in flight, then sees the end.
        boost::system::error_code ignored;
        self->socket_.shutdown(tcp::socket::shutdown_send, ignored);
        self->close();
        return;
      }
      self->arm(self->server_.options_.request_timeout);
      self->read();
    });
  }

  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::empty_body>> parser_;
  std::unique_ptr<Timer> deadline_;
  Server& server_;
  std::shared_ptr<bool> alive_;
  std::shared_ptr<std::size_t> open_;
  std::uint64_t answer_id_ = 0;
  std::size_t requests_ = 0;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool waiting_answer_ = false;
  bool closed_ = false;
};

Server::Server(asio::io_context& io, Options options, Handler handler)
    : io_(io),
      options_(std::move(options)),
      handler_(std::move(handler)),
      own_clock_(options_.clock ? nullptr : make_steady_clock(io)),
      clock_(options_.clock ? options_.clock : own_clock_.get()) {}

Server::~Server() { close(); }

void Server::open() {
  for (const auto& ep : options_.listen) {
    auto l = std::make_unique<Listener>(io_, *clock_);
    l->protocol = ep.protocol();
    boost::system::error_code ec;
    open_cloexec(l->acceptor, ep.protocol(), ec);  // a notify program inherits none of ours
    if (!ec) l->acceptor.non_blocking(true, ec);    // accept4 below must not wait
    if (!ec) l->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    // An IPv6 wildcard must not take the IPv4 port as well: 0.0.0.0 may be listed too.
    if (!ec && ep.address().is_v6()) l->acceptor.set_option(asio::ip::v6_only(true), ec);
    if (!ec) l->acceptor.bind(ep, ec);
    if (!ec) l->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      close();
      const std::string where = ep.address().is_v6() ? "[" + ep.address().to_string() + "]:" + std::to_string(ep.port())
                                                     : ep.address().to_string() + ":" + std::to_string(ep.port());
      throw std::runtime_error("http: cannot listen on " + where + ": " + ec.message());
    }
    listeners_.push_back(std::move(l));
  }
  for (auto& l : listeners_) accept(*l);
}

std::vector<tcp::endpoint> Server::local_endpoints() const {
  std::vector<tcp::endpoint> out;
  for (const auto& l : listeners_) {
    boost::system::error_code ec;
    out.push_back(l->acceptor.local_endpoint(ec));
  }
  return out;
}

bool Server::allowed(const asio::ip::address& a) const {
  const IpAddress c = client_address(a);
  for (const auto& p : options_.allow) {
    if (p.contains(c)) return true;
  }
  return false;
}

// accept4(SOCK_CLOEXEC) rather than asio's accept, whose sockets a notify
// program would inherit (as core/control_server.cc does).
void Server::accept(Listener& l) {
  l.acceptor.async_wait(tcp::acceptor::wait_read, [this, &l, alive = alive_](boost::system::error_code ec) {
    if (!*alive || !l.acceptor.is_open()) return;
    if (ec == asio::error::operation_aborted) return;
    for (int i = 0; !ec && i < 16; ++i) {
      const int fd = ::accept4(l.acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) break;
        ec.assign(errno, boost::system::system_category());
        break;
      }
      tcp::socket socket(io_);
      socket.assign(l.protocol, fd, ec);
      if (ec) {
        ::close(fd);
        break;
      }
      admit(std::move(socket));
    }
    if (ec) {
      // EMFILE and friends: the connection stays queued, so accepting again
      // at once would spin. Pause, then try again.
      if (counters_.accept_errors++ % 100 == 0) spdlog::warn("http: accept failed: {}; pausing 500 ms", ec.message());
      clock_->arm_after(*l.retry, std::chrono::milliseconds(500), [this, &l, alive] {
        if (*alive && l.acceptor.is_open()) accept(l);
      });
      return;
    }
    accept(l);
  });
}

void Server::admit(tcp::socket socket) {
  boost::system::error_code rec;
  const auto remote = socket.remote_endpoint(rec);
  if (rec || !allowed(remote.address())) {
    ++counters_.denied;
    socket.close(rec);
  } else if (*open_ >= options_.max_connections) {
    ++counters_.rejected_busy;
    static constexpr std::string_view kBusy =
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\nRetry-After: 1\r\n\r\n";
    socket.non_blocking(true, rec);
    socket.write_some(asio::buffer(kBusy.data(), kBusy.size()), rec);
    socket.shutdown(tcp::socket::shutdown_both, rec);
    socket.close(rec);
  } else {
    ++counters_.connections;
    std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
    auto session = std::make_shared<Session>(std::move(socket), *this);
    sessions_.push_back(session);
    session->start();
  }
}

void Server::close() {
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  for (auto& l : listeners_) {
    boost::system::error_code ec;
    l->retry->cancel();
    l->acceptor.close(ec);
  }
  listeners_.clear();
  for (auto& w : std::exchange(sessions_, {})) {
    if (auto s = w.lock()) s->close();
  }
}

}  // namespace pairgate::http
