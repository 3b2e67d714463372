// Tells the outside world about state changes, as keepalived's notify
// scripts and smtp_alert do: the configured programs run with (instance,
// old state, new state) as arguments, and a mail goes to notify.email.
// Neither ever blocks the event loop; failures are logged and counted.
#pragma once

#include <memory>
#include <string>

#include "conf/config.h"
#include "core/process.h"
#include "core/smtp.h"
#include "vrrp/engine.h"

namespace pairgate::vrrp {

class Notifier {
 public:
  Notifier(boost::asio::io_context& io, std::string node);
  void configure(const conf::Notify& notify);
  void state_changed(const std::string& instance, State from, State to, const std::string& reason);

  std::uint64_t exec_started() const { return exec_started_; }
  std::uint64_t exec_failed() const { return exec_failed_; }
  std::uint64_t mail_sent() const { return smtp_ ? smtp_->sent() : 0; }
  std::uint64_t mail_failed() const { return smtp_ ? smtp_->failed() : 0; }

  // keepalived's subject and body for `to`.
  static MailMessage alert(const std::string& node, const conf::Email& email, const std::string& instance,
                           State to, const std::string& reason);

 private:
  boost::asio::io_context& io_;
  std::string node_;
  conf::Notify config_;
  ProcessRunner runner_;
  std::unique_ptr<SmtpClient> smtp_;
  std::uint64_t exec_started_ = 0;
  std::uint64_t exec_failed_ = 0;
};

}  // namespace pairgate::vrrp
