#include "vrrp/notify.h"

#include <sstream>

namespace pairgate::vrrp {

Notifier::Notifier(boost::asio::io_context& io, std::string node) : io_(io), node_(std::move(node)), runner_(io) {}

void Notifier::configure(const conf::Notify& notify) {
  const bool mail_changed = !(notify.email == config_.email);
  config_ = notify;
  if (mail_changed) {
    smtp_.reset();
    if (config_.email) {
      smtp_ = std::make_unique<SmtpClient>(io_, config_.email->server_host, config_.email->server_port,
                                           config_.email->timeout, node_);
    }
  }
}

MailMessage Notifier::alert(const std::string& node, const conf::Email& email, const std::string& instance, State to,
                            const std::string& reason) {
  MailMessage m;
  m.from = email.from;
  m.to = email.to;
  m.subject = "[" + node + "] VRRP Instance " + instance + " - Entering " + std::string(to_string(to)) + " state";
  switch (to) {
    case State::master: m.body = "=> VRRP Instance is now owning VRRP VIPs <=\n"; break;
    case State::backup: m.body = "=> VRRP Instance is nolonger owning VRRP VIPs <=\n"; break;
    case State::fault: m.body = "=> VRRP Instance is in FAULT state <=\n"; break;
    case State::initialize: m.body = "=> VRRP Instance stopped <=\n"; break;
  }
  m.body += "\nreason: " + reason + "\n";
  return m;
}

void Notifier::state_changed(const std::string& instance, State from, State to, const std::string& reason) {
  for (const auto& command : config_.exec) {
    std::vector<std::string> argv;
    std::istringstream words(command);
    for (std::string w; words >> w;) argv.push_back(w);
    argv.push_back(instance);
    argv.emplace_back(to_string(from));
    argv.emplace_back(to_string(to));
    ++exec_started_;
    runner_.run(std::move(argv), "notify " + command, std::chrono::seconds(30), [this](const ProcessResult& r) {
      if (!r.error.empty() || r.exit_code != 0) ++exec_failed_;
    });
  }
  if (smtp_ && config_.email) smtp_->send(alert(node_, *config_.email, instance, to, reason));
}

}  // namespace pairgate::vrrp
