#include "app/daemon.h"

#include <grp.h>

#include <csignal>
#include <iterator>
#include <spdlog/spdlog.h>

#include "conf/diff.h"
#include "app/events_command.h"
#include "conf/parser.h"
#include "core/logging.h"
#include "core/sched.h"
#include "ctsync/service.h"
#include "dhcp/service.h"
#include "firewall/service.h"
#include "firewall/sysctl.h"
#include "peer/pair_view.h"
#include "peer/service.h"
#include "http/service.h"
#include "tunnel/service.h"
#include "vrrp/service.h"

namespace pairgate {

namespace asio = boost::asio;

namespace {

log::Level to_log(conf::LogLevel l) { return static_cast<log::Level>(static_cast<int>(l)); }
log::Target to_log(conf::LogTarget t) { return static_cast<log::Target>(static_cast<int>(t)); }

// The control protocol's answer to a reload: what changed, or the errors.
void answer_reload(CommandReply& reply, const Daemon::ReloadResult& r) {
  if (r.ok) {
    reply.ok({{"changed", r.summary}});
    return;
  }
  auto details = nlohmann::json::array();
  for (const auto& d : r.errors) details.push_back(conf::headline(d));
  if (r.error_count > r.errors.size()) {
    details.push_back("... and " + std::to_string(r.error_count - r.errors.size()) + " more not shown");
  }
  reply.error("the configuration has errors; the running one stays in force", control::code::invalid_config,
              details);
}

// Runs f; an exception from it is logged, not thrown: a step of the orderly
// stop must not keep the next ones from running.
template <class F>
void guarded(std::string_view what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    spdlog::error("{} failed: {}", what, e.what());
  } catch (...) {
    spdlog::error("{} failed", what);
  }
}

// Exceptions that may escape the loop during one orderly stop before run()
// gives up on it; the first few are logged.
constexpr std::size_t kMaxAborts = 1000;
constexpr std::size_t kLoggedAborts = 10;

}  // namespace

Daemon::Daemon(asio::io_context& io, Options options, conf::Config config)
    : io_(io),
      options_(std::move(options)),
      config_(std::move(config)),
      started_(std::chrono::steady_clock::now()),
      systemd_(io),
      signals_(io, SIGHUP, SIGTERM, SIGINT),
      stop_timer_(io),
      loader_(io) {}

Daemon::~Daemon() = default;

void Daemon::start() {
  log::setup(to_log(config_.logging.level), to_log(config_.logging.target));
  spdlog::info("pairgated starting: node {}, configuration {}, loop at {}", config_.node, options_.config_path,
               scheduling_of_this_thread());
  wait_signals();

  netlink_ = make_libnl_netlink(io_);
  register_commands();
  metrics_.add([this](MetricSet& out) { collect(out); });
  ModuleContext ctx{io_, *netlink_, commands_, metrics_, events_};
  modules_ = options_.modules ? options_.modules(ctx) : standard_modules(ctx);

  ControlServer::Options copts;
  copts.path = config_.control.socket;
  copts.mode = config_.control.mode;
  if (!config_.control.group.empty()) {
    const group* g = ::getgrnam(config_.control.group.c_str());
    if (g == nullptr) throw std::runtime_error("control.group: no group named '" + config_.control.group + "'");
    copts.group = g->gr_gid;
  }
  control_ = std::make_unique<ControlServer>(
      io_, copts, [this](const control::Request& r, const PeerCredentials& p, ReplyPtr reply) {
        commands_.dispatch(r, p, reply);
      });
  // The socket first: a second daemon must fail before touching anything.
  control_->open();

  for (auto& m : modules_) {
    ++started_modules_;  // counted first: a module that throws may have half started
    m->start(config_);
  }
  systemd_.ready();
  systemd_.start_watchdog();
  spdlog::info("pairgated ready: control socket {}", config_.control.socket);
}

