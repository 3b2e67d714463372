// The engine's replies: RFC 2131 §4.3.1 Table 3 fields, the options a client
// gets, and how the reply reaches it (§4.1). Decisions are in engine.cc.
#include "dhcp/engine.h"

#include <algorithm>

namespace pairgate::dhcp {

namespace {

const Ipv4Address kBroadcast{0xffffffffu};

std::uint32_t mask_of(unsigned length) { return length == 0 ? 0 : ~std::uint32_t{0} << (32 - length); }

std::vector<std::uint8_t> text_bytes(std::string_view s) { return {s.begin(), s.end()}; }

// RFC 3442 §3: width, significant octets of the destination, router.
void append_route(std::vector<std::uint8_t>& out, const IpPrefix& destination, Ipv4Address gateway) {
  out.push_back(static_cast<std::uint8_t>(destination.length()));
  auto d = destination.address().v4().bytes();
  out.insert(out.end(), d.begin(), d.begin() + (destination.length() + 7) / 8);
  auto g = gateway.bytes();
  out.insert(out.end(), g.begin(), g.end());
}

std::int64_t seconds(conf::Duration d) { return std::chrono::duration_cast<std::chrono::seconds>(d).count(); }

}  // namespace

std::uint32_t Engine::lease_seconds(std::size_t subnet, const Message& m) const {
  const auto& s = config_.subnets[subnet];
  const auto longest = static_cast<std::uint32_t>(seconds(s.max_lease_time));
  if (auto asked = m.u32_option(option::lease_time)) return std::clamp<std::uint32_t>(*asked, 1, longest);
  return static_cast<std::uint32_t>(seconds(s.lease_time));
}

Ipv4Address Engine::server_for(const Inbound& in, std::size_t subnet) const {
  // Relayed: the address the relay sent to, when it is one of ours.
  if (in.message.giaddr != Ipv4Address{} && in.to_us && in.destination != Ipv4Address{}) return in.destination;
  return subnets_[subnet].server.value_or(Ipv4Address{});
}

Message Engine::reply_to(const Message& request, MessageType type, Ipv4Address server) const {
  // RFC 2131 §4.3.1 Table 3.
  Message r;
  r.op = 2;
  r.htype = request.htype;
  r.hlen = request.hlen;
  r.xid = request.xid;
  r.flags = request.flags;
  r.giaddr = request.giaddr;
  r.chaddr = request.chaddr;
  r.set(option::message_type, {static_cast<std::uint8_t>(type)});
  r.set_address(option::server_id, server);
  return r;
}

void Engine::add_options(Message& reply, const Message& request, std::size_t subnet,
                         std::optional<std::uint32_t> lease, const std::string& hostname) const {
  const auto& s = config_.subnets[subnet];
  if (lease) {
    const std::uint32_t t1_default = *lease / 2, t2_default = static_cast<std::uint32_t>(std::uint64_t{*lease} * 7 / 8);
    std::uint32_t t1 = s.renew_time ? static_cast<std::uint32_t>(seconds(*s.renew_time)) : t1_default;
    std::uint32_t t2 = s.rebind_time ? static_cast<std::uint32_t>(seconds(*s.rebind_time)) : t2_default;
    if (t2 >= *lease) t2 = t2_default;
    if (t1 >= t2) t1 = std::min(t1_default, t2 > 0 ? t2 - 1 : 0);
    reply.set_u32(option::lease_time, *lease);
    reply.set_u32(option::renewal_time, t1);
    reply.set_u32(option::rebinding_time, t2);
  }
  reply.set_u32(option::subnet_mask, mask_of(s.subnet.length()));
  const std::string_view name = std::string_view(hostname).substr(0, kMaxHostname);

  // What the client asked for (option 55), in its order; everything
  // configured when it sent no list.
  std::vector<std::uint8_t> wanted = request.parameter_request_list();
  const bool everything = wanted.empty();
  if (everything) {
    wanted = {option::routers, option::domain_name_servers, option::domain_name, option::broadcast_address,
              option::ntp_servers, option::interface_mtu, option::host_name};
    for (const auto& c : s.options.custom) wanted.push_back(c.code);
  }
  const auto& o = s.options;
  for (std::uint8_t code : wanted) {
    if (reply.options.contains(code)) continue;
    switch (code) {
      case option::routers:
        if (!o.routers.empty()) reply.set_addresses(code, o.routers);
        break;
      case option::domain_name_servers:
        if (!o.domain_name_servers.empty()) reply.set_addresses(code, o.domain_name_servers);
        break;
      case option::domain_name:
        if (!o.domain_name.empty()) reply.set(code, text_bytes(o.domain_name));
        break;
      case option::broadcast_address:
        if (o.broadcast_address) reply.set_address(code, *o.broadcast_address);
        break;
      case option::ntp_servers:
        if (!o.ntp_servers.empty()) reply.set_addresses(code, o.ntp_servers);
        break;
      case option::interface_mtu:
        if (o.interface_mtu) {
          reply.set(code, {static_cast<std::uint8_t>(*o.interface_mtu >> 8), static_cast<std::uint8_t>(*o.interface_mtu)});
        }
        break;
      case option::host_name:
        if (!name.empty()) reply.set(code, text_bytes(name));
        break;
      case option::classless_static_routes:
        // RFC 3442: a client that gets option 121 ignores option 3, so the
        // default route through the first router goes in too.
        if (!o.classless_static_routes.empty()) {
          std::vector<std::uint8_t> data;
          for (const auto& r : o.classless_static_routes) append_route(data, r.destination, r.gateway);
          if (!o.routers.empty()) append_route(data, IpPrefix(Ipv4Address{}, 0), o.routers.front());
          reply.set(code, std::move(data));
        }
        break;
      default:
        for (const auto& c : o.custom) {
          if (c.code == code) reply.set(code, c.data);
        }
        break;
    }
  }
  // RFC 6842: the client identifier comes back; RFC 3046 §2.2: so does the
  // relay agent information, last.
  if (auto it = request.options.find(option::client_id); it != request.options.end()) {
    reply.set(option::client_id, it->second);
  }
  if (auto it = request.options.find(option::relay_agent_information); it != request.options.end()) {
    reply.set(option::relay_agent_information, it->second);
  }
}

Reply Engine::deliver(const Inbound& in, Message reply, Ipv4Address server) const {
  // RFC 2131 §4.1, "the server ... sends ... to".
  Reply out;
  out.from = server;
  out.interface = in.interface;
  if (auto max = in.message.max_message_size()) out.max_size = *max - kIpUdpHeaders;
  const auto type = reply.type();
  const Message& m = in.message;
  if (m.giaddr != Ipv4Address{}) {
    out.delivery = Delivery::relay;
    out.to = m.giaddr;
  } else if (type == MessageType::nak) {
    out.delivery = Delivery::broadcast;
    out.to = kBroadcast;
  } else if (m.ciaddr != Ipv4Address{}) {
    out.delivery = Delivery::unicast;
    out.to = m.ciaddr;
  } else if (m.broadcast() || reply.yiaddr == Ipv4Address{} || !m.mac()) {
    out.delivery = Delivery::broadcast;
    out.to = kBroadcast;
  } else {
    out.delivery = Delivery::unicast_chaddr;
    out.to = reply.yiaddr;
    out.to_mac = m.mac();
  }
  out.message = std::move(reply);
  return out;
}

}  // namespace pairgate::dhcp
