// dhcp/engine: RFC 2131 §4.3 decisions with a fake clock (seconds), the
// split-range rules, address choice, probes and quarantine.
#include "dhcp/engine.h"

#include <gtest/gtest.h>

#include <set>

namespace pairgate::dhcp {
namespace {

using conf::ConflictCheck;

const Ipv4Address kServer = *Ipv4Address::parse("192.0.2.2");
const Ipv4Address kPeer = *Ipv4Address::parse("192.0.2.3");
const Ipv4Address kBroadcast{0xffffffffu};
constexpr std::int64_t kT0 = 1'800'000'000;
const auto kSteady0 = std::chrono::steady_clock::time_point(std::chrono::hours(1000));

// Both clocks, moving together (as they do unless the wall clock is stepped).
Time at(std::int64_t wall) { return Time{wall, kSteady0 + std::chrono::seconds(wall - kT0)}; }

Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }

conf::Dhcp config(ConflictCheck check = ConflictCheck::none) {
  conf::DhcpSubnet s;
  s.interface = "lan0";
  s.subnet = *IpPrefix::parse("192.0.2.0/24");
  s.pools = {conf::Pool{*Ipv4Range::parse("192.0.2.20-192.0.2.29"), {}}};
  s.lease_time = std::chrono::seconds(600);
  s.max_lease_time = std::chrono::seconds(7200);
  s.conflict_check = check;
  s.options.routers = {ip("192.0.2.1")};
  s.options.domain_name_servers = {ip("192.0.2.53")};
  s.options.domain_name = "lan.example";
  conf::Reservation r;
  r.hw_address = MacAddress::parse("02:00:00:00:00:99");
  r.address = ip("192.0.2.10");
  r.hostname = "printer";
  s.reservations = {r};
  conf::DhcpSubnet relayed;
  relayed.interface = "lan0";
  relayed.subnet = *IpPrefix::parse("198.51.100.0/24");
  relayed.pools = {conf::Pool{*Ipv4Range::parse("198.51.100.50-198.51.100.59"), {}}};
  relayed.options.routers = {ip("198.51.100.1")};
  conf::Dhcp d;
  d.subnets = {s, relayed};
  return d;
}

Message client_message(MessageType type, std::uint8_t mac_last) {
  Message m;
  m.xid = 0x1000 + mac_last;
  m.chaddr = {0x02, 0, 0, 0, 0, mac_last};
  m.set(option::message_type, {static_cast<std::uint8_t>(type)});
  m.set(option::parameter_request_list, {1, 3, 6, 15, 51, 54});
  return m;
}

Inbound broadcast_in(Message m) { return Inbound{std::move(m), "lan0", Ipv4Address{}, kBroadcast}; }
// As a relay agent sends: unicast to this host's address.
Inbound relay_in(Message m, Ipv4Address source = *Ipv4Address::parse("192.0.2.5")) {
  return Inbound{std::move(m), "lan0", source, kServer, true};
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { make(ConflictCheck::none); }
  void make(ConflictCheck check) {
    engine = std::make_unique<Engine>(config(check));
    engine->set_server_address(0, kServer);
    engine->set_server_address(1, kServer);
  }

  // DISCOVER then SELECTING REQUEST: the address bound.
  Ipv4Address bind(std::uint8_t mac_last, std::int64_t now = kT0) {
    auto offer = engine->handle(broadcast_in(client_message(MessageType::discover, mac_last)), at(now));
    EXPECT_TRUE(offer.reply) << offer.note;
    if (!offer.reply) return {};
    auto req = client_message(MessageType::request, mac_last);
    req.set_address(option::server_id, kServer);
    req.set_address(option::requested_address, offer.reply->message.yiaddr);
    auto ack = engine->handle(broadcast_in(req), at(now));
    EXPECT_TRUE(ack.reply && ack.commit) << ack.note;
    EXPECT_EQ(ack.reply->message.type(), MessageType::ack);
    return offer.reply->message.yiaddr;
  }

  void expect_nak(const Message& request, std::int64_t now) {
    auto o = engine->handle(broadcast_in(request), at(now));
    ASSERT_TRUE(o.reply) << o.note;
    EXPECT_EQ(o.reply->message.type(), MessageType::nak);
  }

  std::unique_ptr<Engine> engine;
};

// Notes are for the debug log: without it, a served message costs no string
// building (issue 11); a dropped one keeps its reason (warnings quote it).
TEST_F(EngineTest, NotesOffLeaveServedMessagesWithoutANote) {
  engine->set_notes(false);
  auto offer = engine->handle(broadcast_in(client_message(MessageType::discover, 1)), at(kT0));
  ASSERT_TRUE(offer.reply);
  EXPECT_TRUE(offer.note.empty());
  auto req = client_message(MessageType::request, 1);
  req.set_address(option::server_id, kServer);
  req.set_address(option::requested_address, offer.reply->message.yiaddr);
  auto ack = engine->handle(broadcast_in(req), at(kT0));
  ASSERT_TRUE(ack.reply && ack.commit);
  EXPECT_TRUE(ack.note.empty());
  engine->set_notes(true);
  auto again = engine->handle(broadcast_in(req), at(kT0));
  EXPECT_FALSE(again.note.empty());
}

TEST_F(EngineTest, DiscoverGetsAnOfferFromThePoolWithTable3Fields) {
  auto m = client_message(MessageType::discover, 1);
  m.secs = 7;
  auto o = engine->handle(broadcast_in(m), at(kT0));
  ASSERT_TRUE(o.reply) << o.note;
  const Message& r = o.reply->message;
  EXPECT_EQ(r.op, 2);
  EXPECT_EQ(r.type(), MessageType::offer);
  EXPECT_EQ(r.xid, m.xid);
  EXPECT_EQ(r.secs, 0);
  EXPECT_EQ(r.ciaddr, Ipv4Address{});
  EXPECT_EQ(r.chaddr, m.chaddr);
  EXPECT_TRUE(r.yiaddr >= ip("192.0.2.20") && r.yiaddr <= ip("192.0.2.29"));
  EXPECT_EQ(r.address_option(option::server_id), kServer);
  EXPECT_EQ(r.u32_option(option::lease_time), 600u);
  EXPECT_EQ(r.u32_option(option::renewal_time), 300u);
  EXPECT_EQ(r.u32_option(option::rebinding_time), 525u);
  EXPECT_EQ(r.u32_option(option::subnet_mask), 0xffffff00u);
  EXPECT_EQ(r.address_option(option::routers), ip("192.0.2.1"));
  EXPECT_TRUE(r.options.contains(option::domain_name));
  EXPECT_FALSE(o.commit) << "an offer is not persisted";
  // §4.1: no broadcast bit, no ciaddr: unicast to yiaddr at chaddr.
  EXPECT_EQ(o.reply->delivery, Delivery::unicast_chaddr);
  EXPECT_EQ(o.reply->to, r.yiaddr);
  EXPECT_EQ(o.reply->to_mac, MacAddress::parse("02:00:00:00:00:01"));
}

TEST_F(EngineTest, OnlyRequestedOptionsAndTheRequiredOnes) {
  auto m = client_message(MessageType::discover, 1);
  m.set(option::parameter_request_list, {6, 3});
  m.set(option::client_id, {1, 2, 0, 0, 0, 0, 1});
  auto o = engine->handle(broadcast_in(m), at(kT0));
  ASSERT_TRUE(o.reply);
  const Message& r = o.reply->message;
  EXPECT_FALSE(r.options.contains(option::domain_name));
  EXPECT_EQ(r.options.at(option::client_id), m.options.at(option::client_id)) << "RFC 6842";
  // Required first, then the client's order.
  std::vector<std::uint8_t> order = r.order;
  auto pos = [&](std::uint8_t c) { return std::find(order.begin(), order.end(), c) - order.begin(); };
  EXPECT_LT(pos(option::domain_name_servers), pos(option::routers));
}

TEST_F(EngineTest, BroadcastFlagAndRelayDelivery) {
  auto m = client_message(MessageType::discover, 1);
  m.flags = Message::kBroadcast;
  auto o = engine->handle(broadcast_in(m), at(kT0));
  ASSERT_TRUE(o.reply);
  EXPECT_EQ(o.reply->delivery, Delivery::broadcast);
  EXPECT_EQ(o.reply->to, kBroadcast);

  auto relayed = client_message(MessageType::discover, 2);
  relayed.giaddr = ip("198.51.100.1");
  o = engine->handle(relay_in(relayed), at(kT0));
  ASSERT_TRUE(o.reply) << o.note;
  EXPECT_EQ(o.reply->delivery, Delivery::relay);
  EXPECT_EQ(o.reply->to, ip("198.51.100.1"));
  EXPECT_TRUE(o.reply->message.yiaddr >= ip("198.51.100.50") && o.reply->message.yiaddr <= ip("198.51.100.59"));
  EXPECT_EQ(o.reply->message.giaddr, ip("198.51.100.1"));
}

TEST_F(EngineTest, SelectingOurOfferIsAcknowledgedAndCommitted) {
  const auto a = bind(1);
  auto l = engine->store().find(a);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->state, LeaseState::leased);
  EXPECT_EQ(l->expires, kT0 + 600);
  EXPECT_EQ(engine->active_leases(kT0), 1u);
  EXPECT_EQ(engine->counters().ack_sent, 1u);
}

