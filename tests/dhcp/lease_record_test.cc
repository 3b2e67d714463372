// dhcp/lease_record, and the engine with lease sync (a fake clock): the
// peer's records by the conflict rule, the peer's clients served with their
// own addresses, new addresses only from this host's pools, cltt in the
// lease file.
#include "dhcp/lease_record.h"

#include <gtest/gtest.h>

#include "dhcp/engine.h"
#include "dhcp/journal_format.h"

namespace pairgate::dhcp {
namespace {

const Ipv4Address kServer = *Ipv4Address::parse("192.0.2.2");
const Ipv4Address kVip = *Ipv4Address::parse("192.0.2.1");
const Ipv4Address kBroadcast{0xffffffffu};
constexpr std::int64_t kT0 = 1'800'000'000;
const auto kSteady0 = std::chrono::steady_clock::time_point(std::chrono::hours(1000));

Time at(std::int64_t wall) { return Time{wall, kSteady0 + std::chrono::seconds(wall - kT0)}; }
Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }

// This host's pool is .20-.29; the peer's is .30-.39.
conf::Dhcp config(std::optional<Ipv4Address> server_identifier = std::nullopt) {
  conf::DhcpSubnet s;
  s.interface = "lan0";
  s.subnet = *IpPrefix::parse("192.0.2.0/24");
  s.pools = {conf::Pool{*Ipv4Range::parse("192.0.2.20-192.0.2.29"), {}}};
  s.lease_time = std::chrono::seconds(20);
  s.max_lease_time = std::chrono::seconds(7200);
  s.conflict_check = conf::ConflictCheck::none;
  s.server_identifier = server_identifier;
  conf::Dhcp d;
  d.subnets = {s};
  return d;
}

Message message(MessageType type, std::uint8_t mac_last) {
  Message m;
  m.xid = 0x2000 + mac_last;
  m.chaddr = {0x02, 0, 0, 0, 0, mac_last};
  m.set(option::message_type, {static_cast<std::uint8_t>(type)});
  return m;
}

ClientKey key(std::uint8_t mac_last) {
  const std::uint8_t chaddr[6] = {0x02, 0, 0, 0, 0, mac_last};
  return ClientKey::from_hardware(1, chaddr);
}

// The peer's binding of `a` for client mac_last, heard at `cltt`.
Lease peer_lease(const char* a, std::uint8_t mac_last, std::int64_t cltt, std::int64_t seconds = 20) {
  Lease l{ip(a), LeaseState::leased, LeaseOrigin::peer, cltt + seconds,
          MacAddress({0x02, 0, 0, 0, 0, mac_last}), key(mac_last), "host", cltt};
  return l;
}

class LeaseSyncEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { make(true); }
  void make(bool sync, std::optional<Ipv4Address> sid = std::nullopt) {
    engine = std::make_unique<Engine>(config(sid));
    engine->set_server_address(0, sid.value_or(kServer));
    engine->set_lease_sync(sync);
  }
  std::unique_ptr<Engine> engine;
};

TEST(LeaseRecord, RoundTripsEveryPersistedState) {
  for (auto s : {LeaseState::leased, LeaseState::released, LeaseState::expired, LeaseState::declined}) {
    Lease l = peer_lease("192.0.2.30", 1, kT0);
    l.state = s;
    auto r = to_record(l);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->cltt, kT0);
    auto back = from_record(*r);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, l);
  }
  Lease offered = peer_lease("192.0.2.30", 1, kT0);
  offered.state = LeaseState::offered;
  EXPECT_FALSE(to_record(offered)) << "an offer is never synced";
}

TEST(LeaseRecord, ARecordWithAMalformedClientKeyIsRefused) {
  LeaseRecord r = *to_record(peer_lease("192.0.2.30", 1, kT0));
  r.client = "x123";
  EXPECT_FALSE(from_record(r));
}

TEST(LeaseRecord, TheLeaseFileKeepsCltt) {
  std::string out;
  encode_record(peer_lease("192.0.2.30", 1, kT0), out);
  auto back = decode_record(std::string_view(out).substr(0, out.size() - 1));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->cltt, kT0);
  EXPECT_EQ(back->origin, LeaseOrigin::peer);
  EXPECT_NE(out.find(" peer 1800000000 "), std::string::npos) << out;
}

