// dhcp/service with doubles for its port 67, its lease journal, netlink and
// the clocks: an ACK leaves only after its batch is durable, a failed batch
// takes its commit back and no ACK leaves, an unusable lease file does not
// keep the module from starting and is retried, status shows receive
// errors, and `leases` pages.
#include "dhcp/service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <map>

#include "core/commands.h"
#include "core/events.h"
#include "core/metrics.h"
#include "tests/mocks/mock_netlink.h"

namespace pairgate::dhcp {
namespace {

using ::testing::_;
using ::testing::NiceMock;
using ::testing::Return;

const Ipv4Address kServer = *Ipv4Address::parse("192.0.2.2");
const Ipv4Address kBroadcast{0xffffffffu};
constexpr std::int64_t kT0 = 1'800'000'000;

class FakeTransport final : public Transport {
 public:
  struct Sent {
    Message message;
    Ipv4Address to;
    bool hardware = false;
  };
  void start(Handler h) override { handler = std::move(h); }
  void close() override { handler = nullptr; }
  std::error_code send(std::span<const std::byte> payload, Ipv4Address, Ipv4Address to, std::uint16_t) override {
    sent.push_back({*parse(payload), to, false});
    return {};
  }
  std::error_code send_to_hardware(std::span<const std::byte> payload, Ipv4Address, Ipv4Address to,
                                   const MacAddress&) override {
    sent.push_back({*parse(payload), to, true});
    return {};
  }
  std::uint64_t receive_errors() const override { return errors; }
  std::size_t send_batch(std::span<const Outgoing> batch, const SendFailed& failed) override {
    batches.push_back(batch.size());
    return Transport::send_batch(batch, failed);
  }

  Handler handler;
  std::vector<std::size_t> batches;  // the size of each send_batch
  std::vector<Sent> sent;
  std::uint64_t errors = 0;
};

// Batches complete when the test says so.
class FakeJournal final : public LeaseJournal {
 public:
  FakeJournal(std::string path, Journal::BatchDone done) : path_(std::move(path)), done_(std::move(done)) {}
  std::uint64_t append(const Lease& l) override {
    appended.push_back(l);
    return open_;
  }
  std::uint64_t rewrite() override {
    ++rewrites;
    return open_;
  }
  void when_idle(std::function<void()> done) override { done(); }
  bool failed() const override { return failed_; }
  const std::string& last_error() const override { return error_; }
  std::uint64_t file_bytes() const override { return 0; }
  std::uint64_t batches() const override { return open_ - 1; }
  std::uint64_t compactions() const override { return 0; }
  const std::string& path() const override { return path_; }

  // The open batch reached the disk, or failed with `ec`.
  void finish(std::error_code ec = {}) {
    failed_ = static_cast<bool>(ec);
    error_ = ec ? ec.message() : "";
    done_(open_++, ec);
  }

  std::vector<Lease> appended;
  int rewrites = 0;

 private:
  std::string path_;
  Journal::BatchDone done_;
  std::uint64_t open_ = 1;
  bool failed_ = false;
  std::string error_;
};

Message client_message(MessageType type, std::uint8_t mac_last) {
  Message m;
  m.xid = 0x1000 + mac_last;
  m.chaddr = {0x02, 0, 0, 0, 0, mac_last};
  m.flags = Message::kBroadcast;
  m.set(option::message_type, {static_cast<std::uint8_t>(type)});
  return m;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    LinkInfo lan;
    lan.index = 2;
    lan.name = "lan0";
    lan.admin_up = lan.oper_up = true;
    lan.mac = *MacAddress::parse("02:00:00:00:01:02");
    ON_CALL(nl, link(std::string_view("lan0"))).WillByDefault(Return(lan));
    ON_CALL(nl, addresses(_, _))
        .WillByDefault(Return(std::vector<AddressInfo>{AddressInfo{2, *IpPrefix::parse("192.0.2.2/24"), 0, 0, ""}}));

    conf::DhcpSubnet s;
    s.interface = "lan0";
    s.subnet = *IpPrefix::parse("192.0.2.0/24");
    s.pools = {conf::Pool{*Ipv4Range::parse("192.0.2.20-192.0.2.200"), {}}};
    s.lease_time = std::chrono::seconds(600);
    s.conflict_check = conf::ConflictCheck::none;
    conf::Dhcp d;
    d.lease_file = "/nonexistent/dhcp4.leases";
    d.subnets = {s};
    config.dhcp = d;
  }