TEST_F(EngineTest, SelectingAnotherServerIsSilentAndFreesOurOffer) {
  auto offer = engine->handle(broadcast_in(client_message(MessageType::discover, 1)), at(kT0));
  ASSERT_TRUE(offer.reply);
  auto req = client_message(MessageType::request, 1);
  req.set_address(option::server_id, kPeer);
  req.set_address(option::requested_address, ip("192.0.2.150"));
  auto o = engine->handle(broadcast_in(req), at(kT0));
  EXPECT_FALSE(o.reply) << "never NAK the peer's client";
  EXPECT_EQ(o.drop, Drop::other_server);
  EXPECT_FALSE(engine->holds().find(offer.reply->message.yiaddr, at(kT0).steady));
  EXPECT_EQ(engine->counters().nak_sent, 0u);
}

TEST_F(EngineTest, InitRebootWithoutARecordIsSilent) {
  auto req = client_message(MessageType::request, 5);
  req.set_address(option::requested_address, ip("192.0.2.150"));  // the peer's half
  auto o = engine->handle(broadcast_in(req), at(kT0));
  EXPECT_FALSE(o.reply);
  EXPECT_EQ(o.drop, Drop::no_record);
  req.set_address(option::requested_address, ip("192.0.2.25"));  // ours, but never leased
  o = engine->handle(broadcast_in(req), at(kT0));
  EXPECT_FALSE(o.reply);
  EXPECT_EQ(o.drop, Drop::no_record);
}

TEST_F(EngineTest, InitRebootOnTheWrongNetworkIsNaked) {
  auto req = client_message(MessageType::request, 5);
  req.set_address(option::requested_address, ip("203.0.113.7"));
  auto o = engine->handle(broadcast_in(req), at(kT0));
  ASSERT_TRUE(o.reply);
  EXPECT_EQ(o.reply->message.type(), MessageType::nak);
  EXPECT_EQ(o.reply->delivery, Delivery::broadcast);
  EXPECT_EQ(o.reply->message.yiaddr, Ipv4Address{});
  EXPECT_TRUE(o.reply->message.options.contains(option::message));
}

TEST_F(EngineTest, InitRebootOfItsOwnLeaseIsAcknowledged) {
  const auto a = bind(1);
  auto req = client_message(MessageType::request, 1);
  req.set_address(option::requested_address, a);
  auto o = engine->handle(broadcast_in(req), at(kT0 + 100));
  ASSERT_TRUE(o.reply && o.commit);
  EXPECT_EQ(o.reply->message.type(), MessageType::ack);
  EXPECT_EQ(o.commit->expires, kT0 + 700);
  EXPECT_EQ(o.note.rfind("INIT-REBOOT", 0), 0u);
}

