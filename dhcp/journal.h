// The lease file: an append-only journal with group commit.
//
// Records appended during one turn of the event loop (and while the previous
// batch is being synced) form one batch: one write(), one fdatasync(), on a
// writer thread so the loop never blocks on the disk. When a batch is
// durable, `on_batch(id, {})` runs on the io_context; the caller holds back
// whatever it promised (a DHCPACK) until then. A failed batch reports its
// error (ENOSPC, EIO, ...); the file may then end in a partial record, so
// the next batch rewrites the whole file from a snapshot first.
//
// The file is compacted the same way when it has grown to twice its live
// size: the snapshot goes to PATH.tmp, is fsync'ed and renamed over PATH, and
// the directory is fsync'ed. A crash at any instant leaves either the old
// file or the new one, each ending at worst in one torn record.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "core/histogram.h"
#include "dhcp/journal_format.h"

namespace pairgate::dhcp {

// What the service needs of the lease file (dhcp::Service takes any; tests
// use a double that completes batches when told).
class LeaseJournal {
 public:
  virtual ~LeaseJournal() = default;
  // Adds a record to the open batch and returns the batch's id.
  virtual std::uint64_t append(const Lease& lease) = 0;
  // Makes the open batch a rewrite from a snapshot (recovery after a failed
  // batch); returns its id.
  virtual std::uint64_t rewrite() = 0;
  // Calls done once every batch so far has been reported (at once if so).
  virtual void when_idle(std::function<void()> done) = 0;
  // The last batch failed; nothing is durable until a rewrite succeeds.
  virtual bool failed() const = 0;
  virtual const std::string& last_error() const = 0;
  virtual std::uint64_t file_bytes() const = 0;
  virtual std::uint64_t batches() const = 0;
  virtual std::uint64_t compactions() const = 0;
  virtual const std::string& path() const = 0;
  // How long each batch's fdatasync() took, in seconds (the part of an
  // ACK's wait that is the disk's); null: not measured.
  virtual const Histogram* sync_latency() const { return nullptr; }
};

class Journal final : public LeaseJournal {
 public:
  using BatchDone = std::function<void(std::uint64_t batch, std::error_code ec)>;
  // Returns the whole store as records (for compaction and recovery).
  using Snapshot = std::function<std::string()>;

  struct Loaded {
    std::vector<Lease> leases;
    Replay stats;
    bool existed = false;
  };
  // Reads the file; a missing file is an empty store. Throws
  // std::runtime_error when it exists but cannot be read.
  static Loaded load(const std::string& path);

  // Opens (creating) the file for appending. Throws std::runtime_error when
  // it cannot (start-up only; later failures are reported per batch).
  // `start_clean` false (load() found a torn or damaged record) makes the
  // first batch a rewrite.
  Journal(boost::asio::io_context& io, std::string path, Snapshot snapshot, BatchDone on_batch, bool start_clean);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  std::uint64_t append(const Lease& lease) override;
  std::uint64_t rewrite() override;
  // Durable or failed, every batch so far has been reported.
  bool idle() const { return !in_flight_ && open_.empty_batch(); }
  void when_idle(std::function<void()> done) override;

  bool failed() const override { return failed_; }
  const std::string& last_error() const override { return last_error_; }
  std::uint64_t file_bytes() const override { return file_bytes_; }
  std::uint64_t batches() const override { return batches_done_; }
  std::uint64_t compactions() const override { return compactions_; }
  const std::string& path() const override { return path_; }
  const Histogram* sync_latency() const override { return &sync_latency_; }

 private:
  struct Batch {
    std::uint64_t id = 0;
    std::string appends;
    std::optional<std::string> rewrite;
    bool empty_batch() const { return appends.empty() && !rewrite; }
  };
  struct Result {
    std::error_code ec;
    std::uint64_t file_bytes = 0;
    double sync_seconds = -1;  // the fdatasync's duration; < 0 when none completed
  };

  void schedule();
  void submit();
  void finished(Batch batch, Result result);
  void worker();
  Result run(Batch& batch);

  boost::asio::io_context& io_;
  const std::string path_;
  Snapshot snapshot_;
  BatchDone on_batch_;

  // Loop side.
  Batch open_;
  std::uint64_t next_id_ = 1;
  bool scheduled_ = false;
  bool in_flight_ = false;
  // Keeps the loop running while the writer thread has a batch.
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> busy_;
  bool failed_ = false;
  bool need_rewrite_ = false;
  std::string last_error_;
  std::uint64_t file_bytes_ = 0;
  std::uint64_t live_bytes_ = 0;  // size of the last snapshot
  std::uint64_t batches_done_ = 0;
  std::uint64_t compactions_ = 0;
  Histogram sync_latency_{Histogram::latency_bounds()};
  std::vector<std::function<void()>> idle_waiters_;

  // Shared with the writer thread.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<Batch> job_;
  bool quit_ = false;
  int fd_ = -1;  // writer thread only, after construction
  std::thread thread_;
};

}  // namespace pairgate::dhcp
