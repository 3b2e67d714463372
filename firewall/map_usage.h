// What the firewall shows in status and metrics for a MAP-E tunnel's NAT44
// (firewall/map_nat.h; issue 17: "When the sets are exhausted, new flows are
// dropped, counted and logged ... Status and metrics show port-set use").
//
// Two pure parts and their kernel readers:
// - exhaustion: a new flow whose port set has no free port for its
//   destination is dropped by the kernel when its conntrack entry fails to
//   confirm; no nft rule sees it. It shows only as `insert_failed` in
//   /proc/net/stat/nf_conntrack (per network namespace): one header line,
//   then one line of hex fields per CPU. parse_conntrack_stat() sums the
//   columns found by their header names.
// - port-set use: the conntrack entries whose reply tuple goes to the CE
//   address (after SNAT the reply's destination port is the mapped port; for
//   ICMP echo the reply's identifier), counted per port set by
//   count_map_usage().
//
// How to wire it into firewall::Service (firewall/service.h):
// - The service keeps `std::map<std::string, std::shared_ptr<MapUsageMonitor>>`
//   by tunnel: apply() makes one for each MapNat it rendered into the table
//   (a new one when the tunnel's address or sets change on renumbering, so
//   the baseline restarts with the new sets; removed with the table).
//   Construct it in the offloaded job rather than on the loop if possible
//   (the constructor reads /proc/net/stat/nf_conntrack once: well under a
//   millisecond, but a blocking read).
// - read_counters() hands the shared_ptrs to the job it offloads (every
//   `check_every`, 5 s by default, and on a status request with a stale
//   reading); the job calls `usage[tunnel] = monitor->read()` after its
//   `list counters`, and the Reading carries the std::map<std::string,
//   MapUsage> back to the loop (on_reading's generation check drops it with
//   the rest when stale). read() blocks (a /proc read and a conntrack dump)
//   and must never run on the loop. A monitor is touched only by that job,
//   and the service runs one reading at a time (`reading_`): no lock. The
//   loop reads only the MapUsage copies, errors included.
// - status(): `f["mape"][tunnel] = usage;` (to_json below) beside the drop
//   counters, with the reading's age.
// - collect(): `collect_map_usage(usage, tunnel, out);` for each tunnel.
// - Log (rate-limited, on the loop) when exhausted_drops grew since the
//   previous reading: "MAP-E <tunnel>: N new flows dropped, port sets
//   exhausted (U of P ports in use)", and once per new last_error.
// Cost, measured by scripts/bench/mape (map_usage_probe --repeat 5 in the
// router namespace after 65,280 UDP flows through the NAT; a shared 2-core
// machine at load 7-8): one read() of 65,280 entries took 0.29-0.40 s
// (median of 5, in each of five bench runs), 0.72 s at worst: about 5 us
// an entry for the ctnetlink dump, libnetfilter_conntrack's parsing and the
// count together (not profiled further); /proc/net/stat/nf_conntrack well
// under a millisecond. A home router's few thousand entries cost a few ms.
// To bound it on a full table: when a read() took T (MapUsage::took), read
// again no sooner than 20 x T later (so 7.4 s instead of 5 s after a 0.37 s
// read), serving the last reading with its age meanwhile, as the counters
// are served: at most 5% of one core, off the loop.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/address.h"
#include "core/metrics.h"
#include "core/port_range.h"

