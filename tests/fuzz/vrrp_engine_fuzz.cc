// libFuzzer target for vrrp/engine: the input is a script of events for one
// VRRPv3 router at 10 ms (adverts built from the bytes, timer ticks,
// tracking, reloads); the engine must keep its invariants: a master has
// its Adver_Timer, a backup its Master_Down_Timer, a FAULT or INIT router
// neither, and no deadline lies in the past after it ran.
// GCC 12 warns (-Wrestrict) about std::string's own memcpy here: a known
// false positive (GCC PR 105329).
#pragma GCC diagnostic ignored "-Wrestrict"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/byte_io.h"
#include "vrrp/engine.h"

namespace {

using namespace pairgate;
using namespace pairgate::vrrp;
using namespace std::chrono_literals;

InstanceConfig config(bool v6, std::uint8_t priority) {
  InstanceConfig c;
  c.name = "F";
  c.version = 3;
  c.vrid = VrId{1};
  c.priority = Priority{priority};
  c.advert_interval = 10ms;
  c.virtual_addresses = {*IpPrefix::parse(v6 ? "2001:db8::2/64" : "192.0.2.2/24")};
  return c;
}

void check(const Instance& in, TimePoint now) {
  const auto d = in.next_deadline();
  switch (in.state()) {
    case State::master:
    case State::backup:
      if (!d || *d < now) std::abort();
      break;
    case State::fault:
    case State::initialize:
      if (d) std::abort();
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteReader r(std::span(reinterpret_cast<const std::byte*>(data), size));
  const bool v6 = size > 0 && (data[0] & 1);
  const IpAddress us = *IpAddress::parse(v6 ? "fe80::3" : "192.0.2.3");
  Instance in(config(v6, size > 1 ? data[1] : 100), us);
  TimePoint now = TimePoint{} + 1000s;
  in.startup(now);
  check(in, now);
  r.skip(2);
  for (int step = 0; step < 256; ++step) {
    auto op = r.u8();
    auto a = r.u8();
    auto b = r.u16();
    if (!op || !a || !b) break;
    now += std::chrono::microseconds(*b * 10);
    switch (*op % 6) {
      case 0:
      case 1: {
        Received m;
        m.source = v6 ? IpAddress(*IpAddress::parse(*a & 1 ? "fe80::4" : "fe80::1")) : IpAddress(Ipv4Address(0xc0000200u + (*a & 7)));
        m.destination = v6 ? IpAddress(kMulticastGroup6) : IpAddress(kMulticastGroup);
        m.hop_limit = (*a & 0x80) ? 64 : 255;
        m.advert.version = (*a & 0x40) ? 2 : 3;
        m.advert.vrid = VrId{1};
        m.advert.priority = Priority{static_cast<std::uint8_t>(*b >> 8)};
        m.advert.interval = Centiseconds(*b & 0x0fff);
        m.advert.addresses = {in.config().virtual_addresses.front().address()};
        in.on_advert(now, m);
        break;
      }
      case 2: in.on_timer(now); break;
      case 3: in.set_fault(now, *a & 1, "fuzz"); break;
      case 4: in.set_priority_delta(now, static_cast<int>(*a) - 128); break;
      case 5: in.reconfigure(now, config(v6, *a)); break;
    }
    // The adapter runs every deadline that is due.
    for (int i = 0; i < 8 && in.next_deadline() && *in.next_deadline() <= now; ++i) in.on_timer(now);
    check(in, now);
  }
  in.shutdown(now);
  check(in, now);
  return 0;
}
