// firewall/map_usage: the /proc/net/stat/nf_conntrack parser, the per-set
// count, the ctnetlink reply identifier, and the monitor's exhaustion delta
// and error counters with fake sources (no kernel).
#include "firewall/map_usage.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace pairgate::firewall {
namespace {

// Debian 12's kernel (6.1), two CPUs: insert_failed is column 10.
constexpr std::string_view kTwoCpus =
    "entries  clashres found new invalid ignore delete chainlength insert insert_failed drop early_drop icmp_error  "
    "expect_new expect_create expect_delete search_restart\n"
    "0000002a  00000000 00000000 00000000 00000003 00000000 00000000 00000000 00000000 0000003c 00000002 00000001 "
    "00000000  00000000 00000000 00000000 00000000\n"
    "0000002a  00000001 00000000 00000000 00000000 00000000 00000000 00000000 00000000 0000000a 00000003 00000000 "
    "00000000  00000000 00000000 00000000 00000000\n";

TEST(ConntrackStat, SumsTheNamedColumnsOverTheCpus) {
  auto s = parse_conntrack_stat(kTwoCpus);
  ASSERT_TRUE(s) << to_string(s.error());
  EXPECT_EQ(s->cpus, 2u);
  EXPECT_EQ(s->insert_failed, 0x3cu + 0xau);
  EXPECT_EQ(s->drop, 5u);
  EXPECT_EQ(s->early_drop, 1u);
  EXPECT_EQ(s->entries, 42u);  // the first row's, not summed
}

TEST(ConntrackStat, FindsColumnsByNameInAnyOrder) {
  // An older kernel's layout (searched first, insert_failed elsewhere), no drop columns.
  auto s = parse_conntrack_stat("searched insert_failed entries\n00000001 000000FF 00000002\n00000001 00000001 00000002");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->insert_failed, 256u);
  EXPECT_FALSE(s->drop);
  EXPECT_FALSE(s->early_drop);
  EXPECT_EQ(s->cpus, 2u);
}

TEST(ConntrackStat, HeaderOnlyIsZeroCpus) {
  auto s = parse_conntrack_stat("\n\ninsert_failed\n\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->cpus, 0u);
  EXPECT_EQ(s->insert_failed, 0u);
}

TEST(ConntrackStat, EachBadInputHasItsReason) {
  auto err = [](std::string_view text) {
    auto s = parse_conntrack_stat(text);
    return s ? std::string("ok") : std::string(to_string(s.error()));
  };
  EXPECT_EQ(err(""), "no_header");
  EXPECT_EQ(err("  \n \n"), "no_header");
  EXPECT_EQ(err("entries drop\n1 2\n"), "no_column");
  EXPECT_EQ(err("insert_failed insert_failed\n1 2\n"), "bad_header");
  EXPECT_EQ(err("insert_failed drop\n1\n"), "bad_row");
  EXPECT_EQ(err("insert_failed drop\n1 2 3\n"), "bad_row");
  EXPECT_EQ(err("insert_failed\n0x1\n"), "bad_number");
  EXPECT_EQ(err("insert_failed\n-1\n"), "bad_number");
  EXPECT_EQ(err("insert_failed\n11111111111111111\n"), "bad_number");  // 17 digits
  std::string many = "insert_failed\n";
  for (std::size_t i = 0; i <= kMaxConntrackStatRows; ++i) many += "1\n";
  EXPECT_EQ(err(many), "too_many_rows");
  std::string wide;
  for (std::size_t i = 0; i <= kMaxConntrackStatColumns; ++i) wide += "c" + std::to_string(i) + " ";
  EXPECT_EQ(err(wide + "insert_failed\n"), "bad_header");
  EXPECT_EQ(err(std::string(kMaxConntrackStatBytes + 1, ' ')), "too_long");
}

TEST(ConntrackStat, SumSaturates) {
  auto s = parse_conntrack_stat("insert_failed\nffffffffffffffff\n2\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->insert_failed, std::numeric_limits<std::uint64_t>::max());
}

TEST(ConntrackStat, AMissingFileIsUnreadable) {
  auto s = read_conntrack_stat("/nonexistent/pairgate/nf_conntrack");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), ConntrackStatError::unreadable);
}

