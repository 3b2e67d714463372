// conf::parse and conf::load: the two example hosts, defaults, optional
// sections and reporting every error of a file at once.
#include "conf/parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/conf/print.h"

namespace pairgate::conf {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

const std::string kBeagle = PAIRGATE_SHARED_DIR "/design/beagle.yaml";
const std::string kPrimergy = PAIRGATE_SHARED_DIR "/design/primergy.yaml";

Ipv4Address v4(std::string_view s) { return *Ipv4Address::parse(s); }
IpPrefix prefix(std::string_view s) { return *IpPrefix::parse(s); }
Ipv4Range range(std::string_view s) { return *Ipv4Range::parse(s); }

Config load_ok(const std::string& path) {
  LoadResult r = load(path);
  EXPECT_THAT(r.errors, IsEmpty()) << r.report();
  EXPECT_TRUE(r.config.has_value());
  return r.config.value_or(Config{});
}

Config parse_ok(std::string_view text) {
  LoadResult r = parse(text, "test.yaml");
  EXPECT_THAT(r.errors, IsEmpty()) << r.report();
  EXPECT_TRUE(r.config.has_value());
  return r.config.value_or(Config{});
}

TEST(Parser, ExampleFilesHaveNoErrors) {
  for (const auto& path : {kBeagle, kPrimergy}) {
    SCOPED_TRACE(path);
    LoadResult r = load(path);
    EXPECT_THAT(r.errors, IsEmpty()) << r.report();
    EXPECT_TRUE(r.config.has_value());
    EXPECT_FALSE(r.source.empty());
  }
}

TEST(Parser, BeagleTopLevel) {
  const Config c = load_ok(kBeagle);
  EXPECT_EQ(c.node, "beagle");

  EXPECT_EQ(c.control.socket, "/run/pairgate/control.sock");
  EXPECT_EQ(c.control.mode, 0660u);
  EXPECT_EQ(c.control.group, "adm");
  EXPECT_EQ(c.control.group_mark.line, 14);
  EXPECT_EQ(c.control.group_mark.column, 10);

  EXPECT_EQ(c.logging.level, LogLevel::info);
  EXPECT_EQ(c.logging.target, LogTarget::automatic);

  ASSERT_TRUE(c.notify.email.has_value());
  const Email& e = *c.notify.email;
  EXPECT_THAT(e.to, ElementsAre("john.doe+home@example.com"));
  EXPECT_EQ(e.from, "jOhn.doe@example.com");
  EXPECT_EQ(e.server_host, "localhost");
  EXPECT_EQ(e.server_port, 25);
  EXPECT_EQ(e.timeout, 30s);
  EXPECT_THAT(c.notify.exec, IsEmpty());

  ASSERT_EQ(c.sysctl.size(), 1u);
  EXPECT_EQ(c.sysctl[0].key, "net.ipv4.ip_forward");
  EXPECT_EQ(c.sysctl[0].value, "1");
  EXPECT_EQ(c.sysctl[0].mark.line, 29);
  EXPECT_EQ(c.sysctl[0].mark.column, 3);
}

TEST(Parser, BeagleVrrp) {
  const Config c = load_ok(kBeagle);
  ASSERT_TRUE(c.vrrp.has_value());
  ASSERT_EQ(c.vrrp->instances.size(), 2u);

  const VrrpInstance& v1 = c.vrrp->instances[0];
  EXPECT_EQ(v1.name, "VRRP1");
  EXPECT_EQ(v1.interface, "enp3s0");
  EXPECT_EQ(v1.vrid, 1u);
  EXPECT_EQ(v1.priority, 200u);
  EXPECT_EQ(v1.advert_interval, 1s);
  EXPECT_TRUE(v1.preempt);
  EXPECT_EQ(v1.preempt_delay, 0s);
  EXPECT_THAT(v1.virtual_addresses, ElementsAre(prefix("192.168.1.2/24")));
  EXPECT_THAT(v1.excluded_addresses, IsEmpty());
  EXPECT_EQ(v1.auth_pass, "");
  EXPECT_EQ(v1.garp.delay, 5s);
  EXPECT_EQ(v1.garp.repeat, 5u);
  EXPECT_EQ(v1.garp.refresh, 0s);
  ASSERT_EQ(v1.track.size(), 1u);
  EXPECT_EQ(v1.track[0].kind, Track::Kind::tunnel);
  EXPECT_EQ(v1.track[0].name, "ip6tnl1");
  EXPECT_EQ(v1.track[0].weight, std::nullopt);
  EXPECT_EQ(v1.mark.line, 33);
  EXPECT_EQ(v1.mark.column, 7);
  EXPECT_EQ(v1.track[0].mark.line, 44);

  const VrrpInstance& v2 = c.vrrp->instances[1];
  EXPECT_EQ(v2.name, "VRRP2");
  EXPECT_EQ(v2.interface, "enp4s0");
  EXPECT_EQ(v2.vrid, 2u);
  EXPECT_EQ(v2.priority, 200u);
  EXPECT_EQ(v2.advert_interval, 1s);
  EXPECT_TRUE(v2.preempt);             // default
  EXPECT_EQ(v2.preempt_delay, 0s);     // default
  EXPECT_EQ(v2.garp, Garp{});          // default
  EXPECT_THAT(v2.virtual_addresses, ElementsAre(prefix("192.168.2.1/24")));
  ASSERT_EQ(v2.track.size(), 2u);
  EXPECT_EQ(v2.track[0].kind, Track::Kind::tunnel);
  EXPECT_EQ(v2.track[0].name, "ip6tnl1");
  EXPECT_EQ(v2.track[0].weight, std::nullopt);
  EXPECT_EQ(v2.track[1].kind, Track::Kind::interface);
  EXPECT_EQ(v2.track[1].name, "enp3s0");
  EXPECT_EQ(v2.track[1].weight, -60);

  ASSERT_EQ(c.vrrp->sync_groups.size(), 1u);
  EXPECT_EQ(c.vrrp->sync_groups[0].name, "LAN");
  EXPECT_THAT(c.vrrp->sync_groups[0].instances, ElementsAre("VRRP1", "VRRP2"));

  EXPECT_EQ(c.find_instance("VRRP2"), &v2);
  EXPECT_EQ(c.find_instance("VRRP3"), nullptr);
}

TEST(Parser, BeagleDhcp) {
  const Config c = load_ok(kBeagle);
  ASSERT_TRUE(c.dhcp.has_value());
  EXPECT_EQ(c.dhcp->lease_file, "/var/lib/pairgate/dhcp4.leases");
  ASSERT_EQ(c.dhcp->subnets.size(), 1u);
  const DhcpSubnet& s = c.dhcp->subnets[0];
  EXPECT_EQ(s.interface, "enp4s0");
  EXPECT_EQ(s.subnet, prefix("192.168.2.0/24"));
  ASSERT_EQ(s.pools.size(), 1u);
  EXPECT_EQ(s.pools[0].range, range("192.168.2.20-192.168.2.99"));
  EXPECT_EQ(s.pools[0].range.size(), 80u);
  EXPECT_EQ(s.pools[0].mark.line, 64);
  EXPECT_EQ(s.lease_time, 600s);
  EXPECT_EQ(s.max_lease_time, 7200s);
  EXPECT_EQ(s.renew_time, std::nullopt);
  EXPECT_EQ(s.rebind_time, std::nullopt);
  EXPECT_EQ(s.conflict_check, ConflictCheck::automatic);

  EXPECT_THAT(s.options.routers, ElementsAre(v4("192.168.2.1")));
  EXPECT_THAT(s.options.domain_name_servers, ElementsAre(v4("192.168.1.1")));
  EXPECT_EQ(s.options.domain_name, "");
  EXPECT_EQ(s.options.broadcast_address, std::nullopt);
  EXPECT_THAT(s.options.ntp_servers, IsEmpty());
  EXPECT_EQ(s.options.interface_mtu, std::nullopt);
  EXPECT_THAT(s.options.classless_static_routes, IsEmpty());
  EXPECT_THAT(s.options.custom, IsEmpty());

  ASSERT_EQ(s.reservations.size(), 1u);
  const Reservation& res = s.reservations[0];
  ASSERT_TRUE(res.hw_address.has_value());
  EXPECT_EQ(res.hw_address->to_string(), "52:54:00:12:34:56");
  EXPECT_THAT(res.client_id, IsEmpty());
  EXPECT_EQ(res.address, v4("192.168.2.10"));
  EXPECT_EQ(res.hostname, "printer");
}

TEST(Parser, BeagleTunnel) {
  const Config c = load_ok(kBeagle);
  ASSERT_EQ(c.tunnels.size(), 1u);
  const Tunnel& t = c.tunnels[0];
  EXPECT_EQ(t.name, "ip6tnl1");
  EXPECT_EQ(t.type, "dslite");
  EXPECT_EQ(t.wan_interface, "enp3s0");
  EXPECT_EQ(t.aftr_name, "gw.transix.jp");
  EXPECT_THAT(t.aftr_addresses, IsEmpty());
  EXPECT_THAT(t.resolver, IsEmpty());
  EXPECT_EQ(t.local, std::nullopt);  // auto
  EXPECT_EQ(t.mtu, 1460u);
  EXPECT_EQ(t.encap_limit, std::nullopt);  // none
  EXPECT_TRUE(t.default_route);
  EXPECT_EQ(t.health.interval, 1s);
  EXPECT_EQ(t.health.timeout, 1s);  // follows interval
  EXPECT_THAT(t.health.targets, ElementsAre(v4("203.0.113.1")));
  EXPECT_EQ(t.health.down_after, 3u);
  EXPECT_EQ(t.health.up_after, 3u);
  EXPECT_EQ(c.find_tunnel("ip6tnl1"), &t);
  EXPECT_EQ(c.find_tunnel("ip6tnl2"), nullptr);
}

TEST(Parser, BeagleFirewall) {
  const Config c = load_ok(kBeagle);
  ASSERT_TRUE(c.firewall.has_value());
  const Firewall& f = *c.firewall;
  EXPECT_TRUE(f.enabled);
  EXPECT_EQ(f.table, "pairgate");
  EXPECT_THAT(f.wan_interfaces, ElementsAre("enp3s0"));
  EXPECT_TRUE(f.mss_clamp);
  EXPECT_TRUE(f.log_drops);

  auto rule = [](std::optional<IpPrefix> from, Proto proto, std::optional<std::uint16_t> sport,
                 std::optional<std::uint16_t> dport, std::optional<Family> family) {
    FirewallRule r;
    r.from = from;
    r.proto = proto;
    r.sport = sport;
    r.dport = dport;
    r.family = family;
    return r;
  };
  const auto lan = prefix("192.168.1.0/24");
  EXPECT_THAT(f.input, ElementsAre(rule(lan, Proto::icmp, {}, {}, {}),
                                   rule(lan, Proto::vrrp, {}, {}, {}),
                                   rule({}, Proto::ipv6_icmp, {}, {}, {}),
                                   rule({}, Proto::udp, 547, 546, {}),
                                   rule({}, Proto::ipip, {}, {}, {}),
                                   rule({}, Proto::tcp, {}, 22, Family::ipv6)));
  EXPECT_THAT(f.forward, ElementsAre(rule(lan, Proto::icmp, {}, {}, {}),
                                     rule({}, Proto::ipv6_icmp, {}, {}, {})));
  EXPECT_EQ(f.input[3].mark.line, 100);
}

// primergy.yaml is beagle.yaml with the other host's interfaces, priorities
// and half of the DHCP range; nothing else may differ.
TEST(Parser, PrimergyDiffersFromBeagleOnlyWhereTheFileDoes) {
  const Config beagle = load_ok(kBeagle);
  const Config primergy = load_ok(kPrimergy);
  ASSERT_TRUE(primergy.vrrp && primergy.dhcp && primergy.firewall);
  ASSERT_EQ(primergy.vrrp->instances.size(), 2u);
  EXPECT_EQ(primergy.node, "primergy");
  EXPECT_EQ(primergy.vrrp->instances[0].interface, "enp0s25");
  EXPECT_EQ(primergy.vrrp->instances[0].priority, 100u);
  EXPECT_EQ(primergy.vrrp->instances[1].interface, "enp2s0");
  EXPECT_EQ(primergy.vrrp->instances[1].priority, 100u);
  EXPECT_EQ(primergy.vrrp->instances[1].track[1].name, "enp0s25");
  EXPECT_EQ(primergy.dhcp->subnets[0].interface, "enp2s0");
  EXPECT_THAT(primergy.dhcp->subnets[0].pools, ElementsAre(Pool{range("192.168.2.100-192.168.2.189"), {}}));
  EXPECT_EQ(primergy.tunnels[0].wan_interface, "enp0s25");
  EXPECT_THAT(primergy.firewall->wan_interfaces, ElementsAre("enp0s25"));

  Config expected = beagle;
  expected.node = "primergy";
  expected.vrrp->instances[0].interface = "enp0s25";
  expected.vrrp->instances[0].priority = 100;
  expected.vrrp->instances[1].interface = "enp2s0";
  expected.vrrp->instances[1].priority = 100;
  expected.vrrp->instances[1].track[1].name = "enp0s25";
  expected.dhcp->subnets[0].interface = "enp2s0";
  expected.dhcp->subnets[0].pools[0].range = range("192.168.2.100-192.168.2.189");
  expected.tunnels[0].wan_interface = "enp0s25";
  expected.firewall->wan_interfaces = {"enp0s25"};
  EXPECT_EQ(primergy, expected);
  EXPECT_NE(primergy, beagle);
}

TEST(Parser, OnlyNodeGivesEveryDefault) {
  const Config c = parse_ok("node: lonely\n");
  EXPECT_EQ(c.node, "lonely");
  EXPECT_EQ(c.control.socket, "/run/pairgate/control.sock");
  EXPECT_EQ(c.control.mode, 0660u);
  EXPECT_EQ(c.control.group, "");
  EXPECT_EQ(c.logging.level, LogLevel::info);
  EXPECT_EQ(c.logging.target, LogTarget::automatic);
  EXPECT_EQ(c.notify.email, std::nullopt);
  EXPECT_THAT(c.notify.exec, IsEmpty());
  EXPECT_THAT(c.sysctl, IsEmpty());
  EXPECT_EQ(c.vrrp, std::nullopt);
  EXPECT_EQ(c.dhcp, std::nullopt);
  EXPECT_THAT(c.tunnels, IsEmpty());
  EXPECT_EQ(c.firewall, std::nullopt);

  Config expected;
  expected.node = "lonely";
  EXPECT_EQ(c, expected);
}

TEST(Parser, OmittedKeysTakeTheirDefaults) {
  const Config c = parse_ok(R"(node: n
notify:
  email: {to: [ops@example.com], from: pairgate@example.com}
vrrp:
  instances:
    - {name: V, interface: eth0, vrid: 7, virtual_addresses: [192.0.2.1/24]}
  sync_groups: []
dhcp:
  subnets:
    - {interface: eth1, subnet: 198.51.100.0/24}
tunnels:
  - {name: tun0, wan_interface: eth2, aftr: "2001:db8::1"}
firewall:
  wan_interfaces: [eth2]
  input:
    - {proto: any}
)");
  ASSERT_TRUE(c.notify.email.has_value());
  EXPECT_EQ(c.notify.email->server_host, "localhost");
  EXPECT_EQ(c.notify.email->server_port, 25);
  EXPECT_EQ(c.notify.email->timeout, 30s);

  ASSERT_TRUE(c.vrrp.has_value());
  const VrrpInstance& v = c.vrrp->instances.at(0);
  EXPECT_EQ(v.priority, 100u);
  EXPECT_EQ(v.advert_interval, 1s);
  EXPECT_TRUE(v.preempt);
  EXPECT_EQ(v.preempt_delay, 0s);
  EXPECT_THAT(v.excluded_addresses, IsEmpty());
  EXPECT_EQ(v.auth_pass, "");
  EXPECT_EQ(v.garp.delay, 5s);
  EXPECT_EQ(v.garp.repeat, 5u);
  EXPECT_EQ(v.garp.refresh, 0s);
  EXPECT_THAT(v.track, IsEmpty());
  EXPECT_THAT(c.vrrp->sync_groups, IsEmpty());

  ASSERT_TRUE(c.dhcp.has_value());
  EXPECT_EQ(c.dhcp->lease_file, "/var/lib/pairgate/dhcp4.leases");
  const DhcpSubnet& s = c.dhcp->subnets.at(0);
  EXPECT_THAT(s.pools, IsEmpty());
  EXPECT_EQ(s.lease_time, 12h);
  EXPECT_EQ(s.max_lease_time, 24h);
  EXPECT_EQ(s.renew_time, std::nullopt);
  EXPECT_EQ(s.rebind_time, std::nullopt);
  EXPECT_EQ(s.conflict_check, ConflictCheck::automatic);
  EXPECT_EQ(s.options, DhcpOptions{});
  EXPECT_THAT(s.reservations, IsEmpty());

  const Tunnel& t = c.tunnels.at(0);
  EXPECT_EQ(t.type, "dslite");
  EXPECT_EQ(t.aftr_name, "");
  EXPECT_THAT(t.aftr_addresses, ElementsAre(*Ipv6Address::parse("2001:db8::1")));
  EXPECT_EQ(t.local, std::nullopt);
  EXPECT_EQ(t.mtu, 1460u);
  EXPECT_EQ(t.encap_limit, std::nullopt);
  EXPECT_TRUE(t.default_route);
  EXPECT_EQ(t.health, Health{});

  ASSERT_TRUE(c.firewall.has_value());
  EXPECT_TRUE(c.firewall->enabled);
  EXPECT_EQ(c.firewall->table, "pairgate");
  EXPECT_TRUE(c.firewall->mss_clamp);
  EXPECT_TRUE(c.firewall->log_drops);
  ASSERT_EQ(c.firewall->input.size(), 1u);
  EXPECT_EQ(c.firewall->input[0], FirewallRule{});
  EXPECT_THAT(c.firewall->forward, IsEmpty());
}

TEST(Parser, ExplicitValuesOverrideDefaults) {
  const Config c = parse_ok(R"(node: n
logging: {level: debug, target: journald}
vrrp:
  instances:
    - name: V
      interface: eth0
      vrid: 7
      priority: 255
      advert_interval: 3s
      preempt: false
      preempt_delay: 1m30s
      virtual_addresses: [192.0.2.1/24, 192.0.2.5/32]
      excluded_addresses: ["2001:db8::1/64"]
      auth_pass: secret
      garp: {delay: 0s, repeat: 1, refresh: 1m}
dhcp:
  subnets:
    - interface: eth1
      subnet: 198.51.100.0/24
      renew_time: 1h
      rebind_time: 2h
      conflict_check: none
      options:
        domain_name: example.com
        broadcast_address: 198.51.100.255
        ntp_servers: [198.51.100.1]
        interface_mtu: 1500
        classless_static_routes: [{destination: 203.0.113.0/24, gateway: 198.51.100.254}]
        custom: [{code: 252, text: "http://wpad/"}, {code: 224, hex: "01:02"}]
      reservations:
        - {client_id: "01:52:54:00:12:34:56", address: 198.51.100.10}
tunnels:
  - name: tun0
    wan_interface: eth2
    aftr: ["2001:db8::1", "2001:db8::2"]
    resolver: [192.0.2.53, "2001:db8::53"]
    local: "2001:db8:1::2"
    encap_limit: 4
    default_route: no
    health: {interval: 2s, timeout: 500ms, down_after: 5, up_after: 2}
)");
  const VrrpInstance& v = c.vrrp->instances.at(0);
  EXPECT_EQ(v.priority, 255u);
  EXPECT_EQ(v.advert_interval, 3s);
  EXPECT_FALSE(v.preempt);
  EXPECT_EQ(v.preempt_delay, 90s);
  EXPECT_THAT(v.virtual_addresses, ElementsAre(prefix("192.0.2.1/24"), prefix("192.0.2.5/32")));
  EXPECT_THAT(v.excluded_addresses, ElementsAre(prefix("2001:db8::1/64")));
  EXPECT_EQ(v.auth_pass, "secret");
  EXPECT_EQ(v.garp.delay, 0s);
  EXPECT_EQ(v.garp.repeat, 1u);
  EXPECT_EQ(v.garp.refresh, 60s);
  EXPECT_EQ(c.logging.level, LogLevel::debug);
  EXPECT_EQ(c.logging.target, LogTarget::journald);

  const DhcpSubnet& s = c.dhcp->subnets.at(0);
  EXPECT_EQ(s.renew_time, 1h);
  EXPECT_EQ(s.rebind_time, 2h);
  EXPECT_EQ(s.conflict_check, ConflictCheck::none);
  EXPECT_EQ(s.options.domain_name, "example.com");
  EXPECT_EQ(s.options.broadcast_address, v4("198.51.100.255"));
  EXPECT_THAT(s.options.ntp_servers, ElementsAre(v4("198.51.100.1")));
  EXPECT_EQ(s.options.interface_mtu, 1500u);
  EXPECT_THAT(s.options.classless_static_routes,
              ElementsAre(StaticRoute{prefix("203.0.113.0/24"), v4("198.51.100.254")}));
  ASSERT_EQ(s.options.custom.size(), 2u);
  EXPECT_EQ(s.options.custom[0].code, 252u);
  EXPECT_EQ(std::string(s.options.custom[0].data.begin(), s.options.custom[0].data.end()), "http://wpad/");
  EXPECT_EQ(s.options.custom[1].code, 224u);
  EXPECT_THAT(s.options.custom[1].data, ElementsAre(1, 2));
  EXPECT_EQ(s.reservations.at(0).hw_address, std::nullopt);
  EXPECT_THAT(s.reservations.at(0).client_id, ElementsAre(0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56));

  const Tunnel& t = c.tunnels.at(0);
  EXPECT_EQ(t.aftr_name, "");
  EXPECT_THAT(t.aftr_addresses,
              ElementsAre(*Ipv6Address::parse("2001:db8::1"), *Ipv6Address::parse("2001:db8::2")));
  EXPECT_THAT(t.resolver, ElementsAre(IpAddress(v4("192.0.2.53")), IpAddress(*Ipv6Address::parse("2001:db8::53"))));
  EXPECT_EQ(t.local, Ipv6Address::parse("2001:db8:1::2"));
  EXPECT_EQ(t.encap_limit, 4u);
  EXPECT_FALSE(t.default_route);
  EXPECT_EQ(t.health.interval, 2s);
  EXPECT_EQ(t.health.timeout, 500ms);
  EXPECT_EQ(t.health.down_after, 5u);
  EXPECT_EQ(t.health.up_after, 2u);
}

TEST(Parser, SysctlKeysInEitherOfSysctlsForms) {
  const Config c = parse_ok("node: n\nsysctl:\n  net.ipv4.conf.lo.rp_filter: 2\n  net/ipv4/conf/lo/forwarding: 1\n");
  ASSERT_EQ(c.sysctl.size(), 2u);
  EXPECT_EQ(c.sysctl[0].key, "net.ipv4.conf.lo.rp_filter");
  EXPECT_EQ(c.sysctl[0].value, "2");
  EXPECT_EQ(c.sysctl[1].key, "net/ipv4/conf/lo/forwarding");
}

TEST(Parser, EmailServerForms) {
  auto server = [](std::string_view s) {
    const Config c = parse_ok("node: n\nnotify:\n  email: {to: [a@example.com], from: b@example.com, server: \"" +
                              std::string(s) + "\"}\n");
    return std::pair(c.notify.email.value_or(Email{}).server_host, c.notify.email.value_or(Email{}).server_port);
  };
  EXPECT_EQ(server("mail.example.com"), std::pair(std::string("mail.example.com"), std::uint16_t{25}));
  EXPECT_EQ(server("mail.example.com:587"), std::pair(std::string("mail.example.com"), std::uint16_t{587}));
  EXPECT_EQ(server("[2001:db8::25]:2525"), std::pair(std::string("2001:db8::25"), std::uint16_t{2525}));
  EXPECT_EQ(server("[2001:db8::25]"), std::pair(std::string("2001:db8::25"), std::uint16_t{25}));
  EXPECT_EQ(server("2001:db8::25"), std::pair(std::string("2001:db8::25"), std::uint16_t{25}));
}

TEST(Parser, EverySectionButNodeMayBeOmitted) {
  const Config dhcp_only = parse_ok(R"(node: n
dhcp:
  subnets:
    - {interface: eth1, subnet: 198.51.100.0/24, pools: [198.51.100.10-198.51.100.20]}
)");
  EXPECT_EQ(dhcp_only.vrrp, std::nullopt);
  EXPECT_THAT(dhcp_only.tunnels, IsEmpty());
  EXPECT_EQ(dhcp_only.firewall, std::nullopt);
  ASSERT_TRUE(dhcp_only.dhcp.has_value());
  EXPECT_EQ(dhcp_only.dhcp->subnets.size(), 1u);

  const Config vrrp_only = parse_ok(R"(node: n
vrrp:
  instances:
    - {name: V, interface: eth0, vrid: 7, virtual_addresses: [192.0.2.1/24]}
)");
  EXPECT_EQ(vrrp_only.dhcp, std::nullopt);
  ASSERT_TRUE(vrrp_only.vrrp.has_value());
  EXPECT_EQ(vrrp_only.vrrp->instances.size(), 1u);

  // An empty section is present with its defaults.
  const Config empty_sections = parse_ok("node: n\ncontrol:\nvrrp:\ndhcp: {}\nfirewall: {enabled: false}\n");
  ASSERT_TRUE(empty_sections.vrrp.has_value());
  EXPECT_EQ(*empty_sections.vrrp, Vrrp{});
  ASSERT_TRUE(empty_sections.dhcp.has_value());
  EXPECT_EQ(*empty_sections.dhcp, Dhcp{});
  ASSERT_TRUE(empty_sections.firewall.has_value());
  EXPECT_FALSE(empty_sections.firewall->enabled);
  EXPECT_EQ(empty_sections.control, Control{});
}

TEST(Parser, NodeIsRequiredEvenInAnEmptyFile) {
  for (std::string_view text : {"", "# only a comment\n", "---\n"}) {
    SCOPED_TRACE(text);
    LoadResult r = parse(text, "empty.yaml");
    EXPECT_FALSE(r.config.has_value());
    EXPECT_THAT(r.errors, ElementsAre(Diagnostic{"empty.yaml", 0, 0,
                                                 "configuration: the file is empty; at least 'node' is required"}));
  }
  LoadResult r = parse("- node: n\n", "list.yaml");
  EXPECT_THAT(r.errors, ElementsAre(Diagnostic{"list.yaml", 1, 1, "configuration: expected a mapping of keys"}));
}

std::vector<std::string> headlines(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.errors) out.push_back(headline(d));
  return out;
}