  Service::Backends backends() {
    Service::Backends b;
    b.open_socket = [this](boost::asio::io_context&, const std::string& name, int) {
      auto t = std::make_unique<FakeTransport>();
      sockets[name] = t.get();
      return std::unique_ptr<Transport>(std::move(t));
    };
    b.load = [this](const std::string&) {
      if (!load_error.empty()) throw std::runtime_error(load_error);
      return loaded;
    };
    b.open_journal = [this](boost::asio::io_context&, const std::string& path, Journal::Snapshot,
                            Journal::BatchDone done, bool) {
      if (!open_error.empty()) throw std::runtime_error(open_error);
      auto j = std::make_unique<FakeJournal>(path, std::move(done));
      journal = j.get();
      return std::unique_ptr<LeaseJournal>(std::move(j));
    };
    b.clock = [this] { return now; };
    b.retry_every = std::chrono::seconds(0);
    return b;
  }

  void start() {
    service = std::make_unique<Service>(ModuleContext{io, nl, commands, metrics, events}, backends());
    service->start(config);
  }

  FakeTransport& lan() { return *sockets.at("lan0"); }

  void receive(const Message& m, Ipv4Address destination = kBroadcast) {
    auto bytes = build(m).bytes;
    Datagram d{bytes, Ipv4Address{}, 68, destination};
    ASSERT_TRUE(lan().handler);
    lan().handler(std::span<const Datagram>(&d, 1));
  }

  // DISCOVER, then the REQUEST for what was offered; returns the address.
  Ipv4Address request(std::uint8_t mac_last) {
    const auto before = lan().sent.size();
    receive(client_message(MessageType::discover, mac_last));
    EXPECT_EQ(lan().sent.size(), before + 1);
    if (lan().sent.size() != before + 1) return {};
    const auto offer = lan().sent.back().message;
    EXPECT_EQ(offer.type(), MessageType::offer);
    auto req = client_message(MessageType::request, mac_last);
    req.set_address(option::server_id, kServer);
    req.set_address(option::requested_address, offer.yiaddr);
    receive(req);
    return offer.yiaddr;
  }

  nlohmann::json status() const {
    nlohmann::json out;
    service->status(out);
    return out["dhcp"];
  }

