#include "core/control_server.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <cerrno>
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
        timer_(socket_.get_executor()),
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

 private:
  void arm(std::chrono::milliseconds timeout) {
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      if (*self->alive_) ++self->server_.counters_.timeouts;
      boost::system::error_code ignored;
      self->socket_.close(ignored);
    });
  }

  void read() {
    arm(server_.options_.idle_timeout);
    asio::async_read_until(socket_, buffer_, '\n', [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      self->on_read(ec, n);
    });
  }

  void on_read(boost::system::error_code ec, std::size_t n) {
    if (!*alive_) return;
    if (ec == asio::error::not_found) {
      // The line outgrew kMaxRequestBytes: answer once, then hang up.
      ++server_.counters_.bad_requests;
      write(control::error_response("request longer than 4096 bytes", control::code::bad_request), false);
      return;
    }
    if (ec) {
      timer_.cancel();
      return;  // closed by the client or by the deadline
    }
    std::string line(asio::buffers_begin(buffer_.data()), asio::buffers_begin(buffer_.data()) + n - 1);
    buffer_.consume(n);
    ++server_.counters_.requests;
    auto req = control::parse_request(line);
    if (!req) {
      ++server_.counters_.bad_requests;
      write(control::error_response(req.error(), control::code::bad_request), true);
      return;
    }
    std::string response;
    try {
      response = server_.handler_(*req, peer_);
    } catch (const std::exception& e) {
      spdlog::error("control: {} failed: {}", control::to_string(req->command), e.what());
      response = control::error_response(e.what(), control::code::internal);
    }
    write(std::move(response), true);
  }

  void write(std::string response, bool keep_open) {
    out_ = std::move(response);
    arm(server_.options_.write_timeout);
    asio::async_write(socket_, asio::buffer(out_), [self = shared_from_this(), keep_open](boost::system::error_code ec, std::size_t) {
      if (ec || !keep_open || !*self->alive_) {
        self->timer_.cancel();
        boost::system::error_code ignored;
        self->socket_.shutdown(stream::socket::shutdown_both, ignored);
        self->socket_.close(ignored);
        return;
      }
      self->read();
    });
  }

  stream::socket socket_;
  asio::steady_timer timer_;
  asio::streambuf buffer_;
  std::string out_;
  ControlServer& server_;
  std::shared_ptr<bool> alive_;
  std::shared_ptr<std::size_t> clients_;
  PeerCredentials peer_;
};

ControlServer::ControlServer(asio::io_context& io, Options options, Handler handler)
    : io_(io), options_(std::move(options)), handler_(std::move(handler)), acceptor_(io), retry_(io) {}

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
      retry_.expires_after(std::chrono::milliseconds(500));
      retry_.async_wait([this, alive](boost::system::error_code wec) {
        if (!wec && *alive && acceptor_.is_open()) accept();
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
    std::make_shared<Session>(std::move(socket), *this)->start();
  }
}

void ControlServer::close() {
  if (!acceptor_.is_open()) return;
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  retry_.cancel();
  boost::system::error_code ec;
  acceptor_.close(ec);
  // Remove the file only if it is still the one we bound.
  struct stat st {};
  if (::stat(options_.path.c_str(), &st) == 0 && st.st_ino == inode_ && st.st_dev == device_) {
    ::unlink(options_.path.c_str());
  }
}

}  // namespace pairgate