std::vector<std::unique_ptr<Module>> Daemon::standard_modules(ModuleContext ctx) {
  std::vector<std::unique_ptr<Module>> out;
  // The firewall first: forwarding is switched on only once the table
  // guards it.
  out.push_back(std::make_unique<firewall::Service>(ctx));
  out.push_back(std::make_unique<firewall::SysctlService>(ctx));
  // Tunnels before VRRP, which tracks their health from its first moment:
  // the daemon binds the tunnels' health (producer) to VRRP (consumer).
  auto tunnels = std::make_unique<tunnel::Service>(ctx);
  TunnelHealthSource* health = tunnels.get();
  out.push_back(std::move(tunnels));
  out.push_back(std::make_unique<vrrp::Service>(ctx, health));
  // The peer channel before DHCP, so that it stops after DHCP's last lease
  // batch: the daemon binds DHCP's durable lease changes (producer) and its
  // store (consumer of the peer's) to lease sync.
  auto dhcp = std::make_unique<dhcp::Service>(ctx);
  auto peer = std::make_unique<peer::Service>(ctx, dhcp.get(), dhcp.get());
  // The pair view (each router's status to the other: peer-status, the
  // status page) uses the channel: it goes before it in the list, so that
  // it is destroyed first and detaches from a channel that still exists.
  out.push_back(std::make_unique<PairView>(ctx.io, ctx.commands, *peer));
  // Conntrack state sync uses the channel too (and follows VRRP through the
  // event bus): before it in the list for the same reason.
  out.push_back(std::make_unique<ctsync::Service>(ctx, *peer));
  out.push_back(std::move(peer));
  out.push_back(std::move(dhcp));
  // Last: it shows what the others do, and stops first.
  out.push_back(std::make_unique<http::Service>(ctx));
  return out;
}

void Daemon::wait_signals() {
  signals_.async_wait([this](boost::system::error_code ec, int signo) {
    if (ec) return;
    if (signo == SIGHUP) {
      reload(nullptr);  // apply_reload logs the outcome
    } else {
      spdlog::info("received {}, stopping", signo == SIGTERM ? "SIGTERM" : "SIGINT");
      stop();
    }
    if (!stopping_) wait_signals();
  });
}

int Daemon::run() {
  int status = 0;
  for (std::size_t aborts = 0;;) {
    try {
      io_.run();
      return status;
    } catch (const std::exception& e) {
      if (aborts < kLoggedAborts) spdlog::critical("event loop aborted: {}; stopping in order", e.what());
    } catch (...) {
      if (aborts < kLoggedAborts) spdlog::critical("event loop aborted by an unknown exception; stopping in order");
    }
    // A bug, not an input: exit non-zero for systemd, but only after the
    // modules have resigned and cleaned up.
    status = 2;
    if (++aborts > kMaxAborts) {
      spdlog::critical("{} exceptions during the stop; exiting without finishing it", aborts);
      return status;
    }
    guarded("stop", [this] { stop(); });
  }
}

void Daemon::reload(std::function<void(ReloadResult)> done) {
  if (stopping_) {
    ReloadResult r;
    r.errors.push_back({options_.config_path, 0, 0, "the daemon is stopping"});
    r.error_count = 1;
    if (done) asio::post(io_, [done = std::move(done), r = std::move(r)] { done(r); });
    return;
  }
  if (loader_.busy()) {
    spdlog::info("reload requested while one runs; one more follows it");
    reload_next_.push_back(std::move(done));
    return;
  }
  reload_waiting_.push_back(std::move(done));
  begin_reload();
}

void Daemon::begin_reload() {
  systemd_.reloading();
  spdlog::info("reloading {}", options_.config_path);
  // Read and parsed on a thread of its own: a slow file must not hold up
  // adverts. What changed is applied here, on the loop.
  loader_.start(options_.config_path, [this](conf::LoadResult loaded) { end_reload(std::move(loaded)); });
}