  boost::asio::io_context io;
  NiceMock<testing::MockNetlink> nl;
  CommandRegistry commands;
  MetricsRegistry metrics;
  EventBus events;
  conf::Config config;
  Time now{kT0, std::chrono::steady_clock::time_point(std::chrono::hours(10))};
  std::map<std::string, FakeTransport*> sockets;
  FakeJournal* journal = nullptr;
  Journal::Loaded loaded;
  std::string load_error, open_error;
  std::unique_ptr<Service> service;
};

TEST_F(ServiceTest, AnAckLeavesOnlyAfterItsBatchIsDurable) {
  start();
  ASSERT_TRUE(journal);
  const auto a = request(1);
  ASSERT_EQ(journal->appended.size(), 1u);
  EXPECT_EQ(journal->appended[0].address, a);
  EXPECT_EQ(journal->appended[0].state, LeaseState::leased);
  EXPECT_EQ(lan().sent.size(), 1u) << "only the OFFER: the ACK waits for fdatasync";
  journal->finish();
  ASSERT_EQ(lan().sent.size(), 2u);
  EXPECT_EQ(lan().sent[1].message.type(), MessageType::ack);
  EXPECT_EQ(lan().sent[1].message.yiaddr, a);
  EXPECT_EQ(service->leases().size(), 1u);
}

// The replies to one receive batch leave in one send_batch (sendmmsg), and
// the ACKs of one journal batch in another.
TEST_F(ServiceTest, RepliesLeaveOneBatchAtATime) {
  start();
  std::vector<std::vector<std::byte>> discovers;
  for (std::uint8_t mac = 1; mac <= 3; ++mac) discovers.push_back(build(client_message(MessageType::discover, mac)).bytes);
  std::vector<Datagram> in;
  for (const auto& b : discovers) in.push_back(Datagram{b, Ipv4Address{}, 68, kBroadcast});
  lan().handler(in);
  ASSERT_EQ(lan().sent.size(), 3u);
  EXPECT_EQ(lan().batches, (std::vector<std::size_t>{3}));

  std::vector<std::vector<std::byte>> requests;
  for (std::uint8_t mac = 1; mac <= 3; ++mac) {
    auto req = client_message(MessageType::request, mac);
    req.set_address(option::server_id, kServer);
    req.set_address(option::requested_address, lan().sent[mac - 1].message.yiaddr);
    requests.push_back(build(req).bytes);
  }
  in.clear();
  for (const auto& b : requests) in.push_back(Datagram{b, Ipv4Address{}, 68, kBroadcast});
  lan().handler(in);
  EXPECT_EQ(lan().sent.size(), 3u) << "the ACKs wait for their batch";
  journal->finish();
  ASSERT_EQ(lan().sent.size(), 6u);
  EXPECT_EQ(lan().batches, (std::vector<std::size_t>{3, 3}));
  for (std::size_t i = 3; i < 6; ++i) EXPECT_EQ(lan().sent[i].message.type(), MessageType::ack);
  EXPECT_EQ(status()["counters"]["pkt4-sent"], 6);
}

TEST_F(ServiceTest, AFailedBatchTakesItsCommitBackAndNoAckLeaves) {
  start();
  const auto a = request(1);
  journal->finish(std::make_error_code(std::errc::io_error));
  EXPECT_EQ(lan().sent.size(), 1u) << "no ACK for a lease that is not on disk";
  EXPECT_TRUE(service->leases().empty());
  auto st = status();
  EXPECT_EQ(st["acknowledging"], false);
  EXPECT_EQ(st["lease_file"]["ok"], false);
  EXPECT_EQ(st["lease_file"]["error"], std::make_error_code(std::errc::io_error).message());
  EXPECT_EQ(st["counters"]["ack-withheld-disk"], 1);

  // While the disk fails, a REQUEST commits nothing and gets nothing.
  auto req = client_message(MessageType::request, 1);
  req.set_address(option::server_id, kServer);
  req.set_address(option::requested_address, a);
  receive(req);
  EXPECT_EQ(journal->appended.size(), 1u);
  EXPECT_EQ(lan().sent.size(), 1u);
  EXPECT_EQ(status()["counters"]["ack-withheld-disk"], 2);

  // The retry rewrites the file; once that batch is durable, ACKs leave again.
  EXPECT_EQ(io.poll_one(), 1u);
  EXPECT_EQ(journal->rewrites, 1);
  journal->finish();
  EXPECT_EQ(status()["acknowledging"], true);
  receive(req);
  journal->finish();
  ASSERT_EQ(lan().sent.size(), 2u);
  EXPECT_EQ(lan().sent[1].message.type(), MessageType::ack);
}

TEST_F(ServiceTest, TheRecordsAnAckRetiresGoInTheSameBatch) {
  start();
  const auto a = request(1);
  journal->finish();
  const auto b = a == *Ipv4Address::parse("192.0.2.200") ? *Ipv4Address::parse("192.0.2.199")
                                                          : Ipv4Address(a.to_uint() + 1);
  auto req = client_message(MessageType::request, 1);
  req.set_address(option::server_id, kServer);
  req.set_address(option::requested_address, b);
  receive(req);
  ASSERT_EQ(journal->appended.size(), 3u);
  EXPECT_EQ(journal->appended[1].address, b);
  EXPECT_EQ(journal->appended[2].address, a);
  EXPECT_EQ(journal->appended[2].state, LeaseState::expired);
  journal->finish(std::make_error_code(std::errc::no_space_on_device));
  // Both taken back: the client still holds a.
  auto listed = service->leases();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["address"], a.to_string());
}

// Found by hostile testing: a lease file the daemon cannot write (a
// read-only mount, a directory) kept the whole daemon from starting, VRRP
// included. The module starts, answers, acknowledges nothing, says why, and
// recovers when the file can be written.
TEST_F(ServiceTest, AnUnusableLeaseFileDoesNotKeepTheServiceFromStarting) {
  open_error = "cannot open lease file /nonexistent/dhcp4.leases: Read-only file system";
  ASSERT_NO_THROW(start());
  EXPECT_FALSE(journal);
  auto st = status();
  EXPECT_EQ(st["acknowledging"], false);
  EXPECT_EQ(st["lease_file"]["error"], open_error);
  EXPECT_EQ(st["serving"], true);

  request(1);
  EXPECT_EQ(lan().sent.size(), 1u) << "offers go out, ACKs do not";
  EXPECT_EQ(status()["counters"]["ack-withheld-disk"], 1);

  // Still broken at the first retry; fixed at the second.
  EXPECT_EQ(io.poll_one(), 1u);
  EXPECT_FALSE(journal);
  open_error.clear();
  EXPECT_EQ(io.poll_one(), 1u);
  ASSERT_TRUE(journal);
  EXPECT_EQ(status()["acknowledging"], true);
  request(2);
  journal->finish();
  EXPECT_EQ(lan().sent.back().message.type(), MessageType::ack);
}

