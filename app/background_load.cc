#include "app/background_load.h"

#include <pthread.h>
#include <signal.h>

#include <boost/asio/post.hpp>

#include <mutex>
#include <stdexcept>
#include <thread>

#include "core/sched.h"

namespace pairgate {

namespace asio = boost::asio;

struct BackgroundLoad::Channel {
  Channel(BackgroundLoad* o, asio::io_context& i) : owner(o), io(i) {}
  std::mutex mutex;
  BackgroundLoad* owner;  // null once the owner is gone; read and written under mutex
  asio::io_context& io;
};

namespace {

conf::LoadResult failed(const std::string& path, std::string why) {
  conf::LoadResult r;
  r.errors.push_back(conf::Diagnostic{path, 0, 0, std::move(why)});
  r.error_count = 1;
  return r;
}

}  // namespace

BackgroundLoad::BackgroundLoad(asio::io_context& io)
    : channel_(std::make_shared<Channel>(this, io)) {}

BackgroundLoad::~BackgroundLoad() {
  std::lock_guard lock(channel_->mutex);
  channel_->owner = nullptr;
}

void BackgroundLoad::start(std::string path, Done done) {
  if (busy()) throw std::logic_error("BackgroundLoad::start while a load runs");
  done_ = std::move(done);
  // The thread takes no signal: they belong to the loop's signal_set.
  sigset_t all;
  sigset_t old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  try {
    std::thread([path, channel = channel_] {
      leave_realtime();  // a slow parse must not starve the host
      conf::LoadResult result;
      try {
        result = conf::load(path);
      } catch (const std::exception& e) {
        // std::bad_alloc: the limits keep a load to some tens of MiB, so the
        // host is short of memory; the reload fails and the daemon runs on.
        result = failed(path, std::string("cannot load the file: ") + e.what());
      }
      deliver(channel, std::move(result));
    }).detach();
  } catch (const std::exception& e) {
    deliver(channel_, failed(path, std::string("cannot start a thread to load the file: ") + e.what()));
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

void BackgroundLoad::deliver(const std::shared_ptr<Channel>& channel, conf::LoadResult result) {
  // The owner goes away only on the loop's thread, with the mutex held: it
  // is either gone before this post (nothing is posted, and the io_context,
  // which outlives it, is never touched after) or looked at again when the
  // handler runs.
  std::lock_guard lock(channel->mutex);
  if (channel->owner == nullptr) return;
  asio::post(channel->io, [channel, result = std::move(result)]() mutable {
    BackgroundLoad* owner = nullptr;
    {
      std::lock_guard lock(channel->mutex);
      owner = channel->owner;
    }
    if (owner != nullptr) owner->finish(std::move(result));
  });
}

void BackgroundLoad::finish(conf::LoadResult result) {
  Done done = std::move(done_);
  done_ = nullptr;
  done(std::move(result));
}

}  // namespace pairgate