TEST_F(EngineTest, InitRebootOfAnotherAddressThanOurLeaseIsNaked) {
  const auto a = bind(1);
  auto req = client_message(MessageType::request, 1);
  const auto other = a == ip("192.0.2.29") ? ip("192.0.2.28") : Ipv4Address(a.to_uint() + 1);
  req.set_address(option::requested_address, other);
  expect_nak(req, kT0 + 10);
}

TEST_F(EngineTest, AnAddressLeasedToAnotherClientIsNaked) {
  const auto a = bind(1);
  auto req = client_message(MessageType::request, 2);
  req.set_address(option::requested_address, a);
  expect_nak(req, kT0 + 10);
}

TEST_F(EngineTest, RenewingIsUnicastAndRebindingWithoutRecordIsSilent) {
  const auto a = bind(1);
  auto renew = client_message(MessageType::request, 1);
  renew.ciaddr = a;
  auto o = engine->handle(Inbound{renew, "lan0", a, kServer}, at(kT0 + 300));
  ASSERT_TRUE(o.reply && o.commit);
  EXPECT_EQ(o.reply->delivery, Delivery::unicast);
  EXPECT_EQ(o.reply->to, a);
  EXPECT_EQ(o.reply->message.ciaddr, a);
  EXPECT_EQ(o.note.rfind("RENEWING", 0), 0u);

  auto rebind = client_message(MessageType::request, 7);
  rebind.ciaddr = ip("192.0.2.150");  // the peer's client
  o = engine->handle(Inbound{rebind, "lan0", rebind.ciaddr, kBroadcast}, at(kT0));
  EXPECT_FALSE(o.reply);
  EXPECT_EQ(o.drop, Drop::no_record);
  EXPECT_EQ(o.note.rfind("REBINDING", 0), 0u);

  // RENEWING to us for a free address of our pool: the record was lost, the
  // binding is kept.
  auto lost = client_message(MessageType::request, 8);
  lost.ciaddr = ip("192.0.2.27");
  if (engine->store().find(lost.ciaddr)) lost.ciaddr = ip("192.0.2.26");
  o = engine->handle(Inbound{lost, "lan0", lost.ciaddr, kServer}, at(kT0));
  ASSERT_TRUE(o.reply);
  EXPECT_EQ(o.reply->message.type(), MessageType::ack);
}

TEST_F(EngineTest, AReturningClientGetsItsAddressBack) {
  const auto a = bind(1);
  const auto b = bind(2);
  EXPECT_NE(a, b);
  // Released, then expired: the same address while nobody else has it.
  auto rel = client_message(MessageType::release, 1);
  rel.ciaddr = a;
  rel.set_address(option::server_id, kServer);
  auto o = engine->handle(Inbound{rel, "lan0", a, kServer}, at(kT0 + 10));
  ASSERT_TRUE(o.commit);
  EXPECT_EQ(o.commit->state, LeaseState::released);
  EXPECT_EQ(bind(1, kT0 + 20), a);
  EXPECT_EQ(engine->reclaim(at(kT0 + 5000)), 2u);
  EXPECT_EQ(bind(2, kT0 + 5001), b);
}

TEST_F(EngineTest, StableAddressesFollowTheClientsHash) {
  // Two engines, same clients, different arrival order: same addresses.
  std::map<int, Ipv4Address> first;
  for (int c : {1, 2, 3}) first[c] = bind(static_cast<std::uint8_t>(c));
  make(ConflictCheck::none);
  EXPECT_EQ(bind(3), first[3]);
  EXPECT_EQ(bind(1), first[1]);
  EXPECT_EQ(bind(2), first[2]);
}

TEST_F(EngineTest, RequestedAddressIsHonouredWhenFree) {
  auto m = client_message(MessageType::discover, 1);
  m.set_address(option::requested_address, ip("192.0.2.23"));
  auto o = engine->handle(broadcast_in(m), at(kT0));
  ASSERT_TRUE(o.reply);
  EXPECT_EQ(o.reply->message.yiaddr, ip("192.0.2.23"));
  m.set_address(option::requested_address, ip("192.0.2.150"));  // not ours
  o = engine->handle(broadcast_in(client_message(MessageType::discover, 2)), at(kT0));
  EXPECT_NE(o.reply->message.yiaddr, ip("192.0.2.150"));
}

TEST_F(EngineTest, EveryAddressOnceThenThePoolIsExhausted) {
  std::set<Ipv4Address> seen;
  for (int c = 1; c <= 10; ++c) seen.insert(bind(static_cast<std::uint8_t>(c)));
  EXPECT_EQ(seen.size(), 10u);
  auto o = engine->handle(broadcast_in(client_message(MessageType::discover, 11)), at(kT0));
  EXPECT_FALSE(o.reply);
  EXPECT_EQ(o.drop, Drop::pool_exhausted);
}

TEST_F(EngineTest, ReservationsByHardwareAddressAndClientId) {
  auto o = engine->handle(broadcast_in(client_message(MessageType::discover, 0x99)), at(kT0));
  ASSERT_TRUE(o.reply);
  EXPECT_EQ(o.reply->message.yiaddr, ip("192.0.2.10"));
  // Someone else asking for the reserved address does not get it.
  auto m = client_message(MessageType::discover, 3);
  m.set_address(option::requested_address, ip("192.0.2.10"));
  o = engine->handle(broadcast_in(m), at(kT0));
  ASSERT_TRUE(o.reply);
  EXPECT_NE(o.reply->message.yiaddr, ip("192.0.2.10"));

  auto cfg = config();
  cfg.subnets[0].reservations[0].hw_address.reset();
  cfg.subnets[0].reservations[0].client_id = {0xff, 1, 2, 3};
  engine = std::make_unique<Engine>(cfg);
  engine->set_server_address(0, kServer);
  auto byid = client_message(MessageType::discover, 4);
  byid.set(option::client_id, {0xff, 1, 2, 3});
  byid.set(option::parameter_request_list, {1, 3, 12});
  o = engine->handle(broadcast_in(byid), at(kT0));
  ASSERT_TRUE(o.reply);
  EXPECT_EQ(o.reply->message.yiaddr, ip("192.0.2.10"));
  EXPECT_EQ(o.reply->message.options.at(option::host_name), (std::vector<std::uint8_t>{'p', 'r', 'i', 'n', 't', 'e', 'r'}));
}

