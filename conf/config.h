// The typed configuration: one struct per section of pairgate.yaml.
//
// Defaults here are the defaults of the file format (docs/configuration.md is
// the reference). Structs compare with ==; source positions (Mark) never make
// two configurations differ, so diff() sees only what an operator changed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/address.h"
#include "tunnel/map_rule.h"  // pure RFC 7597 types (library pairgate_map, core only)

namespace pairgate::conf {

using Duration = std::chrono::milliseconds;
using namespace std::chrono_literals;

// Where a value stood in the file, 1-based; {0, 0} when it came from a default.
struct Mark {
  int line = 0;
  int column = 0;
  // Positions are not part of a configuration's meaning.
  friend constexpr bool operator==(const Mark&, const Mark&) { return true; }
};

// The marks of a list's elements, index for index; empty for a configuration
// built in code. Like Mark, never part of a configuration's meaning.
struct MarkList : std::vector<Mark> {
  friend bool operator==(const MarkList&, const MarkList&) { return true; }
};

enum class LogLevel { trace, debug, info, warn, error };
enum class LogTarget { automatic, stderr_stream, journald };

struct Control {
  std::string socket = "/run/pairgate/control.sock";
  unsigned mode = 0660;
  std::string group;  // empty: the daemon's own group
  Mark group_mark;
  bool operator==(const Control&) const = default;
};

struct Logging {
  LogLevel level = LogLevel::info;
  LogTarget target = LogTarget::automatic;
  bool operator==(const Logging&) const = default;
};

struct Email {
  std::vector<std::string> to;  // required, at least one
  std::string from;             // required
  std::string server_host = "localhost";
  std::uint16_t server_port = 25;
  Duration timeout = 30s;
  bool operator==(const Email&) const = default;
};

struct Notify {
  std::optional<Email> email;
  std::vector<std::string> exec;  // absolute paths, run with: instance old_state new_state
  bool operator==(const Notify&) const = default;
};

struct SysctlEntry {
  std::string key;    // "net.ipv4.ip_forward"
  std::string value;  // as written
  Mark mark;
  bool operator==(const SysctlEntry&) const = default;
};

struct Garp {
  Duration delay = 5s;    // second burst after becoming master
  unsigned repeat = 5;    // gratuitous ARPs per burst, 1..100
  Duration refresh = 0s;  // periodic refresh while master; 0 = off
  bool operator==(const Garp&) const = default;
};

struct Track {
  enum class Kind { tunnel, interface };
  Kind kind = Kind::interface;
  std::string name;
  std::optional<int> weight;  // none: down => FAULT; else -254..254, not 0
  Mark mark;
  bool operator==(const Track&) const = default;
};

struct VrrpInstance {
  std::string name;
  std::string interface;
  unsigned vrid = 0;       // 1..255
  unsigned priority = 100; // 1..255; 255 = address owner
  Duration advert_interval = 1s;
  bool preempt = true;
  Duration preempt_delay = 0s;
  unsigned version = 2;    // 2 (RFC 3768) or 3 (RFC 5798)
  std::vector<IpPrefix> virtual_addresses;   // advertised; IPv4 (v2), one family (v3)
  std::vector<IpPrefix> excluded_addresses;  // IPv4 or IPv6, not advertised
  std::vector<IpAddress> unicast_peers;      // adverts to each instead of the group; the family of the VIPs
  bool accept_mode = true;                   // RFC 5798 §6.1 Accept_Mode (keepalived's default, not the RFC's)
  std::string auth_pass;                     // RFC 2338 simple text, at most 8 bytes; empty = none (v2 only)
  Garp garp;
  std::vector<Track> track;
  Mark mark;
  Mark name_mark;
  Mark vrid_mark;
  MarkList virtual_address_marks;   // one per virtual_addresses entry
  MarkList excluded_address_marks;  // one per excluded_addresses entry
  MarkList unicast_peer_marks;      // one per unicast_peers entry
  Mark version_mark;
  Mark auth_pass_mark;
  bool operator==(const VrrpInstance&) const = default;
};

struct SyncGroup {
  std::string name;
  std::vector<std::string> instances;
  Mark mark;
  MarkList instance_marks;  // one per instances entry
  bool operator==(const SyncGroup&) const = default;
};

struct Vrrp {
  std::vector<VrrpInstance> instances;
  std::vector<SyncGroup> sync_groups;
  bool operator==(const Vrrp&) const = default;
};

struct StaticRoute {
  IpPrefix destination;  // IPv4 network
  Ipv4Address gateway;
  bool operator==(const StaticRoute&) const = default;
};

struct RawOption {
  unsigned code = 0;  // 1..254
  std::vector<std::uint8_t> data;
  bool operator==(const RawOption&) const = default;
};

struct DhcpOptions {
  std::vector<Ipv4Address> routers;
  std::vector<Ipv4Address> domain_name_servers;
  std::string domain_name;
  std::optional<Ipv4Address> broadcast_address;
  std::vector<Ipv4Address> ntp_servers;
  std::optional<unsigned> interface_mtu;
  std::vector<StaticRoute> classless_static_routes;
  std::vector<RawOption> custom;
  bool operator==(const DhcpOptions&) const = default;
};

struct Reservation {
  std::optional<MacAddress> hw_address;
  std::vector<std::uint8_t> client_id;  // option 61 bytes; empty = match by hw_address
  Ipv4Address address;
  std::string hostname;
  Mark mark;
  Mark address_mark;
  bool operator==(const Reservation&) const = default;
};

// auto: arp when the subnet is on a directly attached LAN, none when its
// requests come through a relay (as Kea, which does not probe relayed subnets).
enum class ConflictCheck { arp, icmp, none, automatic };

struct Pool {
  Ipv4Range range;
  Mark mark;
  bool operator==(const Pool&) const = default;
};

struct DhcpSubnet {
  std::string interface;
  IpPrefix subnet;
  std::vector<Pool> pools;
  // Option 54 in every reply: none = this host's own address on the
  // interface; else a VRRP virtual address on it, so that unicast renewals
  // reach whichever router is master.
  std::optional<Ipv4Address> server_identifier;
  Duration lease_time = 12h;
  Duration max_lease_time = 24h;
  std::optional<Duration> renew_time;   // T1; default lease_time / 2
  std::optional<Duration> rebind_time;  // T2; default lease_time * 7 / 8
  ConflictCheck conflict_check = ConflictCheck::automatic;
  DhcpOptions options;
  std::vector<Reservation> reservations;
  // Relay agents (their IP source address) whose relayed requests for this
  // subnet are served; empty: any relay.
  std::vector<Ipv4Address> relays;
  Mark mark;
  Mark lease_time_mark;      // each {0, 0} when the key is absent
  Mark max_lease_time_mark;
  Mark renew_time_mark;
  Mark rebind_time_mark;
  Mark server_identifier_mark;
  MarkList router_marks;  // one per options.routers entry
  bool operator==(const DhcpSubnet&) const = default;
};

struct Dhcp {
  std::string lease_file = "/var/lib/pairgate/dhcp4.leases";
  std::vector<DhcpSubnet> subnets;
  bool operator==(const Dhcp&) const = default;
};

struct Health {
  Duration interval = 1s;
  Duration timeout = 1s;
  std::vector<Ipv4Address> targets;
  unsigned down_after = 3;
  unsigned up_after = 3;
  bool operator==(const Health&) const = default;
};

// RFC 6333 §5.7: 192.0.0.0/29 is the softwire's; 192.0.0.1 is the AFTR's,
// 192.0.0.2 the B4's.
inline const IpPrefix kB4Address{Ipv4Address(0xc0000002u), 29};

// type: mape (RFC 7597 MAP-E): the MAP domain as configured. The CE's IPv4
// address, PSID, port sets and IPv6 address are computed from it and the
// delegated prefix (tunnel/map_rule.h), by the tunnel at run time.
struct Mape {
  Ipv6Address br;                                   // the tunnel's remote end
  std::vector<tunnel::MapRule> rules;               // at least one
  tunnel::InterfaceIdForm interface_id = tunnel::InterfaceIdForm::rfc7597;
  std::optional<IpPrefix> prefix;                   // none = auto: the /64 of the WAN's stable global address
  std::string vrrp_instance;                        // non-empty: the CE address only while that instance is MASTER
  Mark vrrp_instance_mark;
  tunnel::MapDomain domain() const { return {br, rules, interface_id}; }
  bool operator==(const Mape&) const = default;
};

// type: ipip, a fixed IPv4 address over IPv6 (conf/parse_ipip.cc). The
// remote end is kept in aftr_name/aftr_addresses (the key is `remote`), the
// fixed address on the link in ipv4_address (as a /32).
enum class Snat { automatic, on, off };
struct Ipip {
  IpPrefix block;                           // ipv4_address as written: the address and the block routed to it
  std::optional<Ipv6Address> interface_id;  // local = the WAN's /64 + this; none: `local`
  Snat snat = Snat::automatic;
  std::string update_url;                   // empty: none
  std::string update_credentials;           // a file "user:password" (HTTP basic); empty: none
  // The credentials file as it was when the configuration was read (inode,
  // size, modification time), so that a reload after it was rewritten is a
  // change of the tunnel (as peer.key_stamp); never the secret itself.
  struct Stamp {
    std::uint64_t inode = 0, size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const Stamp&) const = default;
  } credentials_stamp;
  bool operator==(const Ipip&) const = default;
};

