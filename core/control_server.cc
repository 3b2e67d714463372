#include "core/control_server.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <deque>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "core/cloexec.h"

namespace pairgate {

namespace asio = boost::asio;
using stream = asio::local::stream_protocol;

class ControlServer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(stream::socket socket, ControlServer& server)
      : socket_(std::move(socket)),
        deadline_(server.clock_->make_timer()),
        buffer_(control::kMaxRequestBytes + 2),
        server_(server),
        alive_(server.alive_),
        clients_(server.clients_) {
    ++*clients_;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(socket_.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
      peer_ = {cred.pid, cred.uid, cred.gid};
    }
  }
  ~Session() { --*clients_; }

  void start() { read(); }

  // Hangs up: the deadline, an error, the server closing, or a slow reader.
  void close() {
    if (closed_) return;
    closed_ = true;
    deadline_->cancel();
    boost::system::error_code ignored;
    socket_.shutdown(stream::socket::shutdown_both, ignored);
    socket_.close(ignored);
    queue_.clear();
    if (auto on_close = std::move(on_close_)) on_close();
  }

  // SessionReply's side. A line for the client of the current command.
  bool enqueue(std::uint64_t command, std::string line) {
    if (closed_ || command != command_ || finished_) return false;
    queued_bytes_ += line.size();
    if (queued_bytes_ > server_.options_.max_queued_bytes) {
      if (*alive_) ++server_.counters_.cut_slow;
      spdlog::warn("control: client pid {} does not read its answers; disconnected", peer_.pid);
      close();
      return false;
    }
    queue_.push_back(std::move(line));
    if (!writing_) write_next();
    return true;
  }
  void finish(std::uint64_t command) {
    if (closed_ || command != command_ || finished_) return;
    finished_ = true;
    on_close_ = nullptr;
    // A pending hang-up watch sees the command finished and does nothing.
    if (!writing_) after_writes();
  }
  bool closed(std::uint64_t command) const { return closed_ || command != command_ || finished_; }
  void on_close(std::uint64_t command, std::function<void()> f) {
    if (closed(command)) {
      f();
      return;
    }
    on_close_ = std::move(f);
  }

 private:
  void arm(std::chrono::milliseconds timeout) {
    server_.clock_->arm_after(*deadline_, timeout, [weak = weak_from_this()] {
      auto self = weak.lock();
      if (!self) return;
      if (*self->alive_) ++self->server_.counters_.timeouts;
      self->close();
    });
  }

  void read() {
    if (closed_) return;
    arm(server_.options_.idle_timeout);
    asio::async_read_until(socket_, buffer_, '\n', [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      self->on_read(ec, n);
    });
  }

  void on_read(boost::system::error_code ec, std::size_t n) {
    if (!*alive_ || closed_) return;
    deadline_->cancel();
    const std::uint64_t command = ++command_;
    finished_ = false;
    if (ec == asio::error::not_found) {
      // The line outgrew kMaxRequestBytes: answer once, then hang up.
      ++server_.counters_.bad_requests;
      hang_up_after_writes_ = true;
      enqueue(command, control::error_response("request longer than 4096 bytes", control::code::bad_request));
      finish(command);
      return;
    }
    if (ec) {
      close();  // closed by the client
      return;
    }
    std::string line(asio::buffers_begin(buffer_.data()), asio::buffers_begin(buffer_.data()) + n - 1);
    buffer_.consume(n);
    ++server_.counters_.requests;
    ReplyPtr reply = make_reply(command);
    auto req = control::parse_request(line);
    if (!req) {
      ++server_.counters_.bad_requests;
      reply->error(req.error(), control::code::bad_request);
      return;
    }
    try {
      server_.handler_(*req, peer_, reply);
    } catch (const std::exception& e) {
      spdlog::error("control: {} failed: {}", req->command, e.what());
      if (!reply->closed()) reply->error(e.what(), control::code::internal);
    }
    if (!closed_ && !finished_ && !writing_) watch_hang_up(command);
  }

