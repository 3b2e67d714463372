#include "vrrp/notify.h"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <sstream>
#include <utility>

namespace pairgate::vrrp {

Notifier::Notifier(boost::asio::io_context& io, std::string node, std::unique_ptr<ProcessLauncher> launcher)
    : io_(io), node_(std::move(node)), launcher_(launcher ? std::move(launcher) : std::make_unique<ProcessRunner>(io)) {}

Notifier::~Notifier() {
  *alive_ = false;
  if (bus_) bus_->unsubscribe(subscription_);
}

namespace {

std::optional<State> state_named(const nlohmann::json& data, const char* key) {
  auto it = data.find(key);
  if (it == data.end() || !it->is_string()) return std::nullopt;
  for (State s : {State::initialize, State::backup, State::master, State::fault}) {
    if (to_string(s) == it->get_ref<const std::string&>()) return s;
  }
  return std::nullopt;
}

}  // namespace

void Notifier::follow(EventBus& bus) {
  if (bus_) bus_->unsubscribe(subscription_);
  bus_ = &bus;
  subscription_ = bus.subscribe([this](const Event& e) {
    if (e.kind != "vrrp") return;
    auto from = state_named(e.data, "from");
    auto to = state_named(e.data, "to");
    if (!from || !to) return;
    state_changed(e.subject, *from, *to, e.data.value("reason", std::string()));
  });
}

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
  if (!config_.exec.empty()) {
    Lane& lane = lanes_[instance];
    for (const auto& command : config_.exec) {
      Job job;
      std::istringstream words(command);
      for (std::string w; words >> w;) job.argv.push_back(w);
      job.argv.push_back(instance);
      job.argv.emplace_back(to_string(from));
      job.argv.emplace_back(to_string(to));
      job.tag = "notify " + command;
      if (lane.waiting.size() >= kQueue) {
        // The newest transitions matter most: drop the oldest waiting.
        ++exec_dropped_;
        if (auto held = lane.drop_log.admit(LogLimit::Clock::now())) {
          spdlog::warn("({}) notify: {} programs wait already; dropped \"{}\"{}", instance, kQueue,
                       lane.waiting.front().tag + " " + lane.waiting.front().argv.back(),
                       *held ? " (" + std::to_string(*held) + " more since the last report)" : std::string());
        }
        lane.waiting.pop_front();
      }
      lane.waiting.push_back(std::move(job));
    }
    start_next(instance);
  }
  if (smtp_ && config_.email) smtp_->send(alert(node_, *config_.email, instance, to, reason));
}

void Notifier::start_next(const std::string& instance) {
  auto it = lanes_.find(instance);
  if (it == lanes_.end()) return;
  Lane& lane = it->second;
  if (lane.busy) return;
  if (lane.waiting.empty()) {
    lanes_.erase(it);
    check_drained();
    return;
  }
  Job job = std::move(lane.waiting.front());
  lane.waiting.pop_front();
  lane.busy = true;
  ++exec_started_;
  launcher_->run(std::move(job.argv), std::move(job.tag), kTimeout,
                 [this, alive = alive_, instance](const ProcessResult& r) {
                   if (!*alive) return;
                   if (!r.error.empty() || r.exit_code != 0) ++exec_failed_;
                   // The next one from the loop, never inside run() itself.
                   boost::asio::post(io_, [this, alive, instance] {
                     if (!*alive) return;
                     if (auto l = lanes_.find(instance); l != lanes_.end()) l->second.busy = false;
                     start_next(instance);
                   });
                 });
}

std::size_t Notifier::exec_waiting() const {
  std::size_t n = 0;
  for (const auto& [name, lane] : lanes_) n += lane.waiting.size();
  return n;
}

void Notifier::drain(std::function<void()> done) {
  drained_ = std::move(done);
  check_drained();
}

void Notifier::check_drained() {
  if (!drained_ || !lanes_.empty()) return;
  if (smtp_ && !smtp_->idle()) {
    smtp_->when_idle([this, alive = alive_] {
      if (*alive) check_drained();
    });
    return;
  }
  std::exchange(drained_, nullptr)();
}

void Notifier::abort() {
  std::size_t dropped = 0;
  for (auto& [name, lane] : lanes_) {
    dropped += lane.waiting.size();
    lane.waiting.clear();
  }
  exec_dropped_ += dropped;
  const std::size_t running = launcher_->running();
  if (running > 0 || dropped > 0) {
    spdlog::warn("notify: stopping: killed {} running program(s), dropped {} waiting", running, dropped);
  }
  launcher_->kill_all();
  if (smtp_) smtp_->abort();
  lanes_.clear();
  if (drained_) std::exchange(drained_, nullptr)();
}

}  // namespace pairgate::vrrp
