#include "firewall/map_usage.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>

#include <nlohmann/json.hpp>

namespace pairgate::firewall {

namespace {

constexpr std::uint8_t kIcmp = 1, kTcp = 6, kUdp = 17;

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > std::numeric_limits<std::uint64_t>::max() - b ? std::numeric_limits<std::uint64_t>::max() : a + b;
}

// Space-separated fields of one line (tabs too: the kernel uses spaces, but
// nothing is lost by accepting both).
std::vector<std::string_view> fields(std::string_view line, std::size_t max) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < line.size() && out.size() <= max) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

std::optional<std::uint64_t> hex(std::string_view s) {
  if (s.empty() || s.size() > 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
    else return std::nullopt;
    v = v << 4 | d;
  }
  return v;
}

}  // namespace

std::string_view to_string(ConntrackStatError e) {
  static constexpr std::string_view names[] = {"unreadable", "too_long",   "no_header",  "no_column",
                                               "bad_header", "bad_row",    "bad_number", "too_many_rows"};
  static_assert(std::size(names) == kConntrackStatErrorCount);
  return names[static_cast<std::size_t>(e)];
}

std::expected<ConntrackStat, ConntrackStatError> parse_conntrack_stat(std::string_view text) {
  if (text.size() > kMaxConntrackStatBytes) return std::unexpected(ConntrackStatError::too_long);
  std::vector<std::string_view> header;
  std::optional<std::size_t> insert_failed, drop, early_drop, entries;
  ConntrackStat stat;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (header.empty()) {
      header = fields(line, kMaxConntrackStatColumns);
      if (header.empty()) continue;  // leading empty lines
      if (header.size() > kMaxConntrackStatColumns) return std::unexpected(ConntrackStatError::bad_header);
      for (std::size_t i = 0; i < header.size(); ++i) {
        if (std::find(header.begin(), header.begin() + static_cast<std::ptrdiff_t>(i), header[i]) !=
            header.begin() + static_cast<std::ptrdiff_t>(i)) {
          return std::unexpected(ConntrackStatError::bad_header);
        }
        if (header[i] == "insert_failed") insert_failed = i;
        if (header[i] == "drop") drop = i;
        if (header[i] == "early_drop") early_drop = i;
        if (header[i] == "entries") entries = i;
      }
      if (!insert_failed) return std::unexpected(ConntrackStatError::no_column);
      if (drop) stat.drop = 0;
      if (early_drop) stat.early_drop = 0;
      continue;
    }
    const auto row = fields(line, header.size());
    if (row.empty()) continue;
    if (row.size() != header.size()) return std::unexpected(ConntrackStatError::bad_row);
    if (stat.cpus == kMaxConntrackStatRows) return std::unexpected(ConntrackStatError::too_many_rows);
    std::vector<std::uint64_t> values;
    values.reserve(row.size());
    for (auto f : row) {
      auto v = hex(f);
      if (!v) return std::unexpected(ConntrackStatError::bad_number);
      values.push_back(*v);
    }
    stat.insert_failed = saturating_add(stat.insert_failed, values[*insert_failed]);
    if (drop) stat.drop = saturating_add(*stat.drop, values[*drop]);
    if (early_drop) stat.early_drop = saturating_add(*stat.early_drop, values[*early_drop]);
    // `entries` is the namespace's count, printed on every CPU's line.
    if (entries && stat.cpus == 0) stat.entries = values[*entries];
    ++stat.cpus;
  }
  if (header.empty()) return std::unexpected(ConntrackStatError::no_header);
  return stat;
}

std::expected<ConntrackStat, ConntrackStatError> read_conntrack_stat(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "re");
  if (!f) return std::unexpected(ConntrackStatError::unreadable);
  std::string text;
  char buffer[16384];
  bool error = false;
  for (;;) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, f);
    text.append(buffer, n);
    if (text.size() > kMaxConntrackStatBytes) break;
    if (n < sizeof buffer) {
      error = std::ferror(f) != 0;
      break;
    }
  }
  std::fclose(f);
  if (error) return std::unexpected(ConntrackStatError::unreadable);
  return parse_conntrack_stat(text);
}

namespace {

// The set holding the port: sets ascending and disjoint, so the last set
// starting at or below the port is the only one that can hold it.
std::optional<std::size_t> set_of(std::span<const PortRange> sets, std::uint16_t port) {
  auto it = std::upper_bound(sets.begin(), sets.end(), port,
                             [](std::uint16_t p, const PortRange& r) { return p < r.first; });
  if (it == sets.begin() || !std::prev(it)->contains(port)) return std::nullopt;
  return static_cast<std::size_t>(std::prev(it) - sets.begin());
}

}  // namespace

bool stale_after_remap(const ReplyEnd& e, Ipv4Address now_address, std::span<const PortRange> now_sets) {
  return e.address != now_address || !set_of(now_sets, e.port);
}