  // While a command runs (a reload, a stream), notice the client leaving
  // without reading from the socket: a stream with nothing to say would
  // otherwise never learn its reader is gone.
  void watch_hang_up(std::uint64_t command) {
    socket_.async_wait(stream::socket::wait_read, [self = shared_from_this(), command](boost::system::error_code ec) {
      if (ec || self->closed(command)) return;
      char byte;
      const ssize_t n = ::recv(self->socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) self->close();
      // Bytes waiting are the client's next request: read once the command is done.
    });
  }

  ReplyPtr make_reply(std::uint64_t command);

  void write_next() {
    writing_ = true;
    arm(server_.options_.write_timeout);
    asio::async_write(socket_, asio::buffer(queue_.front()), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      self->writing_ = false;
      if (ec || !*self->alive_ || self->closed_) {
        self->close();
        return;
      }
      self->queued_bytes_ -= self->queue_.front().size();
      self->queue_.pop_front();
      self->deadline_->cancel();
      if (!self->queue_.empty()) {
        self->write_next();
      } else if (self->finished_) {
        self->after_writes();
      } else {
        self->watch_hang_up(self->command_);
      }
    });
  }

  void after_writes() {
    if (hang_up_after_writes_) {
      close();
      return;
    }
    read();
  }

  stream::socket socket_;
  std::unique_ptr<Timer> deadline_;
  asio::streambuf buffer_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool closed_ = false;
  bool finished_ = true;
  bool hang_up_after_writes_ = false;
  std::uint64_t command_ = 0;  // the request being answered
  std::function<void()> on_close_;
  ControlServer& server_;
  std::shared_ptr<bool> alive_;
  std::shared_ptr<std::size_t> clients_;
  PeerCredentials peer_;
};

// What a command holds: outlives the session harmlessly, and answers only
// for the request it was made for.
class ControlServer::SessionReply final : public CommandReply {
 public:
  SessionReply(std::weak_ptr<Session> session, std::uint64_t command) : session_(std::move(session)), command_(command) {}
  bool write(std::string line) override {
    auto s = session_.lock();
    return s && s->enqueue(command_, std::move(line));
  }
  void finish() override {
    if (auto s = session_.lock()) s->finish(command_);
  }
  bool closed() const override {
    auto s = session_.lock();
    return !s || s->closed(command_);
  }
  void on_close(std::function<void()> f) override {
    if (auto s = session_.lock()) {
      s->on_close(command_, std::move(f));
    } else {
      f();
    }
  }

 private:
  std::weak_ptr<Session> session_;
  std::uint64_t command_;
};

ReplyPtr ControlServer::Session::make_reply(std::uint64_t command) {
  return std::make_shared<SessionReply>(weak_from_this(), command);
}

ControlServer::ControlServer(asio::io_context& io, Options options, Handler handler)
    : io_(io),
      options_(std::move(options)),
      handler_(std::move(handler)),
      acceptor_(io),
      own_clock_(options_.clock ? nullptr : make_steady_clock(io)),
      clock_(options_.clock ? options_.clock : own_clock_.get()),
      retry_(clock_->make_timer()) {}

