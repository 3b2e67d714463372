// The registries a ModuleContext refers to, owned by a test.
#pragma once

#include "core/commands.h"
#include "core/events.h"
#include "core/metrics.h"
#include "core/module.h"

namespace pairgate::testing {

struct Registries {
  CommandRegistry commands;
  MetricsRegistry metrics;
  EventBus events;
  ModuleContext context(boost::asio::io_context& io, Netlink& netlink) {
    return ModuleContext{io, netlink, commands, metrics, events};
  }
};

}  // namespace pairgate::testing