void Daemon::end_reload(conf::LoadResult loaded) {
  auto waiting = std::move(reload_waiting_);
  reload_waiting_.clear();
  ReloadResult result;
  if (stopping_) {
    result.errors.push_back({options_.config_path, 0, 0, "the daemon is stopping"});
    result.error_count = 1;
    // No reload after this one: its requests get the same answer.
    waiting.insert(waiting.end(), std::make_move_iterator(reload_next_.begin()),
                   std::make_move_iterator(reload_next_.end()));
    reload_next_.clear();
  } else {
    result = apply_reload(std::move(loaded));
  }
  if (!reload_next_.empty()) {
    reload_waiting_ = std::move(reload_next_);
    reload_next_.clear();
    begin_reload();
  }
  for (auto& done : waiting) {
    if (done) done(result);
  }
}

Daemon::ReloadResult Daemon::apply_reload(conf::LoadResult loaded) {
  ReloadResult result;
  if (!loaded.config) {
    ++reload_failures_;
    for (const auto& d : loaded.errors) spdlog::error("{}", conf::headline(d));
    if (auto more = loaded.more(); !more.empty()) spdlog::error("{}", more);
    last_reload_error_ = loaded.summary(options_.config_path);
    spdlog::error("reload rejected: {}; the running configuration stays in force", last_reload_error_);
    events_.publish("reload", options_.config_path, "reload rejected: " + last_reload_error_,
                    {{"ok", false}, {"errors", loaded.error_count}});
    result.errors = std::move(loaded.errors);
    result.error_count = loaded.error_count;
    systemd_.ready();
    return result;
  }
  last_reload_error_.clear();
  conf::ConfigDiff d = conf::diff(config_, *loaded.config);
  if (d.node) spdlog::warn("node changed from {} to {}", config_.node, loaded.config->node);
  if (d.control) spdlog::warn("control section changed: the socket keeps its path, mode and group until restart");
  if (d.logging) log::setup(to_log(loaded.config->logging.level), to_log(loaded.config->logging.target));
  // The socket stays as it was bound; keep the running control section.
  loaded.config->control = config_.control;
  config_ = std::move(*loaded.config);
  if (!d.empty()) {
    for (std::size_t i = 0; i < started_modules_; ++i) {
      Module& m = *modules_[i];
      // One module's failure must not leave the others on the old file.
      try {
        m.reload(config_, d);
      } catch (const std::exception& e) {
        spdlog::error("{}: reload failed: {}", m.name(), e.what());
        last_reload_error_ = std::string(m.name()) + ": " + e.what();
      }
    }
  }
  ++reloads_;
  result.ok = true;
  result.summary = d.summary();
  spdlog::info("reloaded: {}", result.summary);
  events_.publish("reload", options_.config_path, "reloaded: " + result.summary,
                  {{"ok", true}, {"changed", result.summary}});
  systemd_.ready();
  return result;
}

void Daemon::stop() {
  if (stopping_) return;
  stopping_ = true;
  guarded("systemd STOPPING", [this] {
    systemd_.stopping();
    systemd_.stop_watchdog();
  });
  boost::system::error_code ignored;
  signals_.cancel(ignored);
  if (control_) guarded("closing the control socket", [this] { control_->close(); });
  stop_next(started_modules_);
}

void Daemon::stop_next(std::size_t remaining) {
  if (remaining == 0) {
    finish_stop();
    return;
  }
  Module& m = *modules_[remaining - 1];
  auto done = std::make_shared<bool>(false);
  stop_timer_.expires_after(options_.stop_deadline);
  stop_timer_.async_wait([this, done, remaining, name = std::string(m.name())](boost::system::error_code ec) {
    if (ec || *done) return;
    *done = true;
    spdlog::warn("{}: did not stop within {} ms; going on", name, options_.stop_deadline.count());
    stop_next(remaining - 1);
  });
  auto next = [this, done, remaining] {
    if (*done) return;
    *done = true;
    stop_timer_.cancel();
    // Never recurse inside a module's own call stack.
    asio::post(io_, [this, remaining] { stop_next(remaining - 1); });
  };
  try {
    m.stop(next);
  } catch (const std::exception& e) {
    spdlog::error("{}: stop failed: {}; going on", m.name(), e.what());
    next();
  } catch (...) {
    spdlog::error("{}: stop failed; going on", m.name());
    next();
  }
}