TEST_F(ServiceTest, AnUnreadableLeaseFileIsReadOnceItCanBe) {
  load_error = "cannot read lease file /nonexistent/dhcp4.leases: Is a directory";
  ASSERT_NO_THROW(start());
  EXPECT_EQ(status()["lease_file"]["error"], load_error);
  load_error.clear();
  const Lease kept{*Ipv4Address::parse("192.0.2.77"), LeaseState::leased, LeaseOrigin::local, kT0 + 300,
                   MacAddress::parse("02:00:00:00:00:77"), ClientKey::from_hardware(1, std::vector<std::uint8_t>{2, 0, 0, 0, 0, 0x77}),
                   "kept"};
  loaded.leases = {kept};
  EXPECT_EQ(io.poll_one(), 1u);
  ASSERT_TRUE(journal);
  auto listed = service->leases();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["hostname"], "kept");
  EXPECT_EQ(status()["lease_file"]["loaded"], 1);
}

// Receive errors of the transport were counted but shown nowhere.
TEST_F(ServiceTest, ReceiveErrorsAreInStatus) {
  start();
  lan().errors = 3;
  receive(client_message(MessageType::offer, 1));  // a reply sent to a server: dropped
  auto c = status()["counters"];
  EXPECT_EQ(c["pkt4-receive-error"], 3);
  EXPECT_EQ(c["pkt4-receive-drop"], 4);
}

TEST_F(ServiceTest, TheModuleRegistersItsLeasesCommand) {
  start();
  EXPECT_TRUE(commands.contains("leases"));
  service.reset();
  EXPECT_FALSE(commands.contains("leases"));
}

TEST_F(ServiceTest, LeasesComeInPagesInAddressOrder) {
  start();
  std::vector<Lease> many;
  for (std::uint32_t i = 0; i < 2500; ++i) {
    const std::array<std::uint8_t, 6> mac{2, 0, 0, 0, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
    // Put in reverse order: the listing sorts by address.
    many.push_back(Lease{Ipv4Address(0xc6120000u + 2500 - i), LeaseState::leased, LeaseOrigin::local, kT0 + 600,
                         MacAddress(mac), ClientKey::from_hardware(1, mac), i == 7 ? "Printer-7" : "h"});
  }
  service.reset();
  loaded.leases = many;
  start();
  auto page = service->leases(0, 5000, "");
  EXPECT_EQ(page["total"], 2500);
  EXPECT_EQ(page["limit"], Service::kMaxPage);
  ASSERT_EQ(page["leases"].size(), Service::kMaxPage);
  EXPECT_EQ(page["leases"][0]["address"], "198.18.0.1");
  page = service->leases(2400, 200, "");
  ASSERT_EQ(page["leases"].size(), 100u);
  EXPECT_EQ(page["offset"], 2400);
  EXPECT_EQ(page["leases"][99]["address"], Ipv4Address(0xc6120000u + 2500).to_string());
  EXPECT_EQ(service->leases(3000, 10, "")["leases"].size(), 0u);
  // A query matches address, hw_address, client_id or hostname, ignoring case.
  page = service->leases(0, 10, "printer");
  ASSERT_EQ(page["total"], 1);
  EXPECT_EQ(page["leases"][0]["hostname"], "Printer-7");
  EXPECT_EQ(service->leases(0, 10, "02:00:00:00:00:07")["total"], 1);
  EXPECT_EQ(service->leases(0, 10, "198.18.9.")["total"], 197) << "198.18.9.0 to 198.18.9.196";
  EXPECT_EQ(service->leases().size(), 2500u);
}


// Lease sync: the durable local changes go out after their batch's
// fdatasync, one call per batch, with the ACKs; the peer's are journaled
// with origin peer and reported durable after their batch.
TEST_F(ServiceTest, LocalChangesReachLeaseSyncAfterTheirBatchOnlyOncePerBatch) {
  start();
  std::vector<std::vector<LeaseRecord>> calls;
  service->subscribe_durable([&](std::span<const LeaseRecord> r) { calls.emplace_back(r.begin(), r.end()); });
  const auto a = request(1);
  const auto b = request(2);
  EXPECT_TRUE(calls.empty()) << "nothing before the fdatasync";
  journal->finish();
  ASSERT_EQ(calls.size(), 1u);
  ASSERT_EQ(calls[0].size(), 2u);
  EXPECT_EQ(calls[0][0].address, a);
  EXPECT_EQ(calls[0][1].address, b);
  EXPECT_EQ(calls[0][0].cltt, kT0);
  EXPECT_EQ(lan().sent.size(), 4u) << "the ACKs left in the same turn";
}

TEST_F(ServiceTest, AFailedBatchSendsNothingToThePeer) {
  start();
  int calls = 0;
  service->subscribe_durable([&](std::span<const LeaseRecord>) { ++calls; });
  request(1);
  journal->finish(std::make_error_code(std::errc::io_error));
  EXPECT_EQ(calls, 0);
}

TEST_F(ServiceTest, ThePeersRecordsAreJournaledWithOriginPeerAndAckedWhenDurable) {
  start();
  LeaseRecord r;
  r.address = *Ipv4Address::parse("192.0.2.210");
  r.cltt = kT0 - 5;
  r.expires = kT0 + 595;
  r.hw_address = MacAddress::parse("02:00:00:00:00:07");
  r.client = ClientKey::from_hardware(1, std::array<std::uint8_t, 6>{2, 0, 0, 0, 0, 7}).bytes();
  int durable = 0;
  service->apply(std::span(&r, 1), [&] { ++durable; });
  ASSERT_EQ(journal->appended.size(), 1u);
  EXPECT_EQ(journal->appended[0].origin, LeaseOrigin::peer);
  EXPECT_EQ(durable, 0) << "acknowledged only once on disk";
  // The same record again needs no writing, but waits for the one before.
  service->apply(std::span(&r, 1), [&] { ++durable; });
  EXPECT_EQ(journal->appended.size(), 1u);
  EXPECT_EQ(durable, 0);
  journal->finish();
  EXPECT_EQ(durable, 2);
  auto listed = service->leases();
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["origin"], "peer");
  // Nothing pending: at once.
  service->apply(std::span(&r, 1), [&] { ++durable; });
  EXPECT_EQ(durable, 3);
  EXPECT_EQ(status()["counters"]["peer-records-applied"], 1);
  // A record whose client key is no stored form: refused and counted.
  LeaseRecord bad = r;
  bad.address = *Ipv4Address::parse("192.0.2.211");
  bad.client = "x";
  service->apply(std::span(&bad, 1), [&] { ++durable; });
  EXPECT_EQ(durable, 4);
  EXPECT_EQ(status()["counters"]["peer-records-refused"], 1);
  EXPECT_FALSE(service->leases().size() > 1);
}

