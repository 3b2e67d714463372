// The tunnels' metrics (pairgate_tunnel_*): state and its reason, probe
// round trips, probes and replies. Pure: the service hands in each tunnel's
// health engine, the same one its status() reads.
#pragma once

#include <cstdint>
#include <string>

#include "core/metrics.h"
#include "tunnel/health.h"
#include "tunnel/map_rule.h"

namespace pairgate::tunnel {

// pairgate_tunnel_state's value: DOWN 0, DEGRADED 1, UP 2 (so `< 2` alerts on trouble).
int state_number(State s);

void add_tunnel_metrics(MetricSet& out, const std::string& name, const HealthEngine& health,
                        std::uint64_t transitions);

// type mape: pairgate_tunnel_map_ports (ports of the CE's port sets) and
// pairgate_tunnel_map_port_sets.
void add_map_metrics(MetricSet& out, const std::string& name, const MapResult& map);

}  // namespace pairgate::tunnel