void Daemon::finish_stop() {
  spdlog::info("pairgated stopped");
  // Modules hold subscriptions on netlink: they go first.
  started_modules_ = 0;
  modules_.clear();
  netlink_.reset();
  io_.stop();
}

nlohmann::json Daemon::status() const {
  using namespace std::chrono;
  nlohmann::json out;
  out["node"] = config_.node;
  out["uptime_s"] = duration<double>(steady_clock::now() - started_).count();
  out["config"] = options_.config_path;
  out["scheduling"] = scheduling_of_this_thread();
  for (const auto& m : modules_) m->status(out);
  for (const char* key : {"vrrp", "tunnels"}) {
    if (!out.contains(key)) out[key] = nlohmann::json::array();
  }
  const auto& c = control_ ? control_->counters() : ControlCounters{};
  out["control"] = {{"socket", config_.control.socket},
                    {"clients", control_ ? control_->clients() : 0},
                    {"connections", c.connections},
                    {"requests", c.requests},
                    {"bad_requests", c.bad_requests + commands_.counters().unknown},
                    {"denied", commands_.counters().denied},
                    {"cut_slow", c.cut_slow},
                    {"rejected_busy", c.rejected_busy},
                    {"timeouts", c.timeouts}};
  out["reload"] = {{"count", reloads_}, {"failures", reload_failures_}};
  if (!last_reload_error_.empty()) out["reload"]["last_error"] = last_reload_error_;
  return out;
}

void Daemon::register_commands() {
  add_events_command(commands_, events_, make_boot_id());
  commands_.add({.name = "status",
                 .summary = "the state of every module",
                 .run = [this](const nlohmann::json&, const PeerCredentials&) { return status(); }});
  commands_.add({.name = "reload",
                 .summary = "re-read the configuration (root only)",
                 .root_only = true,
                 .run_async = [this](const nlohmann::json&, const PeerCredentials&, ReplyPtr reply) {
                   // Answers when the reload is done: the file is read off
                   // the loop, which serves other clients meanwhile.
                   reload([reply](ReloadResult r) { answer_reload(*reply, r); });
                 }});
}

void Daemon::collect(MetricSet& out) const {
  using namespace std::chrono;
  out.gauge("pairgate_uptime_seconds", "Seconds since pairgated started.", {},
            duration<double>(steady_clock::now() - started_).count());
  out.counter("pairgate_reloads_total", "Configuration reloads that were applied.", {}, static_cast<double>(reloads_));
  out.counter("pairgate_reload_failures_total", "Reloads refused because the file had errors.", {},
              static_cast<double>(reload_failures_));
  const auto& c = control_ ? control_->counters() : ControlCounters{};
  out.counter("pairgate_control_requests_total", "Requests on the control socket.", {}, static_cast<double>(c.requests));
  out.counter("pairgate_control_denied_total", "Control commands refused for lack of privilege.", {},
              static_cast<double>(commands_.counters().denied));
  out.counter("pairgate_control_cut_slow_total",
              "Control clients cut loose for not reading (an events follower 1 MiB behind).", {},
              static_cast<double>(c.cut_slow));
  out.counter("pairgate_events_total", "State changes published on the event stream.", {},
              static_cast<double>(events_.last_seq()));
  out.gauge("pairgate_events_followers", "Listeners on the event stream (pairgatectl events, notify).", {},
            static_cast<double>(events_.listeners()));
}

}  // namespace pairgate
