#include "dhcp/metrics.h"

#include <map>

namespace pairgate::dhcp {

namespace {

double d(std::uint64_t v) { return static_cast<double>(v); }

}  // namespace

void add_dhcp_metrics(MetricSet& out, const DhcpMetrics& m) {
  // Kea's statistics are gauges that only grow (Stork exports them so); the
  // ones that count events are counters here, the address counts untyped
  // (they go down, yet their established names end in _total).
  if (m.counters) {
    const Counters& c = *m.counters;
    std::uint64_t dropped = 0;
    for (auto n : c.drops) dropped += n;
    const char* kRx = "DHCPv4 packets received, by message type (Kea's pkt4-*-received).";
    auto rx = [&](const char* op, std::uint64_t v) {
      out.counter("kea_dhcp4_packets_received_total", kRx, {{"operation", op}}, d(v));
    };
    rx("discover", c.discover);
    rx("request", c.request);
    rx("decline", c.decline);
    rx("release", c.release);
    rx("inform", c.inform);
    rx("drop", dropped);  // pkt4-receive-drop: every reason
    rx("parse-failed", c.drops[static_cast<std::size_t>(Drop::parse_error)]);
    const char* kTx = "DHCPv4 packets sent, by message type (Kea's pkt4-*-sent).";
    out.counter("kea_dhcp4_packets_sent_total", kTx, {{"operation", "offer"}}, d(c.offer_sent));
    out.counter("kea_dhcp4_packets_sent_total", kTx, {{"operation", "ack"}}, d(c.ack_sent));
    out.counter("kea_dhcp4_packets_sent_total", kTx, {{"operation", "nak"}}, d(c.nak_sent));
    out.counter("kea_dhcp4_addresses_declined_total", "Addresses declined by clients (Kea's declined-addresses).", {},
                d(c.declined_addresses));
    out.counter("kea_dhcp4_addresses_reclaimed_total", "Expired leases reclaimed (Kea's reclaimed-leases).", {},
                d(c.reclaimed));
    out.counter("kea_dhcp4_addresses_declined_reclaimed_total",
                "Declined addresses back in use after quarantine (Kea's reclaimed-declined-addresses).", {},
                d(c.reclaimed_declined));
    out.counter("kea_dhcp4_allocations_failed_total", "DISCOVERs that found no free address (Kea's v4-allocation-fail).",
                {}, d(c.drops[static_cast<std::size_t>(Drop::pool_exhausted)]));
    for (std::size_t i = 0; i < kDropCount; ++i) {
      out.counter("pairgate_dhcp_drops_total", "DHCP messages not answered, by reason.",
                  {{"reason", std::string(to_string(static_cast<Drop>(i)))}}, d(c.drops[i]));
    }
    out.counter("pairgate_dhcp_conflicts_total", "Addresses found in use by ARP or ICMP probes.", {}, d(c.conflicts));
  }
  // Per subnet, as Kea's subnet[N].total-addresses and assigned-addresses.
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> subnets;  // used, size
  for (const auto& p : m.pools) {
    auto& s = subnets[p.subnet];
    s.first += p.used;
    s.second += p.size;
    const Labels l = {{"subnet", p.subnet}, {"range", p.range}};
    out.gauge("pairgate_dhcp_pool_addresses", "Addresses in this host's pool.", l, d(p.size));
    out.gauge("pairgate_dhcp_pool_used_addresses", "Addresses of the pool leased or in quarantine.", l, d(p.used));
  }
  for (const auto& [subnet, s] : subnets) {
    out.untyped("kea_dhcp4_addresses_assigned_total", "Assigned addresses (leased or declined) in this host's pools.",
                {{"subnet", subnet}}, d(s.first));
    out.untyped("kea_dhcp4_addresses_total", "Size of this host's address pools in the subnet.", {{"subnet", subnet}},
                d(s.second));
  }
  if (!m.counters) return;
  out.gauge("pairgate_dhcp_leases_active", "Bound leases.", {}, d(m.leases_active));
  out.counter("pairgate_dhcp_packets_sent_total", "DHCP replies the kernel took.", {}, d(m.sent));
  out.counter("pairgate_dhcp_send_errors_total", "DHCP replies the kernel refused.", {}, d(m.send_errors));
  out.counter("pairgate_dhcp_ack_withheld_total", "ACKs not sent because the lease could not be written.", {},
              d(m.ack_withheld));
  out.counter("pairgate_dhcp_probes_sent_total", "ARP/ICMP conflict probes sent.", {}, d(m.probes_sent));
  out.counter("pairgate_dhcp_probes_failed_total", "Conflict probes that could not be sent.", {}, d(m.probes_failed));
  if (m.lease_file_open) {
    out.gauge("pairgate_lease_file_ok", "Whether the lease file takes writes (0: ACKs are withheld).", {},
              m.lease_file_ok ? 1 : 0);
    out.gauge("pairgate_lease_file_bytes", "Size of the lease file.", {}, d(m.lease_file_bytes));
  }
  if (m.sync_latency) {
    out.histogram("pairgate_lease_file_sync_seconds",
                  "Duration of the lease file's fdatasync per batch of leases (an ACK waits for it).", {},
                  m.sync_latency->value());
  }
}

}  // namespace pairgate::dhcp