TEST_F(ServiceTest, ThePeersRecordsDoNotGoBackToThePeer) {
  start();
  int calls = 0;
  service->subscribe_durable([&](std::span<const LeaseRecord>) { ++calls; });
  LeaseRecord r;
  r.address = *Ipv4Address::parse("192.0.2.210");
  r.cltt = kT0;
  r.expires = kT0 + 600;
  service->apply(std::span(&r, 1), [] {});
  journal->finish();
  EXPECT_EQ(calls, 0);
}

TEST_F(ServiceTest, TheSnapshotReadsEveryRecordInPiecesByAddress) {
  start();
  for (std::uint8_t i = 1; i <= 5; ++i) request(i);
  journal->finish();
  std::vector<LeaseRecord> out;
  std::optional<std::size_t> cursor = 0;
  int pieces = 0;
  while (cursor) {
    cursor = service->snapshot(*cursor, 2, out);
    ++pieces;
  }
  EXPECT_EQ(out.size(), 5u);
  EXPECT_EQ(pieces, 3);
  for (std::size_t i = 1; i < out.size(); ++i) EXPECT_LT(out[i - 1].address, out[i].address);
}

// Found by the Prometheus integration test after a merge dropped the
// registration: /metrics had no DHCP series at all. Failed before the fix.
TEST_F(ServiceTest, MetricsAreRegisteredAndFollowTheLeases) {
  start();
  auto m = metrics.collect();
  ASSERT_NE(m.find("kea_dhcp4_addresses_total", {{"subnet", "192.0.2.0/24"}}), nullptr);
  EXPECT_EQ(*m.find("kea_dhcp4_addresses_total", {{"subnet", "192.0.2.0/24"}}), 181);
  EXPECT_EQ(*m.find("kea_dhcp4_addresses_assigned_total", {{"subnet", "192.0.2.0/24"}}), 0);
  request(1);
  journal->finish();
  m = metrics.collect();
  EXPECT_EQ(*m.find("kea_dhcp4_addresses_assigned_total", {{"subnet", "192.0.2.0/24"}}), 1);
  EXPECT_EQ(*m.find("pairgate_dhcp_leases_active"), 1);
  service.reset();
  EXPECT_EQ(metrics.collect().find("kea_dhcp4_addresses_total", {{"subnet", "192.0.2.0/24"}}), nullptr);
}

}  // namespace
}  // namespace pairgate::dhcp