MapUsage count_map_usage(Ipv4Address address, std::span<const PortRange> sets, std::span<const ReplyEnd> entries) {
  MapUsage u;
  u.sets.reserve(sets.size());
  for (const auto& s : sets) {
    u.sets.push_back(SetUse{s, 0, 0});
    u.ports += s.size();
  }
  // Which ports are in use, any protocol: one bit a port (8 KiB).
  std::vector<bool> in_use(65536, false);
  for (const auto& e : entries) {
    if (e.address != address || (e.l4 != kTcp && e.l4 != kUdp && e.l4 != kIcmp)) continue;
    const auto index = set_of(sets, e.port);
    if (!index) {
      ++u.outside;
      continue;
    }
    auto& set = u.sets[*index];
    ++set.flows;
    ++u.flows;
    ++(e.l4 == kTcp ? u.tcp : e.l4 == kUdp ? u.udp : u.icmp);
    if (!in_use[e.port]) {
      in_use[e.port] = true;
      ++set.ports;
      ++u.ports_in_use;
    }
  }
  if (!u.sets.empty()) {
    auto [lo, hi] = std::minmax_element(u.sets.begin(), u.sets.end(),
                                        [](const SetUse& a, const SetUse& b) { return a.flows < b.flows; });
    if (hi->flows == 0) u.max_min_ratio = 1.0;
    else if (lo->flows > 0) u.max_min_ratio = static_cast<double>(hi->flows) / static_cast<double>(lo->flows);
  }
  return u;
}

static_assert(std::tuple_size_v<decltype(MapUsage::errors)> == kMapUsageErrorCount);
static_assert(std::tuple_size_v<decltype(MapUsage::stat_errors)> == kConntrackStatErrorCount);

std::string_view to_string(MapUsageError e) {
  static constexpr std::string_view names[] = {"dump_failed", "stat_failed", "counter_went_back"};
  static_assert(std::size(names) == kMapUsageErrorCount);
  return names[static_cast<std::size_t>(e)];
}

MapUsageMonitor::MapUsageMonitor(Ipv4Address address, std::vector<PortRange> sets, MapUsageSources sources,
                                 std::size_t max_entries)
    : address_(address), sets_(std::move(sets)), sources_(std::move(sources)), max_entries_(max_entries) {
  if (auto s = sources_.stat()) baseline_ = s->insert_failed;
  else {
    ++stat_errors_[static_cast<std::size_t>(s.error())];
    fail(MapUsageError::stat_failed, "conntrack statistics: " + std::string(to_string(s.error())));
  }
}

void MapUsageMonitor::fail(MapUsageError e, std::string message) {
  ++errors_[static_cast<std::size_t>(e)];
  last_error_ = std::move(message);
}

MapUsage MapUsageMonitor::read() {
  const auto start = std::chrono::steady_clock::now();
  MapUsage u;
  if (auto d = sources_.dump(address_, max_entries_)) {
    u = count_map_usage(address_, sets_, d->ends);
    u.entries_read = d->seen;
    u.truncated = d->truncated;
  } else {
    u = count_map_usage(address_, sets_, {});
    u.max_min_ratio.reset();  // unknown, not even
    fail(MapUsageError::dump_failed, d.error());
  }
  if (auto s = sources_.stat()) {
    if (!baseline_) {
      baseline_ = s->insert_failed;  // the first reading that worked
    } else if (s->insert_failed < *baseline_) {
      // Cannot happen in one namespace (the counters only grow) unless a
      // 32-bit per-CPU counter wrapped: start again from here, keeping what
      // was counted.
      drops_before_ = last_drops_;
      baseline_ = s->insert_failed;
      fail(MapUsageError::counter_went_back, "conntrack insert_failed went back: new baseline");
    }
    last_drops_ = saturating_add(drops_before_, s->insert_failed - *baseline_);
  } else {
    ++stat_errors_[static_cast<std::size_t>(s.error())];
    fail(MapUsageError::stat_failed, "conntrack statistics: " + std::string(to_string(s.error())));
  }
  u.exhausted_drops = last_drops_;
  u.errors = errors_;
  u.stat_errors = stat_errors_;
  u.last_error = last_error_;
  u.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  return u;
}

void to_json(nlohmann::json& out, const MapUsage& u) {
  auto sets = nlohmann::json::array();
  for (const auto& s : u.sets) {
    sets.push_back({{"first", s.range.first}, {"last", s.range.last}, {"flows", s.flows}, {"ports", s.ports}});
  }
  out = {{"sets", std::move(sets)},
         {"flows", u.flows},
         {"tcp", u.tcp},
         {"udp", u.udp},
         {"icmp", u.icmp},
         {"ports_in_use", u.ports_in_use},
         {"ports", u.ports},
         {"outside", u.outside},
         {"max_min_ratio", u.max_min_ratio ? nlohmann::json(*u.max_min_ratio) : nlohmann::json(nullptr)},
         {"exhausted_drops", u.exhausted_drops},
         {"entries_read", u.entries_read},
         {"truncated", u.truncated},
         {"took_ms", u.took.count()}};
  auto& errors = out["errors"] = nlohmann::json::object();
  for (std::size_t i = 0; i < kMapUsageErrorCount; ++i) {
    errors[std::string(to_string(static_cast<MapUsageError>(i)))] = u.errors[i];
  }
  for (std::size_t i = 0; i < kConntrackStatErrorCount; ++i) {
    errors["stat_" + std::string(to_string(static_cast<ConntrackStatError>(i)))] = u.stat_errors[i];
  }
  out["last_error"] = u.last_error;
}

