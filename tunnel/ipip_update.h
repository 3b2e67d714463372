// type ipip's update URL (conf::Ipip::update_url): the HTTP(S) call that tells
// the provider this router's IPv6 address, made with libcurl on a helper
// thread (never blocking the loop) and its result posted back to the loop;
// when to call is tunnel/update_schedule.h's. The response body is not read
// (only its status), so nothing untrusted is parsed here.
#pragma once

#include <boost/asio/io_context.hpp>
#include <nlohmann/json_fwd.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "conf/config.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "tunnel/update_schedule.h"

namespace pairgate::tunnel {

// The end of one call.
struct UpdateResult {
  bool ok = false;
  long http_status = 0;  // 0: no answer
  std::string error;     // empty when ok
  std::string url;       // as shown (redact_url)
};

// {ipv6} and {ipv4} in `url` replaced by the addresses.
std::string expand_url(std::string_view url, const Ipv6Address& ipv6, std::optional<Ipv4Address> ipv4);
// `url` without a user:password@ part, for logs and status.
std::string redact_url(std::string_view url);

class IpipUpdater {
 public:
  // `report` runs on the loop after each call.
  IpipUpdater(boost::asio::io_context& io, LoopClock& clock, std::string tunnel, const conf::Ipip& config,
              std::optional<Ipv4Address> ipv4, std::function<void(const UpdateResult&)> report);
  // Aborts a call in flight and waits for the thread (a moment: curl checks
  // the abort flag at least once a second).
  ~IpipUpdater();
  IpipUpdater(const IpipUpdater&) = delete;
  IpipUpdater& operator=(const IpipUpdater&) = delete;

  // Tell the provider `local` now (the tunnel came up, or it moved).
  void want(const Ipv6Address& local);
  // No more retries (the tunnel stops or goes away).
  void cancel();

  const UpdateSchedule& schedule() const { return schedule_; }
  void status(nlohmann::json& out) const;
  void metrics(MetricSet& out) const;

 private:
  struct Job {
    std::string url;
    std::string userpwd;
  };
  void start_call();
  void on_done(UpdateResult r);
  void arm();
  void run();

  boost::asio::io_context& io_;
  LoopClock& clock_;
  std::string tunnel_;
  std::string url_;
  std::string userpwd_;
  std::string credentials_error_;
  std::optional<Ipv4Address> ipv4_;
  std::function<void(const UpdateResult&)> report_;
  UpdateSchedule schedule_;
  std::unique_ptr<Timer> timer_;
  std::optional<Ipv6Address> local_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  std::optional<std::chrono::system_clock::time_point> last_attempt_;
  std::optional<std::chrono::system_clock::time_point> last_success_;
  std::optional<UpdateResult> last_;
  std::optional<Ipv6Address> told_;  // the address of the last success

  // The helper thread and its one job slot.
  std::mutex mutex_;
  std::condition_variable wake_;
  std::optional<Job> job_;
  bool quit_ = false;
  std::atomic<bool> abort_{false};
  std::thread thread_;
};

}  // namespace pairgate::tunnel