const Ipv4Address kCe = *Ipv4Address::parse("198.18.18.52");
const Ipv4Address kOther = *Ipv4Address::parse("203.0.113.2");
// Three sets of 16, as v6plus's first three for PSID 0x56.
const std::vector<PortRange> kSets = {{5472, 5487}, {9568, 9583}, {13664, 13679}};

TEST(MapUsage, CountsEntriesToTheAddressPerSet) {
  const std::vector<ReplyEnd> entries = {
      {6, kCe, 5472},  {17, kCe, 5472},  // one port, two protocols: two flows, one port in use
      {17, kCe, 5487}, {6, kCe, 9570},  {1, kCe, 13664},  // ICMP: the reply's identifier
      {6, kOther, 5473},                                    // another address: not ours
      {6, kCe, 22},                                         // ours but in no set
      {47, kCe, 5480},                                      // GRE: ignored
  };
  auto u = count_map_usage(kCe, kSets, entries);
  ASSERT_EQ(u.sets.size(), 3u);
  EXPECT_EQ(u.sets[0].flows, 3u);
  EXPECT_EQ(u.sets[0].ports, 2u);
  EXPECT_EQ(u.sets[1].flows, 1u);
  EXPECT_EQ(u.sets[2].flows, 1u);
  EXPECT_EQ(u.sets[2].range, (PortRange{13664, 13679}));
  EXPECT_EQ(u.flows, 5u);
  EXPECT_EQ(u.tcp, 2u);
  EXPECT_EQ(u.udp, 2u);
  EXPECT_EQ(u.icmp, 1u);
  EXPECT_EQ(u.ports_in_use, 4u);
  EXPECT_EQ(u.ports, 48u);
  EXPECT_EQ(u.outside, 1u);
  ASSERT_TRUE(u.max_min_ratio);
  EXPECT_DOUBLE_EQ(*u.max_min_ratio, 3.0);
}

TEST(MapUsage, RatioIsOneWhenIdleAndNullWhenASetIsUnused) {
  EXPECT_EQ(count_map_usage(kCe, kSets, {}).max_min_ratio, 1.0);
  const std::vector<ReplyEnd> one = {{6, kCe, 5472}};
  EXPECT_FALSE(count_map_usage(kCe, kSets, one).max_min_ratio);
  EXPECT_EQ(count_map_usage(kCe, {}, one).outside, 1u);
}

TEST(MapUsage, PortsAtTheEdgesOfEverySet) {
  std::vector<ReplyEnd> entries;
  for (const auto& s : kSets) {
    entries.push_back({17, kCe, static_cast<std::uint16_t>(s.first - 1)});
    entries.push_back({17, kCe, s.first});
    entries.push_back({17, kCe, s.last});
    entries.push_back({17, kCe, static_cast<std::uint16_t>(s.last + 1)});
  }
  auto u = count_map_usage(kCe, kSets, entries);
  for (const auto& s : u.sets) EXPECT_EQ(s.flows, 2u);
  EXPECT_EQ(u.outside, 6u);
  EXPECT_EQ(*u.max_min_ratio, 1.0);
}

// After a remap, an entry is stale unless its mapped address and port (or
// echo identifier) are still the CE's: at every set's edges, and for
// another address.
TEST(MapUsage, StaleAfterRemap) {
  for (const auto& s : kSets) {
    EXPECT_TRUE(stale_after_remap({17, kCe, static_cast<std::uint16_t>(s.first - 1)}, kCe, kSets));
    EXPECT_FALSE(stale_after_remap({17, kCe, s.first}, kCe, kSets));
    EXPECT_FALSE(stale_after_remap({1, kCe, s.last}, kCe, kSets));
    EXPECT_TRUE(stale_after_remap({6, kCe, static_cast<std::uint16_t>(s.last + 1)}, kCe, kSets));
    EXPECT_TRUE(stale_after_remap({6, kCe, s.first}, kOther, kSets)) << "the CE address changed";
  }
  EXPECT_TRUE(stale_after_remap({6, kCe, 5472}, kCe, {}));
}

