// Tells the outside world about state changes, as keepalived's notify
// scripts and smtp_alert do: the configured programs run with (instance,
// old state, new state) as arguments, and a mail goes to notify.email.
// Neither ever blocks the event loop; failures are logged and counted.
//
// Programs run one at a time per instance, in the order of the event stream
// (core/events.h): follow() makes the VRRP transitions the bus delivers the
// notifier's input, so `pairgatectl events` and the programs see one order
// (a flapping instance used to start them all at once); at most kQueue wait
// per instance, beyond that the oldest waiting one is dropped (counted,
// logged). At stop, drain() lets what runs and waits finish and the mail
// queue empty; abort() (the stop deadline) kills the programs with their
// process groups and gives up on the rest.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "conf/config.h"
#include "core/events.h"
#include "core/process.h"
#include "core/smtp.h"
#include "vrrp/engine.h"
#include "vrrp/log_limit.h"

namespace pairgate::vrrp {

class Notifier {
 public:
  static constexpr std::size_t kQueue = 64;  // programs waiting per instance
  static constexpr std::chrono::seconds kTimeout{30};  // per program

  // `launcher`: null runs real programs (ProcessRunner).
  Notifier(boost::asio::io_context& io, std::string node, std::unique_ptr<ProcessLauncher> launcher = nullptr);
  ~Notifier();
  void configure(const conf::Notify& notify);
  void state_changed(const std::string& instance, State from, State to, const std::string& reason);
  // Takes every "vrrp" event on `bus` with data {from, to, reason} as a
  // state_changed(subject, from, to, reason), in the bus's order, until the
  // notifier is destroyed. `bus` must outlive the notifier.
  void follow(EventBus& bus);

  // Stop, first stage: `done` comes once no program runs or waits and no
  // mail is being sent (at once if so now). Programs and mail still queued
  // go on meanwhile.
  void drain(std::function<void()> done);
  // Stop, second stage (the deadline passed): SIGKILL to running programs
  // and their process groups, waiting ones dropped, mail given up; drain's
  // `done` comes at once.
  void abort();

  std::uint64_t exec_started() const { return exec_started_; }
  std::uint64_t exec_failed() const { return exec_failed_; }
  std::uint64_t exec_dropped() const { return exec_dropped_; }
  std::size_t exec_running() const { return launcher_->running(); }
  std::size_t exec_waiting() const;
  std::uint64_t mail_sent() const { return smtp_ ? smtp_->sent() : 0; }
  std::uint64_t mail_failed() const { return smtp_ ? smtp_->failed() : 0; }

  // keepalived's subject and body for `to`.
  static MailMessage alert(const std::string& node, const conf::Email& email, const std::string& instance,
                           State to, const std::string& reason);

 private:
  struct Job {
    std::vector<std::string> argv;
    std::string tag;
  };
  struct Lane {  // one instance's programs
    std::deque<Job> waiting;
    bool busy = false;
    LogLimit drop_log;
  };
  void start_next(const std::string& instance);
  void check_drained();

  boost::asio::io_context& io_;
  std::string node_;
  conf::Notify config_;
  std::unique_ptr<ProcessLauncher> launcher_;
  std::unique_ptr<SmtpClient> smtp_;
  std::map<std::string, Lane> lanes_;
  std::function<void()> drained_;
  std::uint64_t exec_started_ = 0;
  std::uint64_t exec_failed_ = 0;
  std::uint64_t exec_dropped_ = 0;
  EventBus* bus_ = nullptr;
  EventBus::SubscriptionId subscription_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace pairgate::vrrp
