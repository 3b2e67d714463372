// What every module (vrrp, dhcp, tunnel, firewall) offers the daemon.
#pragma once

#include <boost/asio/io_context.hpp>
#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string_view>

namespace pairgate {

namespace conf {
struct Config;
struct ConfigDiff;
}  // namespace conf

class Netlink;
class CommandRegistry;
class MetricsRegistry;
class EventBus;

// What a module may use; owned by the daemon and outliving every module.
// A module registers its control commands and its metrics collector here
// (and removes them when it is destroyed), and publishes its state changes
// on the event bus; it never looks for another module. Facts that pass
// between two modules (tunnel health for VRRP) are plain types in core/,
// bound producer to consumer in app/daemon.cc.
struct ModuleContext {
  boost::asio::io_context& io;
  Netlink& netlink;
  CommandRegistry& commands;
  MetricsRegistry& metrics;
  EventBus& events;
};

class Module {
 public:
  virtual ~Module() = default;

  virtual std::string_view name() const = 0;

  // Called once with the first configuration. Throws std::runtime_error for a
  // failure that must keep the daemon from starting.
  virtual void start(const conf::Config& config) = 0;

  // A validated configuration replaced the running one; `diff` says what
  // changed. Must keep unchanged parts running as they are.
  virtual void reload(const conf::Config& config, const conf::ConfigDiff& diff) = 0;

  // Begin an orderly stop and call done() once finished (it may be called
  // before stop returns). The daemon moves on after its stop deadline even if
  // done() never comes.
  virtual void stop(std::function<void()> done) = 0;

  // Writes this module's section of the status object into `out`.
  virtual void status(nlohmann::json& out) const = 0;
};

}  // namespace pairgate