TEST(MapUsage, Json) {
  const std::vector<ReplyEnd> one = {{6, kCe, 5472}};
  nlohmann::json j;
  to_json(j, count_map_usage(kCe, kSets, one));
  EXPECT_EQ(j["sets"][0], (nlohmann::json{{"first", 5472}, {"last", 5487}, {"flows", 1}, {"ports", 1}}));
  EXPECT_TRUE(j["max_min_ratio"].is_null());
  EXPECT_EQ(j["ports"], 48);
  EXPECT_EQ(j["exhausted_drops"], 0);
}

TEST(MapUsage, Metrics) {
  const std::vector<ReplyEnd> one = {{6, kCe, 5472}};
  MetricSet m;
  collect_map_usage(count_map_usage(kCe, kSets, one), "mape0", m);
  const double* f = m.find("pairgate_mape_port_set_flows", {{"tunnel", "mape0"}, {"set", "5472-5487"}});
  ASSERT_TRUE(f);
  EXPECT_EQ(*f, 1.0);
  EXPECT_TRUE(std::isinf(*m.find("pairgate_mape_use_ratio", {{"tunnel", "mape0"}})));
  EXPECT_EQ(*m.find("pairgate_mape_ports", {{"tunnel", "mape0"}}), 48.0);
}

// A ctnetlink attribute: length and type in host order, padded to 4.
void attr(std::vector<std::byte>& out, std::uint16_t type, const std::vector<std::byte>& payload) {
  const std::uint16_t length = static_cast<std::uint16_t>(4 + payload.size());
  std::byte h[4];
  std::memcpy(h, &length, 2);
  std::memcpy(h + 2, &type, 2);
  out.insert(out.end(), h, h + 4);
  out.insert(out.end(), payload.begin(), payload.end());
  while (out.size() % 4) out.push_back(std::byte{0});
}

std::vector<std::byte> tuple(std::uint16_t id) {
  std::vector<std::byte> ip, proto, t;
  attr(ip, 1, {std::byte{198}, std::byte{18}, std::byte{18}, std::byte{52}});  // CTA_IP_V4_SRC
  attr(proto, 1, {std::byte{1}});                                               // CTA_PROTO_NUM
  attr(proto, 4, {std::byte(id >> 8), std::byte(id & 0xff)});                   // CTA_PROTO_ICMP_ID
  attr(proto, 5, {std::byte{0}});                                               // CTA_PROTO_ICMP_TYPE
  attr(t, 1 | 0x8000, ip);  // CTA_TUPLE_IP, NLA_F_NESTED
  attr(t, 2 | 0x8000, proto);
  return t;
}

TEST(ReplyIcmpId, ReadsTheReplyTuplesIdentifier) {
  std::vector<std::byte> message;
  attr(message, 1 | 0x8000, tuple(0x1234));  // CTA_TUPLE_ORIG: the LAN host's
  attr(message, 2 | 0x8000, tuple(0x1560));  // CTA_TUPLE_REPLY: the mapped one
  attr(message, 3, {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{8}});  // CTA_STATUS
  EXPECT_EQ(reply_icmp_id(message), 0x1560);
}

TEST(ReplyIcmpId, NothingFromTruncatedOrForeignMessages) {
  std::vector<std::byte> message;
  attr(message, 2 | 0x8000, tuple(0x1560));
  for (std::size_t n = 0; n < message.size(); ++n) {
    auto id = reply_icmp_id(std::span(message).first(n));
    EXPECT_TRUE(!id || *id == 0x1560) << n;
  }
  std::vector<std::byte> orig_only;
  attr(orig_only, 1 | 0x8000, tuple(0x1234));
  EXPECT_FALSE(reply_icmp_id(orig_only));
  std::vector<std::byte> bad = {std::byte{2}, std::byte{0}, std::byte{2}, std::byte{0}};  // length 2 < 4
  EXPECT_FALSE(reply_icmp_id(bad));
}

