#include "app/status_table.h"

#include <gtest/gtest.h>

namespace pairgate {
namespace {

TEST(StatusTable, RendersEverySection) {
  auto s = nlohmann::json::parse(R"({
    "node": "beagle", "uptime_s": 3725.2,
    "vrrp": [{"name": "VRRP1", "interface": "enp3s0", "vrid": 1, "state": "MASTER", "priority": 200,
              "effective_priority": 200, "master": "192.0.2.3", "virtual_addresses": ["192.0.2.2/24"]}],
    "dhcp": {"leases_active": 3, "serving": true,
             "counters": {"pkt4-received": 9, "pkt4-offer-sent": 3, "pkt4-ack-sent": 3, "pkt4-nak-sent": 0},
             "lease_file": {"path": "/var/lib/pairgate/dhcp4.leases", "ok": false, "error": "No space left on device"},
             "pools": [{"subnet": "198.51.100.0/24", "interface": "lan0", "range": "198.51.100.20-198.51.100.99", "size": 80, "used": 3}]},
    "tunnels": [{"name": "ip6tnl1", "state": "UP", "local": "2001:db8::2", "remote": "2001:db8::1",
                 "health": {"last_rtt_ms": 4.1, "failures": 0}}],
    "firewall": {"applied": true, "table": "pairgate"}})");
  const std::string out = render_status(s);
  EXPECT_NE(out.find("node beagle, up 1h 2m 5s"), std::string::npos) << out;
  EXPECT_NE(out.find("VRRP1  enp3s0     1     MASTER  200   200        192.0.2.3  192.0.2.2/24"), std::string::npos) << out;
  EXPECT_NE(out.find("DHCP: 3 active leases, serving: yes"), std::string::npos) << out;
  EXPECT_NE(out.find("198.51.100.20-198.51.100.99"), std::string::npos);
  EXPECT_NE(out.find("received 9, offers 3, acks 3, naks 0"), std::string::npos) << out;
  EXPECT_NE(out.find("lease file /var/lib/pairgate/dhcp4.leases: FAILING: No space left on device"), std::string::npos) << out;
  EXPECT_NE(out.find("ip6tnl1  UP     2001:db8::2  2001:db8::1  4.1"), std::string::npos) << out;
  EXPECT_NE(out.find("FIREWALL: table pairgate, applied: yes"), std::string::npos);
}

TEST(StatusTable, PeerIsOneLine) {
  auto up = nlohmann::json::parse(R"({"node": "beagle", "peer": {"node": "primergy", "address": "198.51.100.3",
    "state": "in-sync", "since_s": 125.0, "rtt_ms": 0.214, "backlog": 0, "reason": "caught up",
    "rejected": {"bad_auth": 2, "lease_gap": 1}}})");
  EXPECT_NE(render_status(up).find("PEER primergy (198.51.100.3): in-sync for 2m 5s, rtt 0.21 ms, backlog 0, rejected 3\n"),
            std::string::npos)
      << render_status(up);
  auto down = nlohmann::json::parse(R"({"peer": {"node": null, "address": "198.51.100.3", "state": "down",
    "since_s": 4.0, "rtt_ms": null, "backlog": 12, "reason": "closed by the peer", "rejected": {}}})");
  EXPECT_NE(render_status(down).find("PEER 198.51.100.3: down for 0m 4s (closed by the peer), backlog 12, rejected 0\n"),
            std::string::npos)
      << render_status(down);
}

TEST(StatusTable, StateSyncIsOneLine) {
  auto s = nlohmann::json::parse(R"({"firewall": {"applied": true, "table": "pairgate",
    "state_sync": {"role": "backup", "cached": 812, "sent": 0, "received": 9140,
                   "dropped": {"cap": 2, "malformed": 1, "expired": 40, "wrong_role": 0},
                   "last_commit_ms": 35, "last_commit_entries": 790}}})");
  EXPECT_NE(render_status(s).find("STATE SYNC: backup, cached 812, sent 0, received 9140, dropped 43, "
                                  "last commit 790 entries in 35 ms\n"),
            std::string::npos)
      << render_status(s);
  auto fresh = nlohmann::json::parse(R"({"firewall": {"state_sync": {"role": "master", "cached": 0, "sent": 5,
    "received": 0, "dropped": {}, "last_commit_ms": null, "last_commit_entries": null}}})");
  EXPECT_NE(render_status(fresh).find("STATE SYNC: master, cached 0, sent 5, received 0, dropped 0\n"), std::string::npos)
      << render_status(fresh);
}