TEST_F(EngineTest, DeclineQuarantinesTheAddress) {
  const auto a = bind(1);
  auto d = client_message(MessageType::decline, 1);
  d.set_address(option::server_id, kServer);
  d.set_address(option::requested_address, a);
  auto o = engine->handle(broadcast_in(d), at(kT0 + 1));
  ASSERT_TRUE(o.commit);
  EXPECT_EQ(o.commit->state, LeaseState::declined);
  EXPECT_FALSE(o.reply);
  EXPECT_EQ(engine->counters().declined_addresses, 1u);
  // The client (and everyone else) gets another address meanwhile.
  auto again = engine->handle(broadcast_in(client_message(MessageType::discover, 1)), at(kT0 + 2));
  ASSERT_TRUE(again.reply);
  EXPECT_NE(again.reply->message.yiaddr, a);
  // A DECLINE for an address not the client's is ignored.
  d = client_message(MessageType::decline, 2);
  d.set_address(option::server_id, kServer);
  d.set_address(option::requested_address, again.reply->message.yiaddr);
  EXPECT_EQ(engine->handle(broadcast_in(d), at(kT0 + 3)).drop, Drop::client_mismatch);
  engine->reclaim(at(kT0 + Engine::kQuarantine.count() + 10));
  EXPECT_EQ(engine->counters().reclaimed_declined, 1u);
}

TEST_F(EngineTest, InformGetsConfigurationWithoutALease) {
  auto m = client_message(MessageType::inform, 1);
  m.ciaddr = ip("192.0.2.77");
  auto o = engine->handle(Inbound{m, "lan0", m.ciaddr, kServer}, at(kT0));
  ASSERT_TRUE(o.reply);
  EXPECT_EQ(o.reply->message.type(), MessageType::ack);
  EXPECT_FALSE(o.reply->message.options.contains(option::lease_time));
  EXPECT_EQ(o.reply->message.yiaddr, Ipv4Address{});
  EXPECT_EQ(o.reply->delivery, Delivery::unicast);
  EXPECT_FALSE(o.commit);
}

TEST_F(EngineTest, RelayedNakAsksForBroadcast) {
  auto req = client_message(MessageType::request, 5);
  req.giaddr = ip("198.51.100.1");
  req.set_address(option::requested_address, ip("192.0.2.50"));  // not the relay's network
  auto o = engine->handle(relay_in(req), at(kT0));
  ASSERT_TRUE(o.reply);
  EXPECT_EQ(o.reply->message.type(), MessageType::nak);
  EXPECT_EQ(o.reply->delivery, Delivery::relay);
  EXPECT_TRUE(o.reply->message.broadcast());
}

TEST_F(EngineTest, ClasslessRoutesCarryTheDefaultRoute) {
  auto cfg = config();
  cfg.subnets[0].options.classless_static_routes = {{*IpPrefix::parse("203.0.113.0/24"), ip("192.0.2.5")}};
  engine->configure(cfg);
  auto m = client_message(MessageType::discover, 1);
  m.set(option::parameter_request_list, {121, 3});
  auto o = engine->handle(broadcast_in(m), at(kT0));
  ASSERT_TRUE(o.reply);
  EXPECT_EQ(o.reply->message.options.at(option::classless_static_routes),
            (std::vector<std::uint8_t>{24, 203, 0, 113, 192, 0, 2, 5, 0, 192, 0, 2, 1}));
}

TEST_F(EngineTest, LeaseTimeFollowsTheRequestWithinTheMaximum) {
  auto m = client_message(MessageType::discover, 1);
  m.set_u32(option::lease_time, 100000);
  auto o = engine->handle(broadcast_in(m), at(kT0));
  EXPECT_EQ(o.reply->message.u32_option(option::lease_time), 7200u);
  m.set_u32(option::lease_time, 60);
  o = engine->handle(broadcast_in(m), at(kT0));
  EXPECT_EQ(o.reply->message.u32_option(option::lease_time), 60u);
  EXPECT_LT(*o.reply->message.u32_option(option::renewal_time), *o.reply->message.u32_option(option::rebinding_time));
  EXPECT_LT(*o.reply->message.u32_option(option::rebinding_time), 60u);
}

TEST_F(EngineTest, ConflictProbeHoldsTheAddressAndQuarantinesAConflict) {
  make(ConflictCheck::arp);
  auto o = engine->handle(broadcast_in(client_message(MessageType::discover, 1)), at(kT0));
  ASSERT_TRUE(o.probe) << o.note;
  EXPECT_FALSE(o.reply);
  EXPECT_EQ(o.probe->method, ConflictCheck::arp);
  const auto first = o.probe->address;
  // A retransmission waits for the same probe; other clients go on.
  EXPECT_EQ(engine->handle(broadcast_in(client_message(MessageType::discover, 1)), at(kT0)).drop, Drop::probe_pending);
  auto other = engine->handle(broadcast_in(client_message(MessageType::discover, 2)), at(kT0));
  ASSERT_TRUE(other.probe);
  EXPECT_NE(other.probe->address, first);

  auto next = engine->probe_result(o.probe->id, true, at(kT0));
  ASSERT_TRUE(next.probe) << next.note;
  EXPECT_NE(next.probe->address, first);
  EXPECT_EQ(engine->store().find(first)->state, LeaseState::declined);
  EXPECT_EQ(engine->counters().conflicts, 1u);
  auto offer = engine->probe_result(next.probe->id, false, at(kT0));
  ASSERT_TRUE(offer.reply);
  EXPECT_EQ(offer.reply->message.yiaddr, next.probe->address);
  EXPECT_EQ(engine->probe_result(12345, false, at(kT0)).reply, std::nullopt);
}