TEST(LeaseRecord, AFileWrittenBeforeClttReadsAsZero) {
  auto l = decode_record("lease 192.168.2.22 declined 1800003600 - - - local 5ac3f228");
  ASSERT_TRUE(l);
  EXPECT_EQ(l->cltt, 0);
}

TEST_F(LeaseSyncEngineTest, ThePeersRecordIsStoredWithOriginPeer) {
  auto stored = engine->apply_peer(peer_lease("192.0.2.30", 1, kT0), at(kT0));
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->origin, LeaseOrigin::peer);
  EXPECT_EQ(engine->store().find(ip("192.0.2.30"))->origin, LeaseOrigin::peer);
}

TEST_F(LeaseSyncEngineTest, TheLaterClttWinsWhateverTheOrder) {
  auto older = peer_lease("192.0.2.30", 1, kT0);
  auto newer = peer_lease("192.0.2.30", 2, kT0 + 5);
  ASSERT_TRUE(engine->apply_peer(newer, at(kT0 + 5)));
  EXPECT_FALSE(engine->apply_peer(older, at(kT0 + 5))) << "an older record never replaces a newer one";
  EXPECT_EQ(engine->store().find(ip("192.0.2.30"))->client, key(2));
  EXPECT_FALSE(engine->apply_peer(newer, at(kT0 + 5))) << "the same record again changes nothing";
}

TEST_F(LeaseSyncEngineTest, ThePeersClientIsRenewedReboundAndConfirmedInFull) {
  ASSERT_TRUE(engine->apply_peer(peer_lease("192.0.2.31", 7, kT0), at(kT0)));
  // RENEWING (unicast to us), REBINDING (broadcast), INIT-REBOOT.
  auto renew = message(MessageType::request, 7);
  renew.ciaddr = ip("192.0.2.31");
  auto r1 = engine->handle(Inbound{renew, "lan0", renew.ciaddr, kServer, true}, at(kT0 + 10));
  ASSERT_TRUE(r1.reply && r1.commit) << r1.note;
  EXPECT_EQ(r1.reply->message.type(), MessageType::ack);
  EXPECT_EQ(r1.reply->message.yiaddr, ip("192.0.2.31"));
  EXPECT_EQ(r1.reply->message.u32_option(option::lease_time), 20u) << "extended, not what is left";
  EXPECT_EQ(r1.commit->expires, kT0 + 30);
  EXPECT_EQ(r1.commit->cltt, kT0 + 10);
  EXPECT_EQ(r1.commit->origin, LeaseOrigin::local);

  auto rebind = renew;
  auto r2 = engine->handle(Inbound{rebind, "lan0", rebind.ciaddr, kBroadcast}, at(kT0 + 25));
  ASSERT_TRUE(r2.reply && r2.commit) << r2.note;
  EXPECT_EQ(r2.commit->expires, kT0 + 45);

  auto reboot = message(MessageType::request, 7);
  reboot.set_address(option::requested_address, ip("192.0.2.31"));
  auto r3 = engine->handle(Inbound{reboot, "lan0", Ipv4Address{}, kBroadcast}, at(kT0 + 40));
  ASSERT_TRUE(r3.reply && r3.commit) << r3.note;
  EXPECT_EQ(r3.reply->message.type(), MessageType::ack);
}

TEST_F(LeaseSyncEngineTest, WithoutLeaseSyncABindingOutsideThePoolsIsNotExtended) {
  make(false);
  engine->adopt(peer_lease("192.0.2.31", 7, kT0), at(kT0));
  auto renew = message(MessageType::request, 7);
  renew.ciaddr = ip("192.0.2.31");
  auto r = engine->handle(Inbound{renew, "lan0", renew.ciaddr, kServer, true}, at(kT0 + 10));
  ASSERT_TRUE(r.reply) << r.note;
  EXPECT_FALSE(r.commit);
  EXPECT_EQ(r.reply->message.u32_option(option::lease_time), 10u);
}