TEST(Parser, ReportsEveryErrorOfAFileSortedByPosition) {
  // Found in a different order than they stand: unknown keys are reported
  // when their mapping is done, after the keys inside it.
  const LoadResult r = parse(R"(node: beagle
colour: red
logging:
  level: loud
vrrp:
  instances:
    - name: VRRP1
      interface: eth0
      vrid: 0
      virtual_addresses: [192.0.2.2]
      preemt: yes
tunnels:
  - name: tun0
    wan_interface: eth1
    aftr: "2001:db8::1"
    mtu: 100
firewall:
  tabel: x
)",
                             "many.yaml");
  EXPECT_FALSE(r.config.has_value());
  EXPECT_THAT(headlines(r),
              ElementsAre("many.yaml:2:1: error: configuration: unknown key 'colour'",
                          "many.yaml:4:10: error: logging.level: 'loud' is not one of trace, debug, info, warn, error",
                          "many.yaml:9:13: error: vrid: 0 is out of range 1..255",
                          "many.yaml:10:27: error: virtual_addresses: '192.0.2.2' needs a prefix length (ADDRESS/LENGTH)",
                          "many.yaml:11:7: error: vrrp instance: unknown key 'preemt' (did you mean 'preempt'?)",
                          "many.yaml:16:10: error: mtu: 100 is out of range 1280..65535",
                          "many.yaml:18:3: error: firewall: unknown key 'tabel' (did you mean 'table'?)"));
}