// MAP-E's mapping and a fixed-IP tunnel's update URL under the tunnel
// table; the NAT's port-set use under the firewall line.
TEST(StatusTable, MapeAndUpdateLines) {
  auto s = nlohmann::json::parse(R"({"tunnels": [
    {"name": "mape0", "state": "UP", "map": {"ipv4": "198.51.100.18", "psid": 3, "psid_length": 4,
      "port_sets": [[4144, 4399], [8240, 8495]], "port_count": 512, "ce_ipv6": "2001:db8:12:3400:0:c633:6412:3",
      "interface_id": "rfc7597", "delegated_prefix": "2001:db8:12:3400::/56", "br": "2001:db8:ffff::1"}},
    {"name": "fixed0", "state": "UP", "update": {"url": "https://user:***@198.51.100.9/update", "in_flight": false,
      "error": "HTTP status 503", "http_status": 503, "retry_in_s": 20, "successes": 1, "failures": 2,
      "last_success": "2026-11-30T05:00:00Z", "address": "2001:db8:1::10"}},
    {"name": "fixed1", "state": "UP", "update": {"url": "https://198.51.100.9/u", "in_flight": false, "error": null,
      "http_status": 200, "retry_in_s": null, "successes": 1, "failures": 0,
      "last_success": "2026-11-30T05:00:00Z", "address": "2001:db8:1::11"}}],
    "firewall": {"applied": true, "table": "pairgate", "mape": {"mape0": {"address": "198.51.100.18",
      "usage": {"ports_in_use": 240, "ports": 512, "flows": 260, "max_min_ratio": 1.0, "exhausted_drops": 3,
                "outside": 0}}}}})");
  const std::string out = render_status(s);
  EXPECT_NE(out.find("  mape0: MAP-E CE 198.51.100.18 PSID 3/4, 2 port sets, 512 ports; CE 2001:db8:12:3400:0:c633:6412:3 "
                     "(rfc7597) from 2001:db8:12:3400::/56, BR 2001:db8:ffff::1\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  fixed0: update https://user:***@198.51.100.9/update: FAILING: HTTP status 503, next call in "
                     "20 s, 1 ok, 2 failed\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("  fixed1: update https://198.51.100.9/u: ok at 2026-11-30T05:00:00Z for 2001:db8:1::11, 1 ok, "
                     "0 failed\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("MAP-E NAT mape0: 198.51.100.18, 240 of 512 ports in use by 260 flows, sets max/min 1.0, "
                     "exhausted drops 3, outside 0\n"),
            std::string::npos)
      << out;
}

TEST(StatusTable, ToleratesMissingAndOddFields) {
  EXPECT_EQ(render_status(nlohmann::json::object()), "node -\n");
  EXPECT_NO_THROW(render_status(nlohmann::json::parse(R"({"vrrp": [{"vrid": "x"}], "dhcp": {"pools": [1], "counters": 3, "lease_file": {"ok": "x"}}, "tunnels": [null], "peer": {"rejected": 3, "since_s": "x"}, "firewall": {"state_sync": {"dropped": 3, "last_commit_entries": "x"}}})")));
  EXPECT_NO_THROW(render_status(nlohmann::json::array()));
}

TEST(StatusTable, ControlCharactersAreEscaped) {
  auto l = nlohmann::json::array({{{"address", "198.51.100.20"}, {"hostname", "evil\x1b[2J"}}});
  const std::string out = render_leases(l);
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
  EXPECT_NE(out.find("evil\\x1b[2J"), std::string::npos) << out;
}

TEST(StatusTable, Leases) {
  EXPECT_EQ(render_leases(nlohmann::json::array()), "no leases\n");
  auto l = nlohmann::json::parse(R"([{"address": "198.51.100.20", "hw_address": "52:54:00:12:34:56",
                                      "client_id": null, "hostname": "printer", "expires": "2026-11-24T12:00:00Z"}])");
  const std::string out = render_leases(l);
  EXPECT_NE(out.find("198.51.100.20  52:54:00:12:34:56  -          printer   2026-11-24T12:00:00Z"), std::string::npos) << out;
}

}  // namespace
}  // namespace pairgate

namespace pairgate {
namespace {

TEST(RenderEvent, OneLineWithTimeSeqKindAndMessage) {
  nlohmann::json e = {{"seq", 42}, {"time", "2026-11-29T10:00:00.123Z"}, {"kind", "vrrp"}, {"subject", "VRRP1"},
                      {"message", "(VRRP1) Entering MASTER STATE: bad\nline"}, {"data", nlohmann::json::object()}};
  EXPECT_EQ(render_event(e), "2026-11-29T10:00:00.123Z #42 vrrp (VRRP1) Entering MASTER STATE: bad\\x0aline\n");
}

}  // namespace
}  // namespace pairgate