namespace pairgate::firewall {

// --- /proc/net/stat/nf_conntrack ---------------------------------------

// Each reason a statistics text is refused, with its counter name.
enum class ConntrackStatError {
  unreadable,      // the file cannot be opened or read (no conntrack module loaded)
  too_long,        // over kMaxConntrackStatBytes
  no_header,       // empty, or the first line has no field names
  no_column,       // the header has no insert_failed column
  bad_header,      // a header field repeats, or more than kMaxConntrackStatColumns
  bad_row,         // a row with another number of fields than the header
  bad_number,      // a field that is not 1 to 16 hexadecimal digits
  too_many_rows,   // more than kMaxConntrackStatRows CPU lines
};
std::string_view to_string(ConntrackStatError e);
inline constexpr std::size_t kConntrackStatErrorCount = 8;  // MapUsage::stat_errors' size

// Bounds: the kernel prints 17 columns of 8 digits per possible CPU.
inline constexpr std::size_t kMaxConntrackStatBytes = 4u << 20;
inline constexpr std::size_t kMaxConntrackStatRows = 16384;
inline constexpr std::size_t kMaxConntrackStatColumns = 64;

struct ConntrackStat {
  std::size_t cpus = 0;               // rows summed
  std::uint64_t insert_failed = 0;    // summed over the CPUs (saturating)
  std::optional<std::uint64_t> drop;        // summed, if the kernel has the column
  std::optional<std::uint64_t> early_drop;  // summed, if the kernel has the column
  std::optional<std::uint64_t> entries;     // the first row's (a table-wide count, not per CPU)
};

// The text of /proc/net/stat/nf_conntrack. Columns are found by name, so a
// kernel that adds, removes or reorders columns is read correctly as long as
// insert_failed is there. Empty lines are ignored.
std::expected<ConntrackStat, ConntrackStatError> parse_conntrack_stat(std::string_view text);

// Reads and parses the file (blocking, small: call off the loop).
std::expected<ConntrackStat, ConntrackStatError> read_conntrack_stat(
    const std::string& path = "/proc/net/stat/nf_conntrack");

// --- port-set use --------------------------------------------------------

// What counting needs of one conntrack entry: its protocol (IPPROTO_*
// number), the reply tuple's destination address, and the reply's
// destination port (TCP, UDP) or echo identifier (ICMP). Host order.
struct ReplyEnd {
  std::uint8_t l4 = 0;
  Ipv4Address address;
  std::uint16_t port = 0;
};

struct SetUse {
  PortRange range;
  std::uint64_t flows = 0;  // entries whose mapped port is in the set
  std::uint32_t ports = 0;  // distinct ports (or identifiers) of the set in use, any protocol
};

struct MapUsage {
  std::vector<SetUse> sets;     // in the order of the port sets given
  std::uint64_t flows = 0;      // entries counted in a set
  std::uint64_t tcp = 0, udp = 0, icmp = 0;  // flows by protocol
  std::uint64_t ports_in_use = 0;  // sum of sets[i].ports
  std::uint64_t ports = 0;      // ports the sets hold
  // Entries to the CE address whose port is in no set (TCP, UDP, ICMP):
  // the router's own sockets, a DNAT, a mapping made before a renumbering.
  std::uint64_t outside = 0;
  // max(flows) / min(flows) over the sets: 1 when no set has a flow; nullopt
  // (JSON null, metric +Inf) when some set has flows and another none.
  std::optional<double> max_min_ratio;
  // Filled by MapUsageMonitor (zero from count_map_usage):
  std::uint64_t exhausted_drops = 0;  // insert_failed since the monitor started
  std::uint64_t entries_read = 0;     // conntrack entries dumped
  bool truncated = false;             // the dump hit its bound: the counts are low
  std::chrono::milliseconds took{0};  // how long the dump and count took
  // The monitor's failure counters at this reading (MapUsageError,
  // ConntrackStatError order) and its last failure's message.
  std::array<std::uint64_t, 3> errors{};
  std::array<std::uint64_t, 8> stat_errors{};
  std::string last_error;
};

// Pure: the entries whose reply goes to `address`, by set. Protocols other
// than TCP, UDP and ICMP are ignored. `sets` ascending, disjoint (as
// tunnel::map returns them); at most 65535.
MapUsage count_map_usage(Ipv4Address address, std::span<const PortRange> sets, std::span<const ReplyEnd> entries);

// The reply tuple's ICMP echo identifier in a ctnetlink conntrack message:
// `attributes` are the bytes after the nlmsghdr and nfgenmsg; the path is
// CTA_TUPLE_REPLY > CTA_TUPLE_PROTO > CTA_PROTO_ICMP_ID (linux/netfilter/
// nfnetlink_conntrack.h; attribute headers in host order, the identifier in
// network order). libnetfilter_conntrack reads it but has no getter for the
// reply direction's (ATTR_ICMP_ID is the original's, the LAN host's). At
// most kMaxNetlinkAttributes attributes are looked at on each level.
std::optional<std::uint16_t> reply_icmp_id(std::span<const std::byte> attributes);
inline constexpr std::size_t kMaxNetlinkAttributes = 256;

// After a tunnel's mapping changed (renumbering), or at its first mapping:
// whether an entry whose reply goes to the old CE address belongs to the
// old mapping only. Its flow cannot go on (the BR sends its replies to the
// old CE), and no rule checks a flow's later packets (firewall/map_nat.h):
// left alone, its packets would leave with an address or port outside the
// mapping until it times out, so such entries are deleted. `now`: the CE
// address and port sets in force.
bool stale_after_remap(const ReplyEnd& e, Ipv4Address now_address, std::span<const PortRange> now_sets);

// --- the monitor ----------------------------------------------------------

// Each reason a reading is incomplete, with its counter name.
enum class MapUsageError {
  dump_failed,  // the conntrack dump failed (no CAP_NET_ADMIN, no nf_conntrack_netlink)
  stat_failed,  // /proc/net/stat/nf_conntrack was refused (its own reason is counted too)
  counter_went_back,  // insert_failed is below the baseline: a new baseline was taken
};
std::string_view to_string(MapUsageError e);
inline constexpr std::size_t kMapUsageErrorCount = 3;  // MapUsage::errors' size

// Where a monitor gets its inputs; the defaults are the kernel's. A dump
// returns the reply ends of the IPv4 TCP/UDP/ICMP entries whose reply goes
// to the address, at most max entries looked at (truncated = true if more).
struct MapUsageSources {
  struct Dump {
    std::vector<ReplyEnd> ends;
    std::size_t seen = 0;
    bool truncated = false;
  };
  std::function<std::expected<Dump, std::string>(Ipv4Address address, std::size_t max)> dump;
  std::function<std::expected<ConntrackStat, ConntrackStatError>()> stat;
  // Deletes the IPv4 TCP/UDP/ICMP entries whose reply goes to the address
  // and that `stale` picks; the number deleted (Service, after a remap).
  struct Flushed {
    std::size_t deleted = 0, failed = 0;
    bool truncated = false;  // more were picked than one call deletes
    std::string first_error;
  };
  using Stale = std::function<bool(const ReplyEnd&)>;
  std::function<std::expected<Flushed, std::string>(Ipv4Address address, const Stale& stale)> flush;
};

// The kernel's: ctsync::for_each_entry (the dump state sync uses too),
// read_conntrack_stat() and ctsync::destroy_entries.
MapUsageSources kernel_map_usage_sources();

class MapUsageMonitor {
 public:
  // Takes the insert_failed baseline now (blocking: off the loop).
  // max_entries bounds the dump (default: 262144, four times the ports one
  // address has, well above nf_conntrack_max on a home router).
  MapUsageMonitor(Ipv4Address address, std::vector<PortRange> sets, MapUsageSources sources = kernel_map_usage_sources(),
                  std::size_t max_entries = 262144);
  // One reading (blocking: off the loop). A failed dump gives no set counts
  // but still the exhaustion drops; every failure is counted.
  MapUsage read();
  // The last failure's message (empty: none yet).
  const std::string& last_error() const { return last_error_; }
  const std::array<std::uint64_t, kMapUsageErrorCount>& errors() const { return errors_; }
  const std::array<std::uint64_t, kConntrackStatErrorCount>& stat_errors() const { return stat_errors_; }