TEST_F(LeaseSyncEngineTest, AnotherClientOfThePeersAddressIsNaked) {
  ASSERT_TRUE(engine->apply_peer(peer_lease("192.0.2.31", 7, kT0), at(kT0)));
  auto reboot = message(MessageType::request, 8);
  reboot.set_address(option::requested_address, ip("192.0.2.31"));
  auto r = engine->handle(Inbound{reboot, "lan0", Ipv4Address{}, kBroadcast}, at(kT0 + 1));
  ASSERT_TRUE(r.reply) << r.note;
  EXPECT_EQ(r.reply->message.type(), MessageType::nak);
}

TEST_F(LeaseSyncEngineTest, ADiscoverOfThePeersClientIsOfferedItsBindingAndAcked) {
  ASSERT_TRUE(engine->apply_peer(peer_lease("192.0.2.31", 7, kT0), at(kT0)));
  auto o = engine->handle(Inbound{message(MessageType::discover, 7), "lan0", Ipv4Address{}, kBroadcast}, at(kT0 + 1));
  ASSERT_TRUE(o.reply) << o.note;
  EXPECT_EQ(o.reply->message.yiaddr, ip("192.0.2.31"));
  auto req = message(MessageType::request, 7);
  req.set_address(option::server_id, kServer);
  req.set_address(option::requested_address, ip("192.0.2.31"));
  auto a = engine->handle(Inbound{req, "lan0", Ipv4Address{}, kBroadcast}, at(kT0 + 1));
  ASSERT_TRUE(a.reply && a.commit) << a.note;
  EXPECT_EQ(a.reply->message.type(), MessageType::ack);
}

TEST_F(LeaseSyncEngineTest, NewClientsGetAddressesOnlyFromThisHostsPool) {
  // The peer's pool is empty of bindings (it is dead), ours fills up.
  for (std::uint8_t mac = 1; mac <= 12; ++mac) {
    auto o = engine->handle(Inbound{message(MessageType::discover, mac), "lan0", Ipv4Address{}, kBroadcast}, at(kT0));
    if (mac <= 10) {
      ASSERT_TRUE(o.reply) << o.note;
      EXPECT_TRUE(o.reply->message.yiaddr >= ip("192.0.2.20") && o.reply->message.yiaddr <= ip("192.0.2.29"));
    } else {
      EXPECT_FALSE(o.reply) << "exhausted: never one of the peer's addresses";
    }
  }
}

TEST_F(LeaseSyncEngineTest, ASharedServerIdentifierLetsTheOtherRoutersOfferGoWithoutANak) {
  make(true, kVip);
  auto req = message(MessageType::request, 5);
  req.set_address(option::server_id, kVip);
  req.set_address(option::requested_address, ip("192.0.2.35"));  // the peer's offer
  auto o = engine->handle(Inbound{req, "lan0", Ipv4Address{}, kBroadcast}, at(kT0));
  EXPECT_FALSE(o.reply) << o.note;
  EXPECT_EQ(o.drop, Drop::other_server);
}

TEST_F(LeaseSyncEngineTest, OurCommitsCarryTheirCltt) {
  auto d = engine->handle(Inbound{message(MessageType::discover, 3), "lan0", Ipv4Address{}, kBroadcast}, at(kT0));
  ASSERT_TRUE(d.reply);
  auto req = message(MessageType::request, 3);
  req.set_address(option::server_id, kServer);
  req.set_address(option::requested_address, d.reply->message.yiaddr);
  auto a = engine->handle(Inbound{req, "lan0", Ipv4Address{}, kBroadcast}, at(kT0 + 2));
  ASSERT_TRUE(a.commit);
  EXPECT_EQ(a.commit->cltt, kT0 + 2);
  auto rel = message(MessageType::release, 3);
  rel.ciaddr = d.reply->message.yiaddr;
  rel.set_address(option::server_id, kServer);
  auto r = engine->handle(Inbound{rel, "lan0", rel.ciaddr, kServer, true}, at(kT0 + 7));
  ASSERT_TRUE(r.commit) << r.note;
  EXPECT_EQ(r.commit->cltt, kT0 + 7);
  EXPECT_EQ(r.commit->state, LeaseState::released);
}

}  // namespace
}  // namespace pairgate::dhcp
