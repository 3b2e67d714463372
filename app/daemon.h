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

#include "app/background_load.h"
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

  // firewall, sysctl, tunnel, vrrp, peer, dhcp, http: the firewall guards before
  // forwarding is switched on and before anything listens; tunnels come up before VRRP so tracking sees their first state;
  // DHCP serves last, the peer channel stops after it, and the HTTP endpoint shows them all (and stops first).
  static std::vector<std::unique_ptr<Module>> standard_modules(ModuleContext ctx);

  // `config` is the validated content of options.config_path.
  Daemon(boost::asio::io_context& io, Options options, conf::Config config);
  ~Daemon();

  // Starts the modules and the control socket, then tells systemd READY.
  // Throws std::runtime_error when the daemon cannot run; stop() and run()
  // then undo what did start (the modules started so far stop, in reverse).
  void start();

  // Runs the loop until the daemon has stopped; returns the exit status.
  // An exception that escapes a handler (a bug, or std::bad_alloc) does not
  // end the process: it is logged, the orderly stop runs on the same loop
  // (masters resign with priority 0 and drop their addresses, tables and
  // links go, each module within stop_deadline), and run returns 2.
  // Otherwise 0.
  int run();

  struct ReloadResult {
    bool ok = false;
    std::vector<conf::Diagnostic> errors;  // at most conf::kMaxErrors
    std::size_t error_count = 0;           // every error: errors.size() or more
    std::string summary;                   // what changed, when ok
  };
  // Re-reads and validates the file off the loop, then applies what changed
  // on the loop and calls done(result) there (never inside reload). On any
  // error the running configuration stays. One reload runs at a time: the
  // requests that come while one runs are served together by one more reload
  // after it, so each sees the file as it was when it asked.
  void reload(std::function<void(ReloadResult)> done);

  // Graceful stop: each started module in reverse order, each within
  // stop_deadline; then the control socket goes and the io_context is stopped.
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
  void begin_reload();
  void end_reload(conf::LoadResult loaded);
  ReloadResult apply_reload(conf::LoadResult loaded);
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
  std::size_t started_modules_ = 0;                // modules_[0, n) were asked to start
  std::unique_ptr<ControlServer> control_;
  SystemdNotifier systemd_;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer stop_timer_;
  bool stopping_ = false;
  BackgroundLoad loader_;
  std::vector<std::function<void(ReloadResult)>> reload_waiting_;  // served by the running reload
  std::vector<std::function<void(ReloadResult)>> reload_next_;     // served by the one after it
  std::uint64_t reloads_ = 0;
  std::uint64_t reload_failures_ = 0;
  std::string last_reload_error_;
};

}  // namespace pairgate