TEST_F(EngineTest, AnAddressAlreadyTheClientsIsNotProbed) {
  make(ConflictCheck::arp);
  auto o = engine->handle(broadcast_in(client_message(MessageType::discover, 1)), at(kT0));
  ASSERT_TRUE(o.probe);
  auto offer = engine->probe_result(o.probe->id, false, at(kT0));
  ASSERT_TRUE(offer.reply);
  auto again = engine->handle(broadcast_in(client_message(MessageType::discover, 1)), at(kT0 + 1));
  EXPECT_TRUE(again.reply);
  EXPECT_FALSE(again.probe);
}

TEST_F(EngineTest, AutoProbesByArpDirectlyAndNotThroughARelay) {
  make(ConflictCheck::automatic);
  EXPECT_TRUE(engine->handle(broadcast_in(client_message(MessageType::discover, 1)), at(kT0)).probe);
  auto relayed = client_message(MessageType::discover, 2);
  relayed.giaddr = ip("198.51.100.1");
  auto o = engine->handle(relay_in(relayed), at(kT0));
  EXPECT_FALSE(o.probe);
  EXPECT_TRUE(o.reply);
}

TEST_F(EngineTest, NoServerAddressNoAnswer) {
  engine->set_server_address(0, std::nullopt);
  auto o = engine->handle(broadcast_in(client_message(MessageType::discover, 1)), at(kT0));
  EXPECT_EQ(o.drop, Drop::no_server_address);
}

TEST_F(EngineTest, RepliesAndUnknownTypesAreDropped) {
  auto m = client_message(MessageType::offer, 1);
  EXPECT_EQ(engine->handle(broadcast_in(m), at(kT0)).drop, Drop::no_message_type);
  m = client_message(MessageType::discover, 1);
  m.op = 2;
  EXPECT_EQ(engine->handle(broadcast_in(m), at(kT0)).drop, Drop::not_request);
  m = client_message(MessageType::discover, 1);
  EXPECT_EQ(engine->handle(Inbound{m, "wan0", Ipv4Address{}, kBroadcast}, at(kT0)).drop, Drop::unknown_subnet);
}

TEST_F(EngineTest, PoolUsageCountsHeldAddresses) {
  bind(1);
  bind(2);
  EXPECT_EQ(engine->pool_usage(0, at(kT0)), (std::vector<std::size_t>{2}));
  EXPECT_EQ(engine->pool_usage(0, at(kT0 + 601)), (std::vector<std::size_t>{0}));
}

}  // namespace
}  // namespace pairgate::dhcp

namespace pairgate::dhcp {
namespace {

TEST_F(EngineTest, OffersToOtherClientsGiveWayWhenThePoolIsFull) {
  // Ten offers nobody took (their clients chose the peer) fill the pool.
  for (int c = 1; c <= 10; ++c) {
    ASSERT_TRUE(engine->handle(broadcast_in(client_message(MessageType::discover, static_cast<std::uint8_t>(c))), at(kT0)).reply);
  }
  auto o = engine->handle(broadcast_in(client_message(MessageType::discover, 11)), at(kT0 + 1));
  EXPECT_EQ(o.drop, Drop::pool_exhausted) << "fresh offers are kept for their clients";
  o = engine->handle(broadcast_in(client_message(MessageType::discover, 11)), at(kT0 + Engine::kOfferStale.count()));
  ASSERT_TRUE(o.reply) << o.note;
  // Bound leases never give way.
  for (int c = 12; c <= 21; ++c) bind(static_cast<std::uint8_t>(c), kT0 + 20);
  EXPECT_EQ(engine->handle(broadcast_in(client_message(MessageType::discover, 30)), at(kT0 + 20)).drop, Drop::pool_exhausted);
}

}  // namespace
}  // namespace pairgate::dhcp

namespace pairgate::dhcp {
namespace {

TEST_F(EngineTest, AnUndoneCommitLeavesNoLease) {
  auto offer = engine->handle(broadcast_in(client_message(MessageType::discover, 1)), at(kT0));
  auto req = client_message(MessageType::request, 1);
  req.set_address(option::server_id, kServer);
  req.set_address(option::requested_address, offer.reply->message.yiaddr);
  auto ack = engine->handle(broadcast_in(req), at(kT0));
  ASSERT_TRUE(ack.commit);
  EXPECT_FALSE(ack.previous);
  engine->undo(*ack.commit, ack.previous, at(kT0));
  EXPECT_EQ(engine->active_leases(kT0), 0u);
  EXPECT_FALSE(engine->store().find(offer.reply->message.yiaddr)) << "no record, as before the commit";
  EXPECT_TRUE(engine->holds().offered_to(offer.reply->message.yiaddr, ack.commit->client, at(kT0).steady));
  // A renewal that fails keeps the lease the disk has.
  ack = engine->handle(broadcast_in(req), at(kT0));
  auto renew = client_message(MessageType::request, 1);
  renew.ciaddr = ack.commit->address;
  auto again = engine->handle(Inbound{renew, "lan0", renew.ciaddr, kServer}, at(kT0 + 300));
  ASSERT_TRUE(again.previous);
  engine->undo(*again.commit, again.previous, at(kT0 + 300));
  EXPECT_EQ(engine->store().find(renew.ciaddr)->expires, kT0 + 600);
}

}  // namespace
}  // namespace pairgate::dhcp