void collect_map_usage(const MapUsage& u, const std::string& tunnel, MetricSet& out) {
  const Labels t{{"tunnel", tunnel}};
  for (const auto& s : u.sets) {
    Labels l{{"tunnel", tunnel}, {"set", std::to_string(s.range.first) + "-" + std::to_string(s.range.last)}};
    out.gauge("pairgate_mape_port_set_flows", "MAP-E: conntrack entries mapped into the port set", l,
              static_cast<double>(s.flows));
    out.gauge("pairgate_mape_port_set_ports_in_use", "MAP-E: ports of the set in use by an entry", l,
              static_cast<double>(s.ports));
  }
  out.gauge("pairgate_mape_ports", "MAP-E: ports the CE's port sets hold", t, static_cast<double>(u.ports));
  out.gauge("pairgate_mape_ports_in_use", "MAP-E: ports of the sets in use", t, static_cast<double>(u.ports_in_use));
  out.gauge("pairgate_mape_flows", "MAP-E: conntrack entries mapped into the port sets", t,
            static_cast<double>(u.flows));
  for (auto [name, n] : {std::pair{"tcp", u.tcp}, std::pair{"udp", u.udp}, std::pair{"icmp", u.icmp}}) {
    out.gauge("pairgate_mape_protocol_flows", "MAP-E: conntrack entries mapped into the port sets, by protocol",
              {{"tunnel", tunnel}, {"protocol", name}}, static_cast<double>(n));
  }
  out.gauge("pairgate_mape_outside_flows", "MAP-E: entries to the CE address outside the port sets", t,
            static_cast<double>(u.outside));
  out.gauge("pairgate_mape_use_ratio", "MAP-E: most used set's flows over the least used set's (+Inf: a set unused)",
            t, u.max_min_ratio ? *u.max_min_ratio : std::numeric_limits<double>::infinity());
  out.counter("pairgate_mape_exhausted_drops_total",
              "MAP-E: new flows the kernel dropped at conntrack confirm (insert_failed) since start", t,
              static_cast<double>(u.exhausted_drops));
  for (std::size_t i = 0; i < kMapUsageErrorCount; ++i) {
    out.counter("pairgate_mape_read_errors_total", "MAP-E: port-set readings that failed, by reason",
                {{"tunnel", tunnel}, {"reason", std::string(to_string(static_cast<MapUsageError>(i)))}},
                static_cast<double>(u.errors[i]));
  }
  for (std::size_t i = 0; i < kConntrackStatErrorCount; ++i) {
    out.counter("pairgate_mape_stat_errors_total", "MAP-E: /proc/net/stat/nf_conntrack readings refused, by reason",
                {{"tunnel", tunnel}, {"reason", std::string(to_string(static_cast<ConntrackStatError>(i)))}},
                static_cast<double>(u.stat_errors[i]));
  }
}

}  // namespace pairgate::firewall

namespace pairgate::firewall {

namespace {

// One netlink attribute level: calls f(type, payload) for each attribute
// (RFC 3549 §2.3.2: a 4-byte header of length and type, padded to 4 bytes).
template <typename F>
bool each_attribute(std::span<const std::byte> data, F&& f) {
  for (std::size_t n = 0; data.size() >= 4 && n < kMaxNetlinkAttributes; ++n) {
    std::uint16_t length = 0, type = 0;
    std::memcpy(&length, data.data(), 2);  // host order
    std::memcpy(&type, data.data() + 2, 2);
    if (length < 4 || length > data.size()) return false;
    if (f(static_cast<std::uint16_t>(type & 0x3fff), data.subspan(4, length - 4u))) return true;  // NLA_TYPE_MASK
    const std::size_t padded = (std::size_t{length} + 3u) & ~std::size_t{3};
    if (padded >= data.size()) break;
    data = data.subspan(padded);
  }
  return false;
}

}  // namespace

std::optional<std::uint16_t> reply_icmp_id(std::span<const std::byte> attributes) {
  constexpr std::uint16_t kTupleReply = 2, kTupleProto = 2, kProtoIcmpId = 4;  // CTA_*
  std::optional<std::uint16_t> id;
  each_attribute(attributes, [&](std::uint16_t type, std::span<const std::byte> tuple) {
    if (type != kTupleReply) return false;
    return each_attribute(tuple, [&](std::uint16_t t, std::span<const std::byte> proto) {
      if (t != kTupleProto) return false;
      return each_attribute(proto, [&](std::uint16_t p, std::span<const std::byte> value) {
        if (p != kProtoIcmpId || value.size() < 2) return false;
        id = static_cast<std::uint16_t>(std::to_integer<unsigned>(value[0]) << 8 | std::to_integer<unsigned>(value[1]));
        return true;
      });
    });
  });
  return id;
}

}  // namespace pairgate::firewall