struct Fake {
  std::vector<std::expected<ConntrackStat, ConntrackStatError>> stats;
  std::size_t next = 0;
  std::expected<MapUsageSources::Dump, std::string> dump = MapUsageSources::Dump{};
  std::size_t asked_max = 0;
  MapUsageSources sources() {
    return {[this](Ipv4Address, std::size_t max) {
              asked_max = max;
              return dump;
            },
            [this] { return stats.at(std::min(next++, stats.size() - 1)); },
            nullptr};
  }
};

ConntrackStat failed(std::uint64_t n) {
  ConntrackStat s;
  s.cpus = 2;
  s.insert_failed = n;
  return s;
}

TEST(MapUsageMonitor, DropsAreCountedFromTheStart) {
  Fake fake;
  fake.stats = {failed(100), failed(100), failed(160)};
  fake.dump = MapUsageSources::Dump{{{17, kCe, 5472}, {17, kCe, 9568}, {17, kCe, 13664}}, 7, false};
  MapUsageMonitor m(kCe, kSets, fake.sources(), 1000);
  auto u = m.read();
  EXPECT_EQ(u.exhausted_drops, 0u);
  EXPECT_EQ(u.flows, 3u);
  EXPECT_EQ(u.entries_read, 7u);
  EXPECT_EQ(*u.max_min_ratio, 1.0);
  EXPECT_EQ(fake.asked_max, 1000u);
  EXPECT_EQ(m.read().exhausted_drops, 60u);
  EXPECT_EQ(m.errors(), (std::array<std::uint64_t, kMapUsageErrorCount>{}));
}

TEST(MapUsageMonitor, FailuresAreCountedAndLoseNothing) {
  Fake fake;
  fake.stats = {std::unexpected(ConntrackStatError::unreadable), failed(10), failed(15),
                std::unexpected(ConntrackStatError::bad_row), failed(4), failed(6)};
  fake.dump = std::unexpected(std::string("conntrack dump: Operation not permitted"));
  MapUsageMonitor m(kCe, kSets, fake.sources());
  EXPECT_EQ(m.errors()[static_cast<std::size_t>(MapUsageError::stat_failed)], 1u);
  auto u = m.read();  // the first statistics that parse become the baseline
  EXPECT_EQ(u.exhausted_drops, 0u);
  EXPECT_FALSE(u.max_min_ratio);  // unknown, not even
  EXPECT_EQ(u.sets.size(), 3u);
  EXPECT_EQ(m.errors()[static_cast<std::size_t>(MapUsageError::dump_failed)], 1u);
  EXPECT_EQ(m.last_error(), "conntrack dump: Operation not permitted");
  EXPECT_EQ(m.read().exhausted_drops, 5u);
  EXPECT_EQ(m.read().exhausted_drops, 5u);  // bad_row: the last count stays
  EXPECT_EQ(m.stat_errors()[static_cast<std::size_t>(ConntrackStatError::bad_row)], 1u);
  EXPECT_EQ(m.read().exhausted_drops, 5u);  // went back: a new baseline, the 5 kept
  EXPECT_EQ(m.errors()[static_cast<std::size_t>(MapUsageError::counter_went_back)], 1u);
  const auto last = m.read();
  EXPECT_EQ(last.exhausted_drops, 7u);
  EXPECT_EQ(last.errors, m.errors());  // the reading carries the counters to the loop
  EXPECT_EQ(last.last_error, m.last_error());
  nlohmann::json j;
  to_json(j, last);
  EXPECT_EQ(j["errors"]["dump_failed"], 5);
  EXPECT_EQ(j["errors"]["stat_bad_row"], 1);
  MetricSet metrics;
  collect_map_usage(last, "mape0", metrics);
  EXPECT_EQ(*metrics.find("pairgate_mape_read_errors_total", {{"tunnel", "mape0"}, {"reason", "dump_failed"}}), 5.0);
  EXPECT_EQ(*metrics.find("pairgate_mape_stat_errors_total", {{"tunnel", "mape0"}, {"reason", "unreadable"}}), 1.0);
}

}  // namespace
}  // namespace pairgate::firewall