namespace pairgate::dhcp {
namespace {

TEST_F(EngineTest, AClientThatChoseThePeerWhileProbedGetsNoLateOffer) {
  make(ConflictCheck::arp);
  auto o = engine->handle(broadcast_in(client_message(MessageType::discover, 1)), at(kT0));
  ASSERT_TRUE(o.probe);
  auto req = client_message(MessageType::request, 1);
  req.set_address(option::server_id, kPeer);
  req.set_address(option::requested_address, ip("192.0.2.150"));
  EXPECT_EQ(engine->handle(broadcast_in(req), at(kT0)).drop, Drop::other_server);
  // Its address is free for the next client; the old probe's end offers nothing.
  auto next = client_message(MessageType::discover, 2);
  next.set_address(option::requested_address, o.probe->address);
  auto o2 = engine->handle(broadcast_in(next), at(kT0));
  ASSERT_TRUE(o2.probe);
  EXPECT_EQ(o2.probe->address, o.probe->address);
  EXPECT_FALSE(engine->probe_result(o.probe->id, false, at(kT0)).reply);
  auto offer = engine->probe_result(o2.probe->id, false, at(kT0));
  ASSERT_TRUE(offer.reply);
  EXPECT_EQ(offer.reply->message.chaddr[5], 2);
}

}  // namespace
}  // namespace pairgate::dhcp

namespace pairgate::dhcp {
namespace {

// Found by hostile testing: a reservation's long hostname overflowed the
// store when its client was acknowledged (ASan, LeaseStore::Blob::Blob).
TEST_F(EngineTest, AReservationsHugeHostnameIsCutWhenItsClientIsAcknowledged) {
  auto cfg = config();
  cfg.subnets[0].reservations[0].hostname = std::string(70000, 'p');
  engine->configure(cfg);
  auto discover = client_message(MessageType::discover, 0x99);
  discover.set(option::parameter_request_list, {1, 3, 12});
  auto offer = engine->handle(broadcast_in(discover), at(kT0));
  ASSERT_TRUE(offer.reply);
  ASSERT_TRUE(offer.reply->message.options.contains(option::host_name));
  EXPECT_EQ(offer.reply->message.options.at(option::host_name).size(), kMaxHostname);
  auto req = client_message(MessageType::request, 0x99);
  req.set_address(option::server_id, kServer);
  req.set_address(option::requested_address, ip("192.0.2.10"));
  auto ack = engine->handle(broadcast_in(req), at(kT0));
  ASSERT_TRUE(ack.commit) << ack.note;
  EXPECT_EQ(ack.commit->hostname.size(), kMaxHostname);
  EXPECT_TRUE(engine->store().find(ip("192.0.2.10"))->hostname == ack.commit->hostname);
  EXPECT_GE(engine->counters().hostname_truncated, 1u);
}

// RFC 3396 concatenation lets a client send a 64 KiB hostname or client
// identifier: what is journalled is cut to 255 bytes, and counted.
TEST_F(EngineTest, AClientsHugeHostnameAndIdentifierAreCutAndCounted) {
  const std::vector<std::uint8_t> id(300, 0x42);
  auto with = [&](MessageType t) {
    auto m = client_message(t, 1);
    m.set(option::client_id, id);
    m.set(option::host_name, std::vector<std::uint8_t>(65535, 'h'));
    return m;
  };
  auto offer = engine->handle(broadcast_in(with(MessageType::discover)), at(kT0));
  ASSERT_TRUE(offer.reply);
  auto req = with(MessageType::request);
  req.set_address(option::server_id, kServer);
  req.set_address(option::requested_address, offer.reply->message.yiaddr);
  auto ack = engine->handle(broadcast_in(req), at(kT0));
  ASSERT_TRUE(ack.commit) << ack.note;
  EXPECT_EQ(ack.commit->hostname.size(), kMaxHostname);
  EXPECT_EQ(ack.commit->client.client_id().size(), kMaxClientId);
  EXPECT_EQ(engine->counters().hostname_truncated, 1u);
  EXPECT_EQ(engine->counters().client_id_truncated, 2u);
  // The same client, known by the first 255 bytes of its identifier.
  EXPECT_EQ(engine->store().find(ClientKey::from_client_id(id), *IpPrefix::parse("192.0.2.0/24"))->address,
            offer.reply->message.yiaddr);
}

}  // namespace
}  // namespace pairgate::dhcp

namespace pairgate::dhcp {
namespace {

// RFC 3046 §2.2: the server echoes the relay agent information option in
// every reply, NAKs included (before the fix a NAK left it out, and the
// relay could not tell which circuit the NAK was for).
TEST_F(EngineTest, ARelayedNakEchoesTheRelayAgentInformation) {
  auto req = client_message(MessageType::request, 5);
  req.giaddr = ip("198.51.100.1");
  req.set(option::relay_agent_information, {1, 4, 'e', 't', 'h', '1'});
  req.set_address(option::requested_address, ip("192.0.2.50"));  // not the relay's network
  auto o = engine->handle(relay_in(req), at(kT0));
  ASSERT_TRUE(o.reply) << o.note;
  EXPECT_EQ(o.reply->message.type(), MessageType::nak);
  ASSERT_TRUE(o.reply->message.options.contains(option::relay_agent_information));
  EXPECT_EQ(o.reply->message.options.at(option::relay_agent_information), req.options.at(option::relay_agent_information));
}

}  // namespace
}  // namespace pairgate::dhcp