 private:
  void fail(MapUsageError e, std::string message);

  Ipv4Address address_;
  std::vector<PortRange> sets_;
  MapUsageSources sources_;
  std::size_t max_entries_;
  std::optional<std::uint64_t> baseline_;
  std::uint64_t drops_before_ = 0;  // kept across a rebase
  std::uint64_t last_drops_ = 0;
  std::string last_error_;
  std::array<std::uint64_t, kMapUsageErrorCount> errors_{};
  std::array<std::uint64_t, kConntrackStatErrorCount> stat_errors_{};
};

// Status: {"sets": [{"first","last","flows","ports"}...], "flows", "tcp", "udp", "icmp",
// "errors": {reason: n} (both kinds, "stat_" before a ConntrackStatError), "last_error",
// "ports_in_use", "ports", "outside", "max_min_ratio" (null: a set unused),
// "exhausted_drops", "entries_read", "truncated", "took_ms"}.
void to_json(nlohmann::json& out, const MapUsage& usage);

// Metrics, labelled {tunnel} (and {tunnel, set="FIRST-LAST"} per set: as many
// samples as sets, at most 2^15 - 1, 15 for v6plus, 63 for OCN):
//   pairgate_mape_port_set_flows, pairgate_mape_port_set_ports_in_use (gauges),
//   pairgate_mape_ports, pairgate_mape_ports_in_use, pairgate_mape_flows,
//   pairgate_mape_protocol_flows{protocol}, pairgate_mape_outside_flows,
//   pairgate_mape_use_ratio (+Inf when a set is unused),
//   pairgate_mape_exhausted_drops_total (counter),
//   pairgate_mape_read_errors_total{reason} (MapUsageError) and
//   pairgate_mape_stat_errors_total{reason} (ConntrackStatError) (counters).
void collect_map_usage(const MapUsage& usage, const std::string& tunnel, MetricSet& out);

}  // namespace pairgate::firewall
