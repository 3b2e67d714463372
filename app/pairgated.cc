// pairgated: the router-pair daemon. See SPEC.md for the contract.
#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/spdlog.h>

#include <signal.h>

#include <csignal>
#include <iostream>

#include "app/daemon.h"
#include "conf/parser.h"
#include "conf/mape_check.h"
#include "conf/print.h"
#include "conf/shared_b4.h"
#include "core/logging.h"
#include "firewall/render.h"

int main(int argc, char** argv) {
  CLI::App app{"pairgated: VRRP, DHCPv4, IPoE tunnel and firewall for a redundant router pair"};
  std::string config_path = "/etc/pairgate/pairgate.yaml";
  bool check = false;
  bool print_firewall = false;
  bool print_config = false;
  app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
  app.add_flag("--check", check, "validate the configuration and exit (0 valid, 1 errors on stderr)");
  app.add_flag("--print-firewall", print_firewall, "print the nftables table the configuration gives and exit");
  app.add_flag("--print-config", print_config,
               "print the loaded configuration with every default filled in and exit");
  app.set_version_flag("--version", "pairgated 0.1.0");
  CLI11_PARSE(app, argc, argv);

  // Only the daemon blocks the stop signals: its loop takes them through a
  // signal_set. --check and the --print-* options keep the default actions,
  // so SIGTERM ends them at any moment.
  const bool daemon_mode = !check && !print_firewall && !print_config;
  sigset_t loop_signals;
  sigemptyset(&loop_signals);
  for (int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&loop_signals, s);
  if (daemon_mode) {
    // Signals that arrive before the event loop's signal_set exists stay
    // pending instead of being lost (or, for a background job's ignored
    // SIGINT, dropped): they are unblocked once the handlers are installed.
    sigprocmask(SIG_BLOCK, &loop_signals, nullptr);
  }

  auto loaded = pairgate::conf::load(config_path);
  if (!loaded.config) {
    std::cerr << loaded.report();
    std::cerr << loaded.summary(config_path) << "\n";
    return 1;
  }
  if (print_config) {
    std::cout << pairgate::conf::print(*loaded.config);
    return 0;
  }
  if (print_firewall) {
    if (!loaded.config->firewall) {
      std::cerr << config_path << ": no firewall section\n";
      return 1;
    }
    // A mape tunnel with a static prefix: its NAT as the daemon will render it.
    std::vector<pairgate::firewall::MapNat> maps;
    for (const auto& t : loaded.config->tunnels) {
      if (!t.mape || !t.mape->prefix) continue;
      if (auto m = pairgate::tunnel::map(t.mape->domain(), *t.mape->prefix)) {
        maps.push_back({t.name, m->ipv4.address().v4(), m->port_sets});
      }
    }
    std::cout << pairgate::firewall::render_table(*loaded.config, maps);
    return 0;
  }
  if (check) {
    std::cout << config_path << ": OK\n";
    for (const auto& t : loaded.config->tunnels) {
      if (auto s = pairgate::conf::shared_b4(*loaded.config, t)) std::cout << pairgate::conf::describe(t, *s) << "\n";
      if (t.mape) std::cout << pairgate::conf::describe_mape(t) << "\n";
    }
    return 0;
  }

  std::signal(SIGPIPE, SIG_IGN);
  boost::asio::io_context io(1);
  pairgate::Daemon::Options options;
  options.config_path = config_path;
  pairgate::Daemon daemon(io, options, std::move(*loaded.config));
  sigprocmask(SIG_UNBLOCK, &loop_signals, nullptr);
  try {
    daemon.start();
  } catch (const std::exception& e) {
    spdlog::critical("cannot start: {}", e.what());
    // Undo what the modules that did start have done (addresses, tables).
    daemon.stop();
    daemon.run();
    return 1;
  }
  // 0 after SIGTERM or SIGINT; 2 when a bug ended the loop (after the
  // orderly stop all the same).
  return daemon.run();
}
