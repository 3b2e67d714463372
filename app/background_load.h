// Loading the configuration off the event loop, for reloads.
//
// conf::load reads and parses at most conf::kMaxFileBytes, but a file on a
// slow or hung filesystem can still take any time, and parsing the largest
// accepted file takes a good part of a second: long enough to miss a VRRP
// advert. So each load runs on a thread of its own, which touches nothing but
// the file and its own result, and hands the result back on the loop.
#pragma once

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

#include "conf/parser.h"

namespace pairgate {

class BackgroundLoad {
 public:
  using Done = std::function<void(conf::LoadResult)>;

  explicit BackgroundLoad(boost::asio::io_context& io);
  // A load still running is abandoned: its thread ends on its own and its
  // result is dropped; `done` is not called.
  ~BackgroundLoad();
  BackgroundLoad(const BackgroundLoad&) = delete;
  BackgroundLoad& operator=(const BackgroundLoad&) = delete;

  // Starts conf::load(path) on a new thread; `done` runs later on the loop
  // with its result (never inside start). One load at a time: precondition
  // !busy(). A thread that cannot be made, or a load that throws (memory),
  // gives a result with one error.
  void start(std::string path, Done done);
  bool busy() const { return done_ != nullptr; }

 private:
  // Shared with the threads: the io_context and whether anyone still listens.
  struct Channel;
  // From any thread: hands `result` to the owner on the loop, if it still
  // listens then.
  static void deliver(const std::shared_ptr<Channel>& channel, conf::LoadResult result);
  void finish(conf::LoadResult result);

  std::shared_ptr<Channel> channel_;
  Done done_;
};

}  // namespace pairgate