ControlServer::~ControlServer() {
  close();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

void ControlServer::open() {
  const std::string& path = options_.path;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code fec;
  if (!parent.empty() && !std::filesystem::exists(parent, fec)) {
    std::filesystem::create_directories(parent, fec);
    if (fec) throw std::runtime_error("cannot create " + parent.string() + ": " + fec.message());
    ::chmod(parent.c_str(), 0755);
  }

  // The lock comes before the probe: the probe and the unlink of a stale
  // socket are one step only while nobody else can take them. The file is
  // never removed (removing a lock file lets a third daemon lock a new one).
  const std::string lock_path = path + ".lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (lock_fd_ < 0) throw std::runtime_error("cannot open the lock file " + lock_path + ": " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int e = errno;
    ::close(lock_fd_);
    lock_fd_ = -1;
    if (e == EWOULDBLOCK) throw std::runtime_error("another pairgated is running on " + path + " (it holds " + lock_path + ")");
    throw std::runtime_error("cannot lock " + lock_path + ": " + std::strerror(e));
  }

  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      throw std::runtime_error(path + " exists and is not a socket; not touching it");
    }
    stream::socket probe(io_);
    boost::system::error_code ec;
    probe.connect(stream::endpoint(path), ec);
    if (!ec) {
      throw std::runtime_error("another pairgated is running on " + path + " (its socket answers)");
    }
    if (ec != asio::error::connection_refused) {
      throw std::runtime_error("cannot probe the existing socket " + path + ": " + ec.message());
    }
    spdlog::warn("control: replacing stale socket {} left by a previous run", path);
    ::unlink(path.c_str());
  }

  boost::system::error_code ec;
  open_cloexec(acceptor_, stream(), ec);
  if (!ec) {
    // No window in which the socket is reachable with the default umask.
    mode_t old = ::umask(0177);
    acceptor_.bind(stream::endpoint(path), ec);
    ::umask(old);
  }
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + path + ": " + ec.message());
  // A socket file this start cannot finish goes again, rather than stay as a
  // "stale socket" for the next one to find.
  auto fail = [&](const std::string& what) {
    const int e = errno;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    ::unlink(path.c_str());
    return std::runtime_error(what + ": " + std::strerror(e));
  };
  if (options_.group && ::chown(path.c_str(), static_cast<uid_t>(-1), *options_.group) != 0) {
    throw fail("cannot give " + path + " to its group");
  }
  if (::chmod(path.c_str(), options_.mode) != 0) throw fail("cannot chmod " + path);
  if (::stat(path.c_str(), &st) == 0) {
    inode_ = st.st_ino;
    device_ = st.st_dev;
  }
  accept();
}

// accept4(SOCK_CLOEXEC) rather than asio's accept, whose sockets a notify
// program would inherit.
void ControlServer::accept() {
  acceptor_.async_wait(stream::acceptor::wait_read, [this, alive = alive_](boost::system::error_code ec) {
    if (!*alive || !acceptor_.is_open()) return;
    for (int i = 0; !ec && i < 16; ++i) {
      const int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNABORTED) break;
        ec.assign(errno, boost::system::system_category());
        break;
      }
      stream::socket socket(io_);
      socket.assign(stream(), fd, ec);
      if (ec) {
        ::close(fd);
        break;
      }
      admit(std::move(socket));
    }
    if (ec) {
      // EMFILE and friends: the pending connection stays queued, so accepting
      // again at once would spin. Pause, then try again.
      spdlog::warn("control: accept failed: {}; pausing 500 ms", ec.message());
      clock_->arm_after(*retry_, std::chrono::milliseconds(500), [this, alive] {
        if (*alive && acceptor_.is_open()) accept();
      });
      return;
    }
    accept();
  });
}

void ControlServer::admit(stream::socket socket) {
  ++counters_.connections;
  ucred cred{};
  socklen_t len = sizeof cred;
  const bool root = getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == 0;
  if (*clients_ >= options_.max_clients + (root ? options_.root_reserve : 0)) {
    ++counters_.rejected_busy;
    auto msg = control::error_response("too many control clients", control::code::busy);
    boost::system::error_code ec;
    socket.non_blocking(true, ec);
    socket.write_some(asio::buffer(msg), ec);
  } else {
    std::erase_if(sessions_, [](const auto& w) { return w.expired(); });
    auto session = std::make_shared<Session>(std::move(socket), *this);
    sessions_.push_back(session);
    session->start();
  }
}

void ControlServer::close() {
  if (!acceptor_.is_open()) return;
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  retry_->cancel();
  boost::system::error_code ec;
  acceptor_.close(ec);
  for (auto& w : std::exchange(sessions_, {})) {
    if (auto session = w.lock()) session->close();
  }
  // Remove the file only if it is still the one we bound.
  struct stat st {};
  if (::stat(options_.path.c_str(), &st) == 0 && st.st_ino == inode_ && st.st_dev == device_) {
    ::unlink(options_.path.c_str());
  }
}

}  // namespace pairgate