struct Tunnel {
  std::string name;
  std::string type = "dslite";
  std::string wan_interface;
  std::string aftr_name;                   // set when aftr is a DNS name
  std::vector<Ipv6Address> aftr_addresses; // set when aftr is a list
  std::vector<IpAddress> resolver;
  std::optional<Ipv6Address> local;        // none = auto
  unsigned mtu = 1460;
  std::optional<unsigned> encap_limit;     // none = IP6_TNL_F_IGN_ENCAP_LIMIT
  // The B4's IPv4 address on the softwire (RFC 6333 §5.7): the source of
  // this host's own traffic and probes through the tunnel. none = no address.
  std::optional<IpPrefix> ipv4_address = kB4Address;
  bool default_route = true;
  Health health;
  std::optional<Mape> mape;                // set when type == "mape"
  std::optional<Ipip> ipip;                // set when type == "ipip"
  Mark mark;
  bool operator==(const Tunnel&) const = default;
};

enum class Proto { any, icmp, ipv6_icmp, vrrp, ipip, tcp, udp };

struct FirewallRule {
  std::optional<IpPrefix> from;
  Proto proto = Proto::any;
  std::optional<std::uint16_t> sport;
  std::optional<std::uint16_t> dport;
  std::optional<Family> family;  // none: both, or what from/proto imply
  Mark mark;
  bool operator==(const FirewallRule&) const = default;
};

