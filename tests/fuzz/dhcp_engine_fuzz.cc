// libFuzzer target for dhcp/engine: any bytes that parse as a DHCP message
// go through the server's decisions (directly attached, relayed, unicast),
// and every reply must encode within the client's size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "dhcp/engine.h"

namespace {

pairgate::dhcp::Engine& engine() {
  static pairgate::dhcp::Engine* e = [] {
    using namespace pairgate;
    conf::DhcpSubnet s;
    s.interface = "lan0";
    s.subnet = *IpPrefix::parse("192.0.2.0/24");
    s.pools = {conf::Pool{*Ipv4Range::parse("192.0.2.20-192.0.2.23"), {}}};
    s.conflict_check = conf::ConflictCheck::arp;
    s.options.routers = {*Ipv4Address::parse("192.0.2.1")};
    s.options.classless_static_routes = {{*IpPrefix::parse("203.0.113.0/24"), *Ipv4Address::parse("192.0.2.5")}};
    conf::Dhcp d;
    d.subnets = {s};
    auto* engine = new dhcp::Engine(d);
    engine->set_server_address(0, *Ipv4Address::parse("192.0.2.2"));
    return engine;
  }();
  return *e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pairgate;
  auto m = dhcp::parse(std::span(reinterpret_cast<const std::byte*>(data), size));
  if (!m) return 0;
  static dhcp::Time now{1'800'000'000, std::chrono::steady_clock::time_point(std::chrono::hours(1))};
  now.wall += 7;
  now.steady += std::chrono::seconds(7);
  for (auto destination : {Ipv4Address(0xffffffffu), *Ipv4Address::parse("192.0.2.2")}) {
    auto o = engine().handle(dhcp::Inbound{*m, "lan0", m->ciaddr, destination, destination != Ipv4Address(0xffffffffu)}, now);
    if (o.probe) o = engine().probe_result(o.probe->id, (size & 1) != 0, now);
    if (o.reply) {
      auto enc = dhcp::build(o.reply->message, o.reply->max_size);
      if (enc.bytes.size() > o.reply->max_size) std::abort();
      if (!dhcp::parse(enc.bytes)) std::abort();
    }
  }
  if ((size & 15) == 0) engine().reclaim({now.wall + 100000, now.steady + std::chrono::seconds(100000)});
  return 0;
}
