// Links, addresses and routes of the kernel, and their change events.
//
// Modules depend on this interface only; make_libnl_netlink() gives the real
// one (libnl-route-3) and tests use a gmock double. Calls are synchronous
// netlink requests (answered by the kernel in microseconds); events arrive
// asynchronously on the io_context.
#pragma once

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/address.h"

namespace pairgate {

struct LinkInfo {
  int index = 0;
  std::string name;
  bool admin_up = false;  // IFF_UP
  bool oper_up = false;   // IFF_RUNNING: carrier and operational state
  MacAddress mac;
  unsigned mtu = 0;
  std::string kind;       // "veth", "bridge", "ip6tnl", ... ; empty for plain NICs
  bool operator==(const LinkInfo&) const = default;
};

struct AddressInfo {
  int ifindex = 0;
  IpPrefix prefix;
  std::uint32_t flags = 0;  // IFA_F_*
  unsigned scope = 0;       // RT_SCOPE_*
  std::string label;        // IPv4 only
  bool operator==(const AddressInfo&) const = default;
};

struct AddressOptions {
  std::uint32_t flags = 0;  // IFA_F_NODAD, IFA_F_NOPREFIXROUTE, ...
  unsigned scope = 0;       // RT_SCOPE_UNIVERSE
  std::string label;
};

struct RouteInfo {
  IpPrefix destination;             // 0.0.0.0/0 for the default route
  std::optional<IpAddress> gateway;
  int oif = 0;                      // output interface; 0 = none
  unsigned table = 254;             // RT_TABLE_MAIN
  unsigned protocol = 4;            // RTPROT_STATIC
  unsigned metric = 0;
  std::optional<IpAddress> source;  // RTA_PREFSRC: the source of this host's own packets; must be its own address
  bool operator==(const RouteInfo&) const = default;
};

struct LinkEvent {
  bool removed = false;
  LinkInfo link;
};

struct AddressEvent {
  bool removed = false;
  AddressInfo address;
};

// Options of a router advertisement the kernel passes on without acting on
// them (RTM_NEWNDUSEROPT, RTNLGRP_ND_USEROPT): RDNSS (25) and DNSSL (31).
// Sent only as an RA arrives; there is no dump.
struct NdUserOptionEvent {
  int ifindex = 0;
  std::uint8_t icmp_type = 0;           // 134, router advertisement
  std::vector<std::byte> options;       // the options as on the wire (RFC 4861 §4.6)
  std::optional<Ipv6Address> router;    // NDUSEROPT_SRCADDR
};

// An ip6tnl link (ip -6 tunnel ... mode ipip6). Every parameter is sent on
// each add or change: the kernel resets those it is not sent.
struct Ip6TunnelParams {
  std::string name;
  int link = 0;                         // underlying interface (IFLA_IPTUN_LINK)
  Ipv6Address local;
  Ipv6Address remote;
  std::uint8_t proto = 4;               // IPPROTO_IPIP: IPv4 inside (ipip6)
  std::optional<std::uint8_t> encap_limit;  // none: IP6_TNL_F_IGN_ENCAP_LIMIT
  std::uint8_t hop_limit = 64;          // iproute2's default
  unsigned mtu = 1460;
  int index = 0;                        // filled in by ip6_tunnel(); ignored when sent
  bool same_parameters(const Ip6TunnelParams& o) const {
    return name == o.name && link == o.link && local == o.local && remote == o.remote && proto == o.proto &&
           encap_limit == o.encap_limit && hop_limit == o.hop_limit && mtu == o.mtu;
  }
};

// Netlink errors carry libnl's messages; value() is a positive NLE_* code.
const std::error_category& libnl_category();
// The kernel has no driver for the link kind asked for (no module).
bool is_unsupported_kind(const std::error_code& e);

class Netlink {
 public:
  struct Subscriber {
    std::function<void(const LinkEvent&)> on_link;
    std::function<void(const AddressEvent&)> on_address;
    // Events were lost (socket overrun): re-read what you depend on.
    std::function<void()> on_resync;
    std::function<void(const NdUserOptionEvent&)> on_nd_user_option = nullptr;
  };
  using SubscriptionId = std::uint64_t;

  virtual ~Netlink() = default;

  virtual std::optional<LinkInfo> link(std::string_view name) = 0;
  virtual std::optional<LinkInfo> link(int index) = 0;
  virtual std::vector<LinkInfo> links() = 0;
  virtual std::error_code set_link_up(int index, bool up) = 0;

  // Filters are optional: all interfaces, both families.
  virtual std::vector<AddressInfo> addresses(std::optional<int> ifindex = std::nullopt,
                                             std::optional<Family> family = std::nullopt) = 0;
  // Adding an address that exists is success (EEXIST is not an error here).
  virtual std::error_code add_address(int ifindex, const IpPrefix& prefix, const AddressOptions& options = {}) = 0;
  // Removing an address that is gone is success (EADDRNOTAVAIL is not an error here).
  virtual std::error_code remove_address(int ifindex, const IpPrefix& prefix) = 0;

  virtual std::vector<RouteInfo> routes(Family family, unsigned table = 254) = 0;
  // replace: NLM_F_REPLACE, else an existing route is an error.
  virtual std::error_code add_route(const RouteInfo& route, bool replace = false) = 0;
  virtual std::error_code remove_route(const RouteInfo& route) = 0;

  // The ip6tnl link of that name; nullopt when there is none or the link of
  // that name is of another kind (link(name) tells which).
  virtual std::optional<Ip6TunnelParams> ip6_tunnel(std::string_view name) = 0;
  // Creates the link (down). A kernel without ip6_tunnel answers
  // EOPNOTSUPP (libnl NLE_OPNOTSUPP): see is_unsupported_kind().
  virtual std::error_code add_ip6_tunnel(const Ip6TunnelParams& params) = 0;
  // Re-sends every parameter to the link `index` (changelink).
  virtual std::error_code change_ip6_tunnel(int index, const Ip6TunnelParams& params) = 0;
  // Removing a link that is gone is success.
  virtual std::error_code remove_link(int index) = 0;

  virtual SubscriptionId subscribe(Subscriber subscriber) = 0;
  virtual void unsubscribe(SubscriptionId id) = 0;
};

// Opens two rtnetlink sockets: one for requests, one for the link and
// address multicast groups read on `io`. Throws std::runtime_error when
// netlink cannot be opened (start-up only).
std::unique_ptr<Netlink> make_libnl_netlink(boost::asio::io_context& io);

}  // namespace pairgate
