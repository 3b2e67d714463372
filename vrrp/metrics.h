// VRRP's metrics under the names operators' keepalived dashboards and alerts
// already use (keepalived-exporter: keepalived_vrrp_state{iname,intf,vrid},
// keepalived_advertisements_received_total, ...), and pairgate_vrrp_* for
// what keepalived does not count. Pure: the service hands in what its
// status() shows, so both report one set of numbers.
#pragma once

#include <cstdint>
#include <string>

#include "core/metrics.h"
#include "vrrp/engine.h"

namespace pairgate::vrrp {

class Notifier;

struct InstanceMetrics {
  std::string name;
  std::string interface;
  unsigned vrid = 0;
  State state = State::initialize;
  unsigned priority = 0;            // configured
  unsigned effective_priority = 0;  // after tracking
  Counters counters;                // drops include the interface's share, as status shows
  std::uint64_t garp_sent = 0;
  std::uint64_t addresses_restored = 0;
};

// keepalived's state numbers, as keepalived-exporter reports them:
// INIT 0, BACKUP 1, MASTER 2, FAULT 3.
int keepalived_state(State s);

void add_instance_metrics(MetricSet& out, const InstanceMetrics& m);
// Adverts for a VRID no instance has, on any interface.
void add_interface_metrics(MetricSet& out, std::uint64_t unknown_vrid);
void add_notify_metrics(MetricSet& out, const Notifier& n);

}  // namespace pairgate::vrrp
