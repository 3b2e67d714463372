// The kernel's inputs of firewall/map_usage: ctsync's conntrack dump and
// /proc/net/stat/nf_conntrack.
#include <arpa/inet.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include "ctsync/kernel.h"
#include "firewall/map_usage.h"

namespace pairgate::firewall {

namespace {

// An IPv4 TCP/UDP/ICMP entry whose reply goes to `address`, as counting
// needs it; nullopt for any other.
std::optional<ReplyEnd> reply_end(const nlmsghdr* message, const nf_conntrack* ct, Ipv4Address address) {
  if (nfct_get_attr_u8(ct, ATTR_L3PROTO) != AF_INET) return std::nullopt;
  if (!nfct_attr_is_set(ct, ATTR_REPL_IPV4_DST) || nfct_get_attr_u32(ct, ATTR_REPL_IPV4_DST) != htonl(address.to_uint())) {
    return std::nullopt;
  }
  const std::uint8_t l4 = nfct_get_attr_u8(ct, ATTR_L4PROTO);
  ReplyEnd e{l4, address, 0};
  if (l4 == IPPROTO_TCP || l4 == IPPROTO_UDP) {
    if (!nfct_attr_is_set(ct, ATTR_REPL_PORT_DST)) return std::nullopt;
    e.port = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_DST));
  } else if (l4 == IPPROTO_ICMP) {
    // The reply's identifier is the mapped one; the library keeps it
    // without a getter, so it is read from the message.
    if (!message || message->nlmsg_len < NLMSG_LENGTH(sizeof(nfgenmsg))) return std::nullopt;
    const auto* base = reinterpret_cast<const std::byte*>(NLMSG_DATA(message)) + NLMSG_ALIGN(sizeof(nfgenmsg));
    const std::size_t length = message->nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(sizeof(nfgenmsg)));
    auto id = reply_icmp_id(std::span(base, length));
    if (!id) return std::nullopt;
    e.port = *id;
  } else {
    return std::nullopt;
  }
  return e;
}

std::expected<MapUsageSources::Dump, std::string> dump(Ipv4Address address, std::size_t max) {
  MapUsageSources::Dump d;
  auto done = ctsync::for_each_entry([&](const nlmsghdr* message, const nf_conntrack* ct) {
    if (d.seen >= max) {
      d.truncated = true;
      return;
    }
    ++d.seen;
    if (auto e = reply_end(message, ct, address)) d.ends.push_back(*e);
  });
  if (!done) return std::unexpected(done.error());
  return d;
}

std::expected<MapUsageSources::Flushed, std::string> flush(Ipv4Address address, const MapUsageSources::Stale& stale) {
  auto r = ctsync::destroy_entries([&](const nlmsghdr* message, const nf_conntrack* ct) {
    auto e = reply_end(message, ct, address);
    return e && stale(*e);
  });
  if (!r) return std::unexpected(r.error());
  return MapUsageSources::Flushed{r->deleted, r->failed, r->truncated, r->first_error};
}

}  // namespace

MapUsageSources kernel_map_usage_sources() {
  return {&dump, [] { return read_conntrack_stat(); }, &flush};
}

}  // namespace pairgate::firewall