TEST(Parser, ReportsEveryCrossCheckErrorTogether) {
  const LoadResult r = parse(R"(node: beagle
vrrp:
  instances:
    - name: VRRP1
      interface: eth0
      vrid: 1
      virtual_addresses: [192.0.2.2/24]
      track: [{tunnel: tun9}]
    - name: VRRP1
      interface: eth0
      vrid: 1
      virtual_addresses: [192.0.2.3/24]
dhcp:
  subnets:
    - interface: eth1
      subnet: 198.51.100.0/24
      pools: [198.51.100.0-198.51.100.9]
)",
                             "cross.yaml");
  EXPECT_THAT(headlines(r),
              ElementsAre("cross.yaml:8:15: error: vrrp instance VRRP1: tracked tunnel 'tun9' is not declared in tunnels",
                          "cross.yaml:9:13: error: vrrp instance name 'VRRP1' is used twice (line 4)",
                          "cross.yaml:11:13: error: vrrp instance VRRP1: vrid 1 on eth0 is already used by VRRP1",
                          "cross.yaml:17:15: error: dhcp subnet 198.51.100.0/24: pool 198.51.100.0-198.51.100.9 "
                          "includes the network address 198.51.100.0"));
}

TEST(Parser, ErrorsAreNotRepeatedForAMissingKey) {
  const LoadResult r = parse("node: n\nvrrp:\n  instances:\n    - {interface: eth0, vrid: 1, virtual_addresses: [192.0.2.2/24]}\n",
                             "t.yaml");
  EXPECT_THAT(headlines(r), ElementsAre("t.yaml:4:7: error: vrrp instance: missing required key 'name'"));
}