// The conntrack mark bit the firewall's forward chain sets on each new IPv4
// TCP/UDP/ICMP flow leaving through a WAN interface (a tunnel or one of
// wan_interfaces) while state_sync is on; state sync (ctsync/) carries only
// entries with this bit. Other bits of the mark are left alone.
inline constexpr std::uint32_t kStateSyncMark = 0x00010000;

struct Firewall {
  bool enabled = true;
  std::string table = "pairgate";
  std::vector<std::string> wan_interfaces;
  bool mss_clamp = true;
  bool log_drops = true;
  std::vector<FirewallRule> input;
  std::vector<FirewallRule> forward;
  // Conntrack state sync (ctsync/): the master streams the conntrack entries
  // of forwarded WAN flows to the backup, which commits them at takeover.
  bool state_sync = false;
  unsigned state_sync_max_entries = 65536;  // cached on the backup; more are dropped and counted
  std::string state_sync_instance;          // the VRRP instance or sync group followed; empty = the only one
  Mark mark;
  bool operator==(const Firewall&) const = default;
};

// The channel to the other router of the pair (peer/).
struct Peer {
  IpAddress address;              // the other router's own address, never a virtual one
  std::optional<IpAddress> local; // listen on and dial from; none = any address of address's family
  std::uint16_t port = 6470;      // TCP
  std::string key_file;           // the shared secret, at least 32 bytes, mode 0600
  // The key file as it was when the configuration was read (inode, size,
  // modification time), so that a reload after the file was rewritten is a
  // change of the peer section; never the secret itself.
  struct FileStamp {
    std::uint64_t inode = 0, size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const FileStamp&) const = default;
  } key_stamp;
  Mark mark;
  Mark address_mark;
  Mark local_mark;
  Mark key_file_mark;
  bool operator==(const Peer&) const = default;
};

// One address the HTTP endpoint listens on, "ADDR:PORT" ("[ADDR]:PORT" for IPv6).
struct HttpListen {
  IpAddress address;
  std::uint16_t port = 0;
  std::string to_string() const;
  bool operator==(const HttpListen&) const = default;
};

// The HTTP endpoint (http/): GET /metrics, /api/status, /api/leases, /.
// Off unless the section is present.
struct Http {
  std::vector<HttpListen> listen;  // at least one
  std::vector<IpPrefix> allow;     // empty: see effective_allow()
  Mark mark;
  MarkList listen_marks;           // one per listen entry
  bool operator==(const Http&) const = default;

  // Who may connect: `allow`, or when it is empty the listen addresses' own
  // hosts (each as a /32 or /128; a wildcard address 0.0.0.0 or :: stands for
  // this host, so loopback, 127.0.0.0/8 and ::1/128).
  std::vector<IpPrefix> effective_allow() const;
};

struct Config {
  std::string node;
  Control control;
  Logging logging;
  Notify notify;
  std::vector<SysctlEntry> sysctl;
  std::optional<Vrrp> vrrp;
  std::optional<Dhcp> dhcp;
  std::vector<Tunnel> tunnels;
  std::optional<Firewall> firewall;
  std::optional<Peer> peer;
  std::optional<Http> http;
  bool operator==(const Config&) const = default;

  const Tunnel* find_tunnel(std::string_view name) const;
  const VrrpInstance* find_instance(std::string_view name) const;
};

std::string_view to_string(LogLevel);
std::string_view to_string(LogTarget);
std::string_view to_string(Proto);
std::string_view to_string(ConflictCheck);

}  // namespace pairgate::conf