namespace pairgate::dhcp {
namespace {

using std::chrono::seconds;

// Offer holds are in memory only: they run on the steady clock. Before the
// fix a wall clock stepped forward made every fresh offer stale at once (and
// gave the address to the next client), one stepped back made them eternal
// (the pool stayed full of offers nobody took).
TEST_F(EngineTest, OfferHoldsRunOnSteadyTimeThroughAWallClockStep) {
  for (int c = 1; c <= 10; ++c) {
    ASSERT_TRUE(engine->handle(broadcast_in(client_message(MessageType::discover, static_cast<std::uint8_t>(c))), at(kT0)).reply);
  }
  // The wall clock jumps a day ahead, one second later: the offers are fresh.
  const Time ahead{kT0 + 86400, kSteady0 + seconds(1)};
  EXPECT_EQ(engine->handle(broadcast_in(client_message(MessageType::discover, 11)), ahead).drop, Drop::pool_exhausted);
  // It jumps a day back; once the hold has passed on the steady clock the
  // offers are gone and the pool serves again.
  const Time back{kT0 - 86400, kSteady0 + Engine::kOfferHold + seconds(1)};
  engine->reclaim(back);
  EXPECT_TRUE(engine->handle(broadcast_in(client_message(MessageType::discover, 11)), back).reply);
  EXPECT_EQ(engine->pool_usage(0, back), (std::vector<std::size_t>{1}));
}

// Quarantines likewise: an hour of steady time, whatever the wall clock does.
TEST_F(EngineTest, AQuarantineEndsAfterAnHourOfSteadyTime) {
  make(ConflictCheck::arp);
  auto o = engine->handle(broadcast_in(client_message(MessageType::discover, 1)), at(kT0));
  ASSERT_TRUE(o.probe);
  engine->probe_result(o.probe->id, true, at(kT0));
  ASSERT_EQ(engine->store().find(o.probe->address)->state, LeaseState::declined);
  const Time back{kT0 - 86400, kSteady0 + Engine::kQuarantine + seconds(1)};
  engine->reclaim(back);
  EXPECT_EQ(engine->store().find(o.probe->address)->state, LeaseState::expired);
  EXPECT_EQ(engine->counters().reclaimed_declined, 1u);
}

// One lease per client per subnet (as Kea): before the fix a client that
// asked for another address kept both bindings, and find(client, subnet)
// returned whichever came first.
TEST_F(EngineTest, OneClientHoldsOneLeasePerSubnet) {
  const auto a = bind(1);
  const auto b = a == ip("192.0.2.29") ? ip("192.0.2.28") : Ipv4Address(a.to_uint() + 1);
  auto req = client_message(MessageType::request, 1);
  req.set_address(option::server_id, kServer);
  req.set_address(option::requested_address, b);
  auto ack = engine->handle(broadcast_in(req), at(kT0 + 10));
  ASSERT_TRUE(ack.commit) << ack.note;
  EXPECT_EQ(ack.commit->address, b);
  ASSERT_EQ(ack.retired.size(), 1u);
  EXPECT_EQ(ack.retired[0].lease.address, a);
  EXPECT_NE(ack.retired[0].lease.state, LeaseState::leased);
  ASSERT_TRUE(ack.retired[0].previous);
  EXPECT_EQ(ack.retired[0].previous->state, LeaseState::leased);
  EXPECT_EQ(engine->active_leases(kT0 + 10), 1u);
  EXPECT_EQ(engine->store().find(ClientKey::from_hardware(1, std::span(req.chaddr).first(6)), *IpPrefix::parse("192.0.2.0/24"))->address, b);
  // Undone (the batch failed): both records are as they were.
  engine->undo(*ack.commit, ack.previous, at(kT0 + 10));
  for (auto it = ack.retired.rbegin(); it != ack.retired.rend(); ++it) engine->undo(it->lease, it->previous, at(kT0 + 10));
  EXPECT_EQ(engine->store().find(a)->state, LeaseState::leased);
  EXPECT_EQ(engine->active_leases(kT0 + 10), 1u);
}

// After a reload moved the split, an address outside this host's pools
// (but on the subnet) is no longer extended: RFC 2131 §4.3.2 lets a server
// "choose not to extend the lease" and still ACK. The client gets what is
// left of its lease, no NAK (with lease sync the address may be the peer's
// client's), and no commit; once it has run out, silence; its next DISCOVER
// gets an address of the new pool. Before the fix the lease was renewed in
// full, in what is now the peer's half.
TEST_F(EngineTest, AfterTheSplitMovesALeaseOutsideThePoolsRunsOut) {
  const auto a = bind(1);
  auto cfg = config();
  cfg.subnets[0].pools = {conf::Pool{*Ipv4Range::parse("192.0.2.30-192.0.2.39"), {}}};
  engine->configure(cfg);

  auto renew = client_message(MessageType::request, 1);
  renew.ciaddr = a;
  auto o = engine->handle(Inbound{renew, "lan0", a, kServer}, at(kT0 + 300));
  ASSERT_TRUE(o.reply) << o.note;
  EXPECT_EQ(o.reply->message.type(), MessageType::ack);
  EXPECT_EQ(o.reply->message.u32_option(option::lease_time), 300u);
  EXPECT_LT(*o.reply->message.u32_option(option::rebinding_time), 300u);
  EXPECT_FALSE(o.commit) << "nothing changes, nothing is written";
  EXPECT_EQ(engine->store().find(a)->expires, kT0 + 600);

  auto rebind = renew;  // broadcast: REBINDING
  o = engine->handle(Inbound{rebind, "lan0", a, kBroadcast}, at(kT0 + 500));
  ASSERT_TRUE(o.reply) << o.note;
  EXPECT_EQ(o.reply->message.u32_option(option::lease_time), 100u);

  auto reboot = client_message(MessageType::request, 1);
  reboot.set_address(option::requested_address, a);
  o = engine->handle(broadcast_in(reboot), at(kT0 + 550));
  ASSERT_TRUE(o.reply) << o.note;
  EXPECT_EQ(o.reply->message.type(), MessageType::ack);
  EXPECT_EQ(o.reply->message.u32_option(option::lease_time), 50u);

  o = engine->handle(Inbound{renew, "lan0", a, kServer}, at(kT0 + 601));
  EXPECT_FALSE(o.reply) << o.note;
  EXPECT_EQ(o.drop, Drop::not_in_pools);
  EXPECT_EQ(engine->counters().nak_sent, 0u);

  auto offer = engine->handle(broadcast_in(client_message(MessageType::discover, 1)), at(kT0 + 602));
  ASSERT_TRUE(offer.reply);
  EXPECT_TRUE(offer.reply->message.yiaddr >= ip("192.0.2.30") && offer.reply->message.yiaddr <= ip("192.0.2.39"));

  // SELECTING an address we no longer lease (our server id): NAK.
  auto select = client_message(MessageType::request, 2);
  select.set_address(option::server_id, kServer);
  select.set_address(option::requested_address, ip("192.0.2.21"));
  expect_nak(select, kT0 + 603);
}

// RFC 2131 §4.3.3 (a DECLINE follows an ACK): honoured only from the client
// that holds the address bound. Found by hostile testing: ten DECLINEs of
// merely offered addresses emptied a small pool for an hour.
TEST_F(EngineTest, OnlyTheBoundClientsDeclineQuarantines) {
  for (int c = 1; c <= 10; ++c) {
    auto offer = engine->handle(broadcast_in(client_message(MessageType::discover, static_cast<std::uint8_t>(c))), at(kT0));
    ASSERT_TRUE(offer.reply);
    auto d = client_message(MessageType::decline, static_cast<std::uint8_t>(c));
    d.set_address(option::server_id, kServer);
    d.set_address(option::requested_address, offer.reply->message.yiaddr);
    auto o = engine->handle(broadcast_in(d), at(kT0 + 1));
    EXPECT_EQ(o.drop, Drop::client_mismatch) << o.note;
    EXPECT_FALSE(o.commit);
  }
  EXPECT_EQ(engine->counters().declined_addresses, 0u);
  EXPECT_EQ(engine->counters().drops[static_cast<std::size_t>(Drop::client_mismatch)], 10u);
  // The offers run out; the pool serves.
  engine->reclaim(at(kT0 + Engine::kOfferHold.count() + 1));
  const auto a = bind(12, kT0 + Engine::kOfferHold.count() + 2);
  // Another client's DECLINE of a bound address: refused.
  auto d = client_message(MessageType::decline, 13);
  d.set_address(option::server_id, kServer);
  d.set_address(option::requested_address, a);
  EXPECT_EQ(engine->handle(broadcast_in(d), at(kT0 + 100)).drop, Drop::client_mismatch);
  EXPECT_EQ(engine->store().find(a)->state, LeaseState::leased);
  // Nor does its own client once the lease has ended (released here): the
  // record is a claim, not a binding (as Kea, which accepts a DECLINE only
  // for a lease the client holds).
  auto rel = client_message(MessageType::release, 12);
  rel.ciaddr = a;
  rel.set_address(option::server_id, kServer);
  ASSERT_TRUE(engine->handle(Inbound{rel, "lan0", a, kServer}, at(kT0 + 101)).commit);
  d = client_message(MessageType::decline, 12);
  d.set_address(option::server_id, kServer);
  d.set_address(option::requested_address, a);
  EXPECT_EQ(engine->handle(broadcast_in(d), at(kT0 + 102)).drop, Drop::client_mismatch);
  EXPECT_EQ(engine->store().find(a)->state, LeaseState::released);
  EXPECT_EQ(engine->counters().declined_addresses, 0u);
}

}  // namespace
}  // namespace pairgate::dhcp

