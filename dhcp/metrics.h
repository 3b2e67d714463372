// DHCP's metrics under the names Kea's exporters (Stork's
// promkeaexporter) give them, so that Kea dashboards and alerts work:
// kea_dhcp4_packets_received_total{operation}, kea_dhcp4_packets_sent_total
// {operation}, kea_dhcp4_addresses_assigned_total{subnet},
// kea_dhcp4_addresses_total{subnet}, declined and reclaimed; pairgate_dhcp_*
// for the rest, and the lease file's fdatasync latency as a histogram.
// Pure: the service hands in what its status() shows.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/histogram.h"
#include "core/metrics.h"
#include "dhcp/engine.h"

namespace pairgate::dhcp {

struct PoolUse {
  std::string subnet;  // "198.51.100.0/24"
  std::string range;   // "198.51.100.20-198.51.100.99"
  std::uint64_t size = 0;
  std::uint64_t used = 0;
};

struct DhcpMetrics {
  const Counters* counters = nullptr;  // the engine's; null: no subnet served
  std::vector<PoolUse> pools;
  std::uint64_t leases_active = 0;
  std::uint64_t sent = 0;
  std::uint64_t send_errors = 0;
  std::uint64_t ack_withheld = 0;  // a DHCPACK not sent because the lease file failed
  std::uint64_t probes_sent = 0;
  std::uint64_t probes_failed = 0;
  bool lease_file_open = false;
  bool lease_file_ok = false;
  std::uint64_t lease_file_bytes = 0;
  const Histogram* sync_latency = nullptr;  // the lease file's; null: none open
};

void add_dhcp_metrics(MetricSet& out, const DhcpMetrics& m);

}  // namespace pairgate::dhcp
