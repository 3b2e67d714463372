#include "tunnel/metrics.h"

namespace pairgate::tunnel {

int state_number(State s) {
  switch (s) {
    case State::down: return 0;
    case State::degraded: return 1;
    case State::up: return 2;
  }
  return 0;
}

void add_tunnel_metrics(MetricSet& out, const std::string& name, const HealthEngine& health,
                        std::uint64_t transitions) {
  const Labels l = {{"tunnel", name}};
  const auto& c = health.counters();
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  out.gauge("pairgate_tunnel_state", "Tunnel health: 0 DOWN, 1 DEGRADED, 2 UP.", l, state_number(health.state()));
  // One series per tunnel at a time: the reason changes with the state.
  out.gauge("pairgate_tunnel_state_info", "The tunnel's state and why, as its labels (value 1).",
            {{"tunnel", name}, {"state", std::string(to_string(health.state()))}, {"reason", health.reason()}}, 1);
  if (auto rtt = health.last_rtt_ms()) {
    out.gauge("pairgate_tunnel_probe_rtt_seconds", "Round trip of the last answered probe through the tunnel.", l,
              *rtt / 1000.0);
  }
  if (auto rtt = health.aftr_rtt_ms()) {
    out.gauge("pairgate_tunnel_aftr_rtt_seconds", "Round trip of the last answered probe to the AFTR over the WAN.",
              l, *rtt / 1000.0);
  }
  out.gauge("pairgate_tunnel_failed_rounds", "Probe rounds in a row that no target answered.", l, health.failures());
  out.gauge("pairgate_tunnel_aftr_failed_rounds", "Probe rounds in a row that the AFTR did not answer.", l,
            health.aftr_failures());
  out.counter("pairgate_tunnel_probe_rounds_total", "Probe rounds sent.", l, d(c.rounds));
  out.counter("pairgate_tunnel_probes_sent_total", "Probes sent (targets and AFTR); lost = sent - replies.", l,
              d(c.probes_sent));
  out.counter("pairgate_tunnel_probe_replies_total", "Probe replies in time.", l, d(c.replies));
  out.counter("pairgate_tunnel_probe_late_replies_total", "Probe replies after their round was judged.", l,
              d(c.late_replies));
  out.counter("pairgate_tunnel_transitions_total", "Health state changes.", l, d(transitions));
}

void add_map_metrics(MetricSet& out, const std::string& name, const MapResult& map) {
  const Labels l = {{"tunnel", name}};
  out.gauge("pairgate_tunnel_map_ports", "MAP-E: ports (and ICMP identifiers) in the CE's port sets.", l,
            map.port_count());
  out.gauge("pairgate_tunnel_map_port_sets", "MAP-E: port sets of the CE (RFC 7597 5.1).", l,
            static_cast<double>(map.port_sets.size()));
}

}  // namespace pairgate::tunnel