namespace pairgate::dhcp {
namespace {

// Found by hostile testing: a blind on-link host that set giaddr took every
// address of a relayed pool (its broadcasts were served as relayed; the
// replies went to the relay, it needed none of them). A relayed message is
// served only when it is unicast to this host (as relays send it, RFC 1542
// §4.1.1), with at most 16 hops, on the interface its subnet is served on,
// and, when the subnet names its relays, from one of them.
TEST_F(EngineTest, ARelayedMessageIsServedOnlyAsARelaySendsIt) {
  auto spoof = client_message(MessageType::request, 1);
  spoof.giaddr = ip("198.51.100.1");
  spoof.set_address(option::server_id, kServer);
  spoof.set_address(option::requested_address, ip("198.51.100.50"));
  auto o = engine->handle(Inbound{spoof, "lan0", ip("192.0.2.77"), kBroadcast}, at(kT0));
  EXPECT_FALSE(o.reply);
  EXPECT_FALSE(o.commit);
  EXPECT_EQ(o.drop, Drop::relay_not_unicast);

  auto hops = spoof;
  hops.hops = 17;
  EXPECT_EQ(engine->handle(relay_in(hops), at(kT0)).drop, Drop::relay_hops);

  // The relayed subnet is served on lan0; the message arrived on lan1.
  EXPECT_EQ(engine->handle(Inbound{spoof, "lan1", ip("192.0.2.5"), kServer, true}, at(kT0)).drop,
            Drop::relay_interface);

  // As a relay sends it: served.
  o = engine->handle(relay_in(spoof), at(kT0));
  ASSERT_TRUE(o.commit) << o.note;

  // A giaddr on this host's own LAN of the interface (a relay there, or
  // perfdhcp) gets what a client there would, broadcast or not.
  auto local = client_message(MessageType::discover, 3);
  local.giaddr = ip("192.0.2.77");
  o = engine->handle(Inbound{local, "lan0", ip("192.0.2.77"), kBroadcast}, at(kT0));
  ASSERT_TRUE(o.reply) << o.note;
  EXPECT_EQ(o.reply->delivery, Delivery::relay);
  EXPECT_TRUE(o.reply->message.yiaddr >= ip("192.0.2.20") && o.reply->message.yiaddr <= ip("192.0.2.29"));

  // The subnet names its relays: others are refused.
  auto cfg = config();
  cfg.subnets[1].relays = {ip("192.0.2.5")};
  engine->configure(cfg);
  auto next = client_message(MessageType::discover, 2);
  next.giaddr = ip("198.51.100.1");
  EXPECT_EQ(engine->handle(relay_in(next, ip("192.0.2.66")), at(kT0)).drop, Drop::relay_unknown);
  EXPECT_TRUE(engine->handle(relay_in(next, ip("192.0.2.5")), at(kT0)).reply);
  EXPECT_EQ(engine->counters().drops[static_cast<std::size_t>(Drop::relay_unknown)], 1u);
}

}  // namespace
}  // namespace pairgate::dhcp
