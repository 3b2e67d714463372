// pairgated's frame: one io_context, the modules, signals, the control socket.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "conf/config.h"
#include "conf/diagnostics.h"
#include "core/commands.h"
#include "core/control_server.h"
#include "core/events.h"
#include "core/metrics.h"
#include "core/module.h"
#include "core/netlink.h"
#include "core/systemd.h"

namespace pairgate {

class Daemon {
 public:
  // Makes the modules in start order; stop runs in reverse.
  using ModuleFactory = std::function<std::vector<std::unique_ptr<Module>>(ModuleContext)>;

  struct Options {
    std::string config_path;
    std::chrono::milliseconds stop_deadline = std::chrono::seconds(3);  // per module
    ModuleFactory modules;  // empty: standard_modules()
  };

  // firewall, sysctl, tunnel, vrrp, dhcp: the firewall guards before
  // forwarding is switched on and before anything listens; tunnels come up before VRRP so tracking sees their first state;
  // DHCP serves last.
  static std::vector<std::unique_ptr<Module>> standard_modules(ModuleContext ctx);

  // `config` is the validated content of options.config_path.
  Daemon(boost::asio::io_context& io, Options options, conf::Config config);
  ~Daemon();

  // Starts the modules and the control socket, then tells systemd READY.
  // Throws std::runtime_error when the daemon cannot run.
  void start();

  struct ReloadResult {
    bool ok = false;
    std::vector<conf::Diagnostic> errors;
    std::string summary;  // what changed, when ok
  };
  // Re-reads the file; on any error keeps the running configuration.
  ReloadResult reload();

  // Graceful stop: each module in reverse order, each within stop_deadline;
  // then the control socket goes and the io_context is stopped.
  void stop();
  bool stopping() const { return stopping_; }

  nlohmann::json status() const;

  // What modules and the daemon register; the control socket dispatches here.
  CommandRegistry& commands() { return commands_; }
  const MetricsRegistry& metrics() const { return metrics_; }
  EventBus& events() { return events_; }

 private:
  void register_commands();
  void collect(MetricSet& out) const;
  void wait_signals();
  void stop_next(std::size_t remaining);
  void finish_stop();

  boost::asio::io_context& io_;
  Options options_;
  conf::Config config_;
  std::chrono::steady_clock::time_point started_;
  // Declared before the modules, which unregister from them as they go.
  CommandRegistry commands_;
  MetricsRegistry metrics_;
  EventBus events_;
  std::unique_ptr<Netlink> netlink_;
  std::vector<std::unique_ptr<Module>> modules_;  // start order
  std::unique_ptr<ControlServer> control_;
  SystemdNotifier systemd_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer stop_timer_;
  bool stopping_ = false;
  std::uint64_t reloads_ = 0;
  std::uint64_t reload_failures_ = 0;
  std::string last_reload_error_;
};

}  // namespace pairgate
