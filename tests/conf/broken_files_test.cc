// One valid file, broken one way per case: each case expects the exact
// position and message of the first error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "conf/parser.h"
#include "tests/conf/print.h"

namespace pairgate::conf {
namespace {

// Line numbers in the cases below count from here: "node" is line 1.
constexpr std::string_view kBase = R"(node: beagle
control:
  mode: "0660"
notify:
  exec: [/bin/true]
sysctl:
  net.ipv4.ip_forward: 1
vrrp:
  instances:
    - name: VRRP1
      interface: eth0
      vrid: 1
      priority: 200
      advert_interval: 1s
      preempt: true
      preempt_delay: 0s
      virtual_addresses: [192.0.2.2/24]
      garp: {delay: 5s, repeat: 5}
      track:
        - tunnel: tun0
        - interface: eth1
          weight: -60
    - name: VRRP2
      interface: eth1
      vrid: 2
      virtual_addresses: [198.51.100.1/24]
  sync_groups:
    - name: LAN
      instances: [VRRP1, VRRP2]
dhcp:
  subnets:
    - interface: eth1
      subnet: 198.51.100.0/24
      pools: [198.51.100.20-198.51.100.99]
      lease_time: 10m
      max_lease_time: 2h
      options:
        routers: [198.51.100.1]
        custom:
          - {code: 252, text: "http://wpad/wpad.dat"}
      reservations:
        - {hw_address: "52:54:00:12:34:56", address: 198.51.100.10}
tunnels:
  - name: tun0
    wan_interface: eth2
    aftr: "2001:db8::1"
    health:
      targets: [203.0.113.1]
      down_after: 3
firewall:
  wan_interfaces: [eth2]
  input:
    - {proto: tcp, dport: 22}
    - {from: 192.0.2.0/24, proto: icmp}
)";

struct Case {
  const char* name;       // the test's name
  std::string_view find;  // occurs once in kBase
  std::string_view replace;
  int line;
  int column;
  std::string_view message;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

const Case kCases[] = {
    // YAML itself.
    {"yaml_tab_indent", "      vrid: 1\n", "\tvrid: 1\n", 12, 1,
     "YAML syntax: illegal tab when looking for indentation"},
    {"yaml_bad_indent", "      priority: 200\n", "       priority: 200\n", 13, 16,
     "YAML syntax: illegal map value"},
    {"yaml_unclosed_flow", "      garp: {delay: 5s, repeat: 5}\n", "      garp: {delay: 5s, repeat: 5\n", 19,
     12, "YAML syntax: end of map flow not found"},
    {"yaml_undefined_alias", "      vrid: 2\n", "      vrid: *two\n", 25, 13,
     "YAML syntax: the referenced anchor is not defined"},

    // Keys.
    {"unknown_top_level_key", "vrrp:\n", "vrp:\n", 8, 1, "configuration: unknown key 'vrp' (did you mean 'vrrp'?)"},
    {"unknown_nested_key", "      preempt_delay: 0s\n", "      preempt_dealy: 0s\n", 16, 7,
     "vrrp instance: unknown key 'preempt_dealy' (did you mean 'preempt_delay'?)"},
    {"unknown_deep_key", "      down_after: 3\n", "      down_afer: 3\n", 49, 7,
     "health: unknown key 'down_afer' (did you mean 'down_after'?)"},
    {"unknown_key_far_from_any", "    aftr: \"2001:db8::1\"\n", "    aftr: \"2001:db8::1\"\n    colour: red\n", 47,
     5, "tunnel: unknown key 'colour'"},
    {"duplicate_key", "      vrid: 1\n", "      vrid: 1\n      vrid: 3\n", 13, 7,
     "vrrp instance: duplicate key 'vrid' (first at line 12)"},
    {"section_not_a_mapping", "control:\n  mode: \"0660\"\n", "control: /run/pg.sock\n", 2, 10,
     "control: expected a mapping of keys"},
    {"list_expected", "      pools: [198.51.100.20-198.51.100.99]\n", "      pools: 198.51.100.20-198.51.100.99\n", 34,
     14, "pools: expected a list"},
    {"scalar_expected", "      priority: 200\n", "      priority: [200]\n", 13, 17,
     "priority: expected a single value, not a list"},
    {"empty_value", "      preempt: true\n", "      preempt:\n", 15, 7, "preempt: expected a value"},
    {"empty_list_entry", "[192.0.2.2/24]", "[192.0.2.2/24, ~]", 17, 41, "virtual_addresses: an empty entry"},

    // Required keys.
    {"missing_node", "node: beagle\n", "", 1, 1, "configuration: missing required key 'node'"},
    {"missing_vrrp_name", "    - name: VRRP1\n      interface: eth0\n", "    - interface: eth0\n", 10, 7,
     "vrrp instance: missing required key 'name'"},
    {"missing_vrrp_interface", "      interface: eth0\n", "", 10, 7, "vrrp instance: missing required key 'interface'"},
    {"missing_vrrp_vrid", "      vrid: 1\n", "", 10, 7, "vrrp instance: missing required key 'vrid'"},
    {"missing_virtual_addresses", "      virtual_addresses: [192.0.2.2/24]\n", "", 10, 7,
     "vrrp instance: missing required key 'virtual_addresses'"},
    {"empty_virtual_addresses", "[192.0.2.2/24]", "[]", 17, 26, "virtual_addresses: at least one address is required"},
    {"null_virtual_addresses", "      virtual_addresses: [192.0.2.2/24]\n", "      virtual_addresses:\n", 17, 7,
     "virtual_addresses: at least one address is required"},
    {"missing_subnet_interface", "    - interface: eth1\n      subnet:", "    - subnet:", 32, 7,
     "dhcp subnet: missing required key 'interface'"},
    {"missing_subnet_subnet", "      subnet: 198.51.100.0/24\n", "", 32, 7,
     "dhcp subnet: missing required key 'subnet'"},
    {"missing_tunnel_name", "  - name: tun0\n    wan_interface: eth2\n", "  - wan_interface: eth2\n", 44, 5,
     "tunnel: missing required key 'name'"},
    {"missing_tunnel_wan_interface", "    wan_interface: eth2\n", "", 44, 5,
     "tunnel: missing required key 'wan_interface'"},
    {"missing_tunnel_aftr", "    aftr: \"2001:db8::1\"\n", "", 44, 5, "tunnel: missing required key 'aftr'"},

    // Numbers.
    {"vrid_0", "      vrid: 1\n", "      vrid: 0\n", 12, 13, "vrid: 0 is out of range 1..255"},
    {"vrid_256", "      vrid: 1\n", "      vrid: 256\n", 12, 13, "vrid: 256 is out of range 1..255"},
    {"vrid_beyond_64_bits", "      vrid: 1\n", "      vrid: 99999999999999999999\n", 12, 13,
     "vrid: 99999999999999999999 is out of range 1..255"},
    {"vrid_not_a_number", "      vrid: 1\n", "      vrid: one\n", 12, 13, "vrid: expected a whole number, got 'one'"},
    {"priority_0", "priority: 200", "priority: 0", 13, 17, "priority: 0 is out of range 1..255"},
    {"garp_repeat_0", "repeat: 5}", "repeat: 0}", 18, 33, "repeat: 0 is out of range 1..100"},
    {"garp_repeat_101", "repeat: 5}", "repeat: 101}", 18, 33, "repeat: 101 is out of range 1..100"},
    {"health_down_after_0", "down_after: 3", "down_after: 0", 49, 19, "down_after: 0 is out of range 1..100"},

    // Durations.
    {"duration_without_unit", "advert_interval: 1s", "advert_interval: 1", 14, 24,
     "advert_interval: a duration needs a unit (1s, 1ms, ...)"},
    {"duration_malformed", "lease_time: 10m", "lease_time: 10 minutes", 35, 19,
     "lease_time: expected a duration such as 500ms, 1s, 2m or 1h, got '10 minutes'"},
    {"duration_units_out_of_order", "lease_time: 10m", "lease_time: 30s10m", 35, 19,
     "lease_time: expected a duration such as 500ms, 1s, 2m or 1h, got '30s10m'"},
    {"advert_interval_not_whole_seconds", "advert_interval: 1s", "advert_interval: 1500ms", 14, 24,
     "advert_interval: 1500ms is not a whole number of seconds (VRRPv2 advertises 1s..255s)"},
    {"advert_interval_too_long", "advert_interval: 1s", "advert_interval: 5m", 14, 24,
     "advert_interval: 5m is out of range 1s..255s"},
    {"preempt_delay_too_long", "preempt_delay: 0s", "preempt_delay: 1h", 16, 22,
     "preempt_delay: 1h is out of range 0s..1000s"},

    // Booleans and choices.
    {"bad_boolean", "preempt: true", "preempt: maybe", 15, 16, "preempt: expected true or false, got 'maybe'"},
    {"control_mode_not_octal", "mode: \"0660\"", "mode: \"0999\"", 3, 9,
     "control.mode: expected octal permissions such as \"0660\", got '0999'"},
    {"control_mode_owner_cannot_write", "mode: \"0660\"", "mode: \"0460\"", 3, 9,
     "control.mode: the owner needs read and write (0600)"},

    // Addresses.
    {"bad_ipv4_address", "routers: [198.51.100.1]", "routers: [198.51.100.256]", 38, 19,
     "routers: expected an IPv4 address, got '198.51.100.256'"},
    {"bad_prefix", "[192.0.2.2/24]", "[192.0.2/24]", 17, 27, "virtual_addresses: expected ADDRESS/LENGTH, got '192.0.2/24'"},
    {"prefix_length_too_long", "[192.0.2.2/24]", "[192.0.2.2/33]", 17, 27,
     "virtual_addresses: expected ADDRESS/LENGTH, got '192.0.2.2/33'"},
    {"prefix_without_length", "[192.0.2.2/24]", "[192.0.2.2]", 17, 27,
     "virtual_addresses: '192.0.2.2' needs a prefix length (ADDRESS/LENGTH)"},
    {"ipv6_virtual_address", "[192.0.2.2/24]", "[\"2001:db8::2/64\"]", 17, 27,
     "virtual_addresses: 2001:db8::2/64 is IPv6; VRRPv2 carries IPv4 only (put IPv6 in excluded_addresses)"},
    {"bad_mac_address", "\"52:54:00:12:34:56\"", "\"52:54:00:12:34\"", 42, 24,
     "hw_address: expected a MAC address such as 52:54:00:12:34:56, got '52:54:00:12:34'"},
    {"interface_name_too_long", "      interface: eth0\n", "      interface: enp3s0f0verylong\n", 11, 18,
     "interface: 'enp3s0f0verylong' is longer than 15 bytes (IFNAMSIZ - 1)"},
    {"interface_name_with_slash", "      interface: eth0\n", "      interface: eth/0\n", 11, 18,
     "interface: 'eth/0' is not an interface name (no '/', ':', quotes, backslashes or spaces)"},

    // VRRP cross-checks.
    {"duplicate_instance_name", "    - name: VRRP2\n", "    - name: VRRP1\n", 23, 13,
     "vrrp instance name 'VRRP1' is used twice (line 10)"},
    {"duplicate_vrid_on_interface", "      interface: eth1\n      vrid: 2\n", "      interface: eth0\n      vrid: 1\n",
     25, 13, "vrrp instance VRRP2: vrid 1 on eth0 is already used by VRRP1"},
    {"duplicate_virtual_address", "[198.51.100.1/24]", "[192.0.2.2/24]", 26, 27,
     "vrrp instance VRRP2: 192.0.2.2 is already an address of VRRP1"},
    {"virtual_address_is_network", "[192.0.2.2/24]", "[192.0.2.0/24]", 17, 27,
     "vrrp instance VRRP1: virtual address 192.0.2.0/24 is the network address of 192.0.2.0/24"},
    {"virtual_address_is_broadcast", "[192.0.2.2/24]", "[192.0.2.255/24]", 17, 27,
     "vrrp instance VRRP1: virtual address 192.0.2.255/24 is the broadcast address of 192.0.2.0/24"},
    {"track_undeclared_tunnel", "        - tunnel: tun0\n", "        - tunnel: tun9\n", 20, 11,
     "vrrp instance VRRP1: tracked tunnel 'tun9' is not declared in tunnels"},
    {"track_weight_0", "weight: -60", "weight: 0", 22, 19,
     "track.weight: 0 would change nothing; leave weight out to enter FAULT instead"},
    {"track_own_interface", "        - interface: eth1\n", "        - interface: eth0\n", 21, 11,
     "vrrp instance VRRP1: its own interface eth0 is always tracked; remove this entry"},
    {"track_tunnel_and_interface", "        - tunnel: tun0\n", "        - {tunnel: tun0, interface: eth3}\n", 20, 11,
     "track entry: give exactly one of 'tunnel' or 'interface'"},
    {"track_neither_tunnel_nor_interface", "        - tunnel: tun0\n", "        - {weight: -10}\n", 20, 11,
     "track entry: give exactly one of 'tunnel' or 'interface'"},
    {"sync_group_unknown_member", "[VRRP1, VRRP2]", "[VRRP1, VRRP3]", 29, 26,
     "sync group LAN: no vrrp instance named 'VRRP3'"},
    {"sync_group_member_in_two_groups", "      instances: [VRRP1, VRRP2]\n",
     "      instances: [VRRP1, VRRP2]\n    - name: WAN\n      instances: [VRRP2]\n", 31, 19,
     "sync group WAN: instance VRRP2 is already in sync group LAN"},

    // DHCP.
    {"subnet_host_bits_set", "subnet: 198.51.100.0/24", "subnet: 198.51.100.1/24", 33, 15,
     "subnet: 198.51.100.1/24 has host bits set (did you mean 198.51.100.0/24?)"},
    {"subnet_31", "subnet: 198.51.100.0/24", "subnet: 198.51.100.0/31", 33, 15,
     "subnet: /31 leaves no addresses to lease (at most /30)"},
    {"pool_malformed", "[198.51.100.20-198.51.100.99]", "[198.51.100.20 - 198.51.100.99]", 34, 15,
     "pools: expected FIRST-LAST such as 192.0.2.20-192.0.2.99, got '198.51.100.20 - 198.51.100.99'"},
    {"pool_outside_subnet", "[198.51.100.20-198.51.100.99]", "[198.51.100.20-198.51.101.99]", 34, 15,
     "dhcp subnet 198.51.100.0/24: pool 198.51.100.20-198.51.101.99 is not inside the subnet"},
    {"pool_overlaps_pool", "[198.51.100.20-198.51.100.99]", "[198.51.100.20-198.51.100.99, 198.51.100.90-198.51.100.120]",
     34, 44,
     "dhcp subnet 198.51.100.0/24: pool 198.51.100.90-198.51.100.120 overlaps pool 198.51.100.20-198.51.100.99 (line 34)"},
    {"pool_includes_network_address", "[198.51.100.20-198.51.100.99]", "[198.51.100.0-198.51.100.99]", 34, 15,
     "dhcp subnet 198.51.100.0/24: pool 198.51.100.0-198.51.100.99 includes the network address 198.51.100.0"},
    {"pool_includes_broadcast_address", "[198.51.100.20-198.51.100.99]", "[198.51.100.200-198.51.100.255]", 34, 15,
     "dhcp subnet 198.51.100.0/24: pool 198.51.100.200-198.51.100.255 includes the broadcast address 198.51.100.255"},
    {"pool_ends_before_start", "[198.51.100.20-198.51.100.99]", "[198.51.100.99-198.51.100.20]", 34, 15,
     "pools: 198.51.100.99-198.51.100.20 ends before it starts"},
    {"reservation_inside_pool", "address: 198.51.100.10}", "address: 198.51.100.50}", 42, 54,
     "dhcp subnet 198.51.100.0/24: reservation 198.51.100.50 lies inside pool 198.51.100.20-198.51.100.99 "
     "(keep reservations out of the pools)"},
    {"reservation_outside_subnet", "address: 198.51.100.10}", "address: 192.0.2.10}", 42, 54,
     "dhcp subnet 198.51.100.0/24: reservation 192.0.2.10 is not inside the subnet"},
    {"duplicate_reservation_address", "address: 198.51.100.10}\n",
     "address: 198.51.100.10}\n        - {hw_address: \"52:54:00:12:34:57\", address: 198.51.100.10}\n", 43, 54,
     "dhcp subnet 198.51.100.0/24: 198.51.100.10 is reserved twice (line 42)"},
    {"duplicate_reservation_hw_address", "address: 198.51.100.10}\n",
     "address: 198.51.100.10}\n        - {hw_address: \"52:54:00:12:34:56\", address: 198.51.100.11}\n", 43, 11,
     "dhcp subnet 198.51.100.0/24: hw_address 52:54:00:12:34:56 is reserved twice (line 42)"},
    {"router_outside_subnet", "routers: [198.51.100.1]", "routers: [192.0.2.1]", 38, 19,
     "dhcp subnet 198.51.100.0/24: router 192.0.2.1 is not inside the subnet"},
    {"router_is_broadcast", "routers: [198.51.100.1]", "routers: [198.51.100.255]", 38, 19,
     "dhcp subnet 198.51.100.0/24: router 198.51.100.255 is the network or broadcast address"},
    {"lease_time_above_max", "lease_time: 10m", "lease_time: 3h", 35, 19,
     "dhcp subnet 198.51.100.0/24: lease_time 3h is longer than max_lease_time 2h"},
    {"renew_not_before_rebind", "      lease_time: 10m\n",
     "      lease_time: 10m\n      renew_time: 8m\n      rebind_time: 5m\n", 36, 19,
     "dhcp subnet 198.51.100.0/24: need renew_time < rebind_time < lease_time (RFC 2131 §4.4.5), have 8m, 5m, 10m"},
    {"custom_option_reserved_code", "{code: 252,", "{code: 3,", 40, 20,
     "code: option 3 cannot be custom: use 'routers'"},
    {"custom_option_without_data", "{code: 252, text: \"http://wpad/wpad.dat\"}", "{code: 252}", 40, 13,
     "custom option: give exactly one of 'hex' or 'text'"},

    // Tunnels.
    {"tunnel_type_unknown", "  - name: tun0\n", "  - name: tun0\n    type: gre\n", 45, 11,
     "type: 'gre' is not one of dslite, mape, ipip"},
    {"aftr_link_local", "aftr: \"2001:db8::1\"", "aftr: \"fe80::1\"", 46, 11,
     "aftr: fe80::1 is not a global unicast address"},
    {"aftr_ipv4", "aftr: \"2001:db8::1\"", "aftr: 192.0.2.1", 46, 11, "aftr: expected an IPv6 address, got 192.0.2.1"},
    {"aftr_not_a_name", "aftr: \"2001:db8::1\"", "aftr: gw..example", 46, 11,
     "aftr: 'gw..example' is neither an IPv6 address nor a host name"},
    {"two_default_routes", "firewall:\n", "  - {name: tun1, wan_interface: eth3, aftr: \"2001:db8::2\"}\nfirewall:\n", 50, 5,
     "tunnel tun1: default_route (on unless set to false) is already on tunnel tun0"},
    {"tunnel_name_is_an_interface", "firewall:\n",
     "  - {name: eth1, wan_interface: eth3, aftr: \"2001:db8::2\", default_route: false}\nfirewall:\n", 50, 5,
     "tunnel eth1: the name is already an interface in this file"},
    {"duplicate_tunnel_name", "firewall:\n",
     "  - {name: tun0, wan_interface: eth3, aftr: \"2001:db8::2\", default_route: false}\nfirewall:\n", 50, 5,
     "tunnel name 'tun0' is used twice (line 44)"},

    // Firewall.
    {"firewall_table_invalid", "firewall:\n", "firewall:\n  table: 1table\n", 51, 10,
     "table: '1table' is not an nftables name (a letter, then letters, digits or '_')"},
    {"firewall_without_wan_interfaces", "  wan_interfaces: [eth2]\n", "", 51, 3,
     "firewall: wan_interfaces is required when the firewall is enabled"},
    {"sport_without_tcp_or_udp", "proto: icmp}", "proto: icmp, sport: 7}", 54, 7,
     "firewall.input rule: sport and dport need proto tcp or udp"},
    {"family_contradicts_proto", "proto: icmp}", "proto: icmp, family: ipv6}", 54, 7,
     "firewall.input rule: proto icmp is ipv4 only, but family is ipv6"},
    {"family_contradicts_from", "{proto: tcp, dport: 22}", "{from: 192.0.2.0/24, proto: tcp, dport: 22, family: ipv6}",
     53, 7, "firewall.input rule: from 192.0.2.0/24 is ipv4, but family is ipv6"},
    {"unknown_proto", "{proto: tcp, dport: 22}", "{proto: sctp}", 53, 15,
     "proto: 'sctp' is not one of any, icmp, ipv6-icmp, vrrp, ipip, tcp, udp"},

    // What only the host can tell, and the rest of the top level.
    {"control_group_missing", "  mode: \"0660\"\n", "  mode: \"0660\"\n  group: nosuchgroup-pairgate\n", 4, 10,
     "control.group: no group named 'nosuchgroup-pairgate' on this host"},
    {"sysctl_unknown_to_kernel", "net.ipv4.ip_forward: 1", "net.ipv4.ip_forwarding: 1", 7, 3,
     "sysctl: this kernel has no 'net.ipv4.ip_forwarding' (/proc/sys/net/ipv4/ip_forwarding)"},
    {"sysctl_directory", "net.ipv4.ip_forward: 1", "net.ipv4: 1", 7, 3,
     "sysctl: this kernel has no 'net.ipv4' (/proc/sys/net/ipv4)"},
    {"sysctl_duplicate_key", "  net.ipv4.ip_forward: 1\n", "  net.ipv4.ip_forward: 1\n  net.ipv4.ip_forward: 0\n", 8, 3,
     "sysctl: duplicate key 'net.ipv4.ip_forward' (first at line 7)"},
    {"email_server_unclosed_bracket", "  exec: [/bin/true]\n",
     "  exec: [/bin/true]\n  email: {to: [ops@example.com], from: pg@example.com, server: \"[::1\"}\n", 6, 64,
     "notify.email.server: expected HOST or HOST:PORT, got '[::1'"},
    {"email_server_empty_port", "  exec: [/bin/true]\n",
     "  exec: [/bin/true]\n  email: {to: [ops@example.com], from: pg@example.com, server: \"mail:\"}\n", 6, 64,
     "notify.email.server: expected HOST or HOST:PORT, got 'mail:'"},
    {"email_to_not_an_address", "  exec: [/bin/true]\n",
     "  exec: [/bin/true]\n  email: {to: [ops], from: pg@example.com}\n", 6, 16,
     "notify.email.to: 'ops' is not an e-mail address"},
    {"notify_exec_not_absolute", "[/bin/true]", "[notify.sh]", 5, 10, "notify.exec: 'notify.sh' must be an absolute path"},
    {"node_with_spaces", "node: beagle", "node: my router", 1, 7,
     "node: expected a host name of letters, digits, '-', '_' and '.' (at most 64)"},
};

class BrokenFile : public ::testing::TestWithParam<Case> {};

std::string apply(const Case& c) {
  std::string text(kBase);
  const auto at = text.find(c.find);
  EXPECT_NE(at, std::string::npos) << "'" << c.find << "' is not in the base file";
  EXPECT_EQ(text.find(c.find, at + 1), std::string::npos) << "'" << c.find << "' is in the base file twice";
  if (at != std::string::npos) text.replace(at, c.find.size(), c.replace);
  return text;
}

TEST(BrokenFileBase, IsValid) {
  LoadResult r = parse(kBase, "base.yaml");
  EXPECT_THAT(r.errors, ::testing::IsEmpty()) << r.report();
}

TEST_P(BrokenFile, FirstErrorIsExact) {
  const Case& c = GetParam();
  const std::string text = apply(c);
  LoadResult r = parse(text, "broken.yaml");
  SCOPED_TRACE(r.report());
  EXPECT_FALSE(r.config.has_value());
  ASSERT_FALSE(r.errors.empty());
  EXPECT_EQ(r.errors[0], (Diagnostic{"broken.yaml", c.line, c.column, std::string(c.message)}));
}

INSTANTIATE_TEST_SUITE_P(Conf, BrokenFile, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(BrokenFileCases, AreManyAndDistinct) {
  EXPECT_GE(std::size(kCases), 40u);
  for (std::size_t i = 0; i < std::size(kCases); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      EXPECT_FALSE(kCases[i].find == kCases[j].find && kCases[i].replace == kCases[j].replace)
          << kCases[i].name << " repeats " << kCases[j].name;
    }
  }
}

}  // namespace
}  // namespace pairgate::conf