TEST(Parser, ReportFormatsEveryError) {
  const LoadResult r = parse("node: n\nlogging:\n  level: loud\n  target: syslog\n", "r.yaml");
  EXPECT_EQ(r.report(),
            "r.yaml:3:10: error: logging.level: 'loud' is not one of trace, debug, info, warn, error\n"
            "   level: loud\n"
            "          ^\n"
            "r.yaml:4:11: error: logging.target: 'syslog' is not one of auto, stderr, journald\n"
            "   target: syslog\n"
            "           ^\n");
}

TEST(Parser, LoadReportsAnUnreadableFile) {
  LoadResult r = load("/nonexistent/pairgate.yaml");
  EXPECT_FALSE(r.config.has_value());
  EXPECT_THAT(r.errors, ElementsAre(Diagnostic{"/nonexistent/pairgate.yaml", 0, 0,
                                               "cannot read the file: No such file or directory"}));
  r = load(PAIRGATE_SHARED_DIR "/design");
  EXPECT_THAT(r.errors, ElementsAre(Diagnostic{PAIRGATE_SHARED_DIR "/design", 0, 0,
                                               "cannot read the file: it is a directory"}));
}

TEST(Parser, ParseNamesTheFileInDiagnostics) {
  LoadResult r = parse("node: [a]\n", "/etc/pairgate/pairgate.yaml");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].file, "/etc/pairgate/pairgate.yaml");
  EXPECT_EQ(r.source, "node: [a]\n");
}

}  // namespace
}  // namespace pairgate::conf
