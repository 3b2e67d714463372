#include "dhcp/journal.h"
#include "core/sched.h"

#include <boost/asio/post.hpp>

#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace pairgate::dhcp {

namespace {

std::error_code last_errno() { return {errno, std::generic_category()}; }

std::error_code write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_errno();
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

int open_append(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

std::string parent_of(const std::string& path) {
  auto p = std::filesystem::path(path).parent_path();
  return p.empty() ? "." : p.string();
}

}  // namespace

Journal::Loaded Journal::load(const std::string& path) {
  Loaded out;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return out;
    throw std::runtime_error("cannot read lease file " + path + ": " + std::strerror(errno));
  }
  std::string contents;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      throw std::runtime_error("cannot read lease file " + path + ": " + std::strerror(e));
    }
    if (n == 0) break;
    contents.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  out.existed = true;
  out.stats = replay(contents);
  out.leases = std::move(out.stats.leases);
  return out;
}

Journal::Journal(boost::asio::io_context& io, std::string path, Snapshot snapshot, BatchDone on_batch,
                 bool start_clean)
    : io_(io), path_(std::move(path)), snapshot_(std::move(snapshot)), on_batch_(std::move(on_batch)) {
  std::error_code ec;
  std::filesystem::create_directories(parent_of(path_), ec);
  fd_ = open_append(path_);
  if (fd_ < 0) throw std::runtime_error("cannot open lease file " + path_ + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd_, &st) == 0) file_bytes_ = static_cast<std::uint64_t>(st.st_size);
  live_bytes_ = file_bytes_;
  need_rewrite_ = !start_clean;
  open_.id = next_id_++;
  thread_ = std::thread([this] {
    leave_realtime();  // compaction writes the whole file: not at the loop's policy
    ::pthread_setname_np(::pthread_self(), "pg-journal");  // per-thread CPU in top and the benches
    worker();
  });
}

Journal::~Journal() {
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t Journal::append(const Lease& lease) {
  if (!open_.rewrite) encode_record(lease, open_.appends);  // a pending snapshot already holds it
  schedule();
  return open_.id;
}

std::uint64_t Journal::rewrite() {
  need_rewrite_ = true;
  schedule();
  return open_.id;
}

void Journal::when_idle(std::function<void()> done) {
  if (idle()) {
    done();
    return;
  }
  idle_waiters_.push_back(std::move(done));
}

void Journal::schedule() {
  if (scheduled_ || in_flight_) return;
  scheduled_ = true;
  // Everything appended in this turn of the loop joins the batch.
  boost::asio::post(io_, [this] {
    scheduled_ = false;
    submit();
  });
}

void Journal::submit() {
  if (in_flight_) return;
  // A failed batch left the file in an unknown state, and a file that has
  // doubled its live size is compacted: both by a rewrite.
  if (need_rewrite_ || file_bytes_ > 2 * live_bytes_ + (1u << 20)) {
    open_.rewrite = snapshot_();
    open_.appends.clear();
    need_rewrite_ = false;
  }
  if (open_.empty_batch()) return;
  Batch batch = std::move(open_);
  open_ = Batch{};
  open_.id = next_id_++;
  in_flight_ = true;
  busy_.emplace(io_.get_executor());
  {
    std::lock_guard lock(mutex_);
    job_ = std::move(batch);
  }
  wake_.notify_one();
}

void Journal::finished(Batch batch, Result result) {
  in_flight_ = false;
  busy_.reset();
  ++batches_done_;
  if (result.ec) {
    failed_ = true;
    last_error_ = result.ec.message();
    need_rewrite_ = true;
  } else {
    failed_ = false;
    last_error_.clear();
    file_bytes_ = result.file_bytes;
    if (result.sync_seconds >= 0) sync_latency_.observe(result.sync_seconds);
    if (batch.rewrite) {
      live_bytes_ = batch.rewrite->size();
      ++compactions_;
      batch.rewrite.reset();
      ::malloc_trim(0);  // the snapshot was the size of the store: give it back
    }
  }
  on_batch_(batch.id, result.ec);
  if (!open_.empty_batch()) submit();
  if (idle()) {
    auto waiters = std::move(idle_waiters_);
    idle_waiters_.clear();
    for (auto& w : waiters) w();
  }
}

void Journal::worker() {
  for (;;) {
    Batch batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return quit_ || job_; });
      if (!job_) return;  // quit with nothing left to write
      batch = std::move(*job_);
      job_.reset();
    }
    Result result = run(batch);
    boost::asio::post(io_, [this, b = std::move(batch), result]() mutable { finished(std::move(b), result); });
  }
}

// Runs on the writer thread.
Journal::Result Journal::run(Batch& batch) {
  Result r;
  if (batch.rewrite) {
    const std::string tmp = path_ + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) return {last_errno(), 0};
    std::error_code ec = write_all(fd, *batch.rewrite);
    if (!ec && ::fsync(fd) != 0) ec = last_errno();
    ::close(fd);
    if (!ec && ::rename(tmp.c_str(), path_.c_str()) != 0) ec = last_errno();
    if (ec) {
      ::unlink(tmp.c_str());
      return {ec, 0};
    }
    int dir = ::open(parent_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      if (::fsync(dir) != 0) ec = last_errno();
      ::close(dir);
    }
    if (ec) return {ec, 0};
    int fresh = open_append(path_);
    if (fresh < 0) return {last_errno(), 0};
    if (fd_ >= 0) ::close(fd_);
    fd_ = fresh;
  }
  if (!batch.appends.empty()) {
    if (fd_ < 0) return {std::make_error_code(std::errc::bad_file_descriptor), 0};
    if (auto ec = write_all(fd_, batch.appends)) return {ec, 0};
  }
  const auto sync_start = std::chrono::steady_clock::now();
  if (::fdatasync(fd_) != 0) return {last_errno(), 0};
  r.sync_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - sync_start).count();
  struct stat st {};
  if (::fstat(fd_, &st) == 0) r.file_bytes = static_cast<std::uint64_t>(st.st_size);
  return r;
}

}  // namespace pairgate::dhcp
