// tunnel/dns_client against a DNS server of the test's own on loopback:
// what the client takes as its answer and what it ignores (RFC 5452 §9.1).
// Loopback delivers a datagram into the receiving socket's queue before
// send_to returns, so the order of events is fixed; the client's timeouts
// run on a hand-driven clock.
#include "tunnel/dns_client.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/udp.hpp>

#include <set>

#include "core/byte_io.h"
#include "tests/support/manual_clock.h"

namespace pairgate::tunnel {
namespace {

namespace asio = boost::asio;
using udp = asio::ip::udp;
using namespace std::chrono_literals;

// A response to `query` (as build_query made it): the same ID and
// question, QR RD RA, and one AAAA 2001:db8:a::1 with TTL 300.
std::vector<std::byte> answer_to(std::span<const std::byte> query, std::uint16_t flags = 0x8180) {
  std::vector<std::byte> m(query.begin(), query.end());
  m[2] = static_cast<std::byte>(flags >> 8);
  m[3] = static_cast<std::byte>(flags & 0xff);
  m[7] = std::byte{1};  // ANCOUNT
  ByteWriter w;
  w.u16(0xc00c);  // the question's name
  w.u16(dns::kTypeAaaa);
  w.u16(dns::kClassIn);
  w.u32(300);
  w.u16(16);
  const Ipv6Address aftr = *Ipv6Address::parse("2001:db8:a::1");
  for (auto b : aftr.bytes()) w.u8(b);
  auto rr = w.take();
  m.insert(m.end(), rr.begin(), rr.end());
  return m;
}

class DnsClientTest : public ::testing::Test {
 protected:
  DnsClientTest() : server(io, udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0)), client(io, timers, 2s) {}

  Resolver resolver() const { return {*IpAddress::parse("127.0.0.1"), 0, server.local_endpoint().port()}; }

  void resolve(std::vector<Resolver> servers = {}) {
    if (servers.empty()) servers = {resolver()};
    client.resolve("gw.example.jp", std::move(servers), [this](const dns::Response& r, const std::string& e) {
      done = true;
      response = r;
      error = e;
    });
  }

  // The query the client sent, read by the test's server.
  std::vector<std::byte> query() {
    std::array<std::byte, 512> buf{};
    const auto n = server.receive_from(asio::buffer(buf), client_endpoint);
    return {buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n)};
  }
  void reply(std::span<const std::byte> m) { server.send_to(asio::buffer(m.data(), m.size()), client_endpoint); }
  void run() {
    io.restart();
    io.poll();
  }

  asio::io_context io;
  testing::ManualClock timers;
  udp::socket server;
  udp::endpoint client_endpoint;
  DnsClient client;
  bool done = false;
  dns::Response response;
  std::string error;
};

TEST_F(DnsClientTest, TakesTheServersAnswer) {
  resolve();
  reply(answer_to(query()));
  run();
  ASSERT_TRUE(done);
  EXPECT_EQ(error, "");
  ASSERT_EQ(response.addresses.size(), 1u);
  EXPECT_EQ(response.addresses[0].to_string(), "2001:db8:a::1");
  EXPECT_EQ(client.queries(), 1u);
  EXPECT_EQ(client.ignored(), 0u);
}

// Each forgery is ignored and counted by its reason, and the lookup keeps
// waiting: the real answer, arriving after all of them, is taken.
TEST_F(DnsClientTest, IgnoresAndCountsWhatIsNotTheAnswer) {
  resolve();
  const auto q = query();
  auto good = answer_to(q);

  auto wrong_id = good;
  wrong_id[1] ^= std::byte{1};
  reply(wrong_id);

  auto not_response = good;
  not_response[2] &= std::byte{0x7f};  // QR clear
  reply(not_response);

  auto wrong_question = good;
  wrong_question[13] = std::byte{'h'};  // "hw.example.jp"
  reply(wrong_question);

  // Cut short: the header and half the question, then half the record.
  reply(std::span<const std::byte>(good).first(20));
  reply(std::span<const std::byte>(good).first(good.size() - 8));

  // From another port of the right address (an off-path forger's guess).
  udp::socket other(io, udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  other.send_to(asio::buffer(good), client_endpoint);

  run();
  EXPECT_FALSE(done) << "no forgery ends the lookup";
  EXPECT_EQ(client.ignored(Ignored::wrong_id), 1u);
  EXPECT_EQ(client.ignored(Ignored::not_response), 1u);
  EXPECT_EQ(client.ignored(Ignored::wrong_question), 1u);
  EXPECT_EQ(client.ignored(Ignored::malformed), 2u);
  EXPECT_EQ(client.ignored(Ignored::wrong_source), 1u);
  EXPECT_EQ(client.ignored(), 6u);
  EXPECT_EQ(client.errors()[static_cast<std::size_t>(dns::Error::id_mismatch)], 1u);

  reply(good);
  run();
  ASSERT_TRUE(done);
  EXPECT_EQ(error, "");
  ASSERT_EQ(response.addresses.size(), 1u);
  EXPECT_EQ(client.ignored(), 6u);
}

// TC set by the server itself: the answer does not fit in UDP; the next
// server is asked at once.
TEST_F(DnsClientTest, ATruncatedAnswerMovesOnToTheNextServer) {
  udp::socket second(io, udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  resolve({resolver(), {*IpAddress::parse("127.0.0.1"), 0, second.local_endpoint().port()}});
  reply(answer_to(query(), 0x8380));
  run();
  EXPECT_FALSE(done);
  EXPECT_EQ(client.errors()[static_cast<std::size_t>(dns::Error::truncated)], 1u);
  std::array<std::byte, 512> buf{};
  udp::endpoint from;
  const auto n = second.receive_from(asio::buffer(buf), from);
  EXPECT_EQ(client.queries(), 2u);
  second.send_to(asio::buffer(answer_to(std::span<const std::byte>(buf.data(), n))), from);
  run();
  ASSERT_TRUE(done);
  EXPECT_EQ(error, "");
}

// A server that does not answer within its time: the next one is asked.
TEST_F(DnsClientTest, ASilentServerIsLeftAfterItsTime) {
  udp::socket second(io, udp::endpoint(asio::ip::make_address_v4("127.0.0.1"), 0));
  resolve({resolver(), {*IpAddress::parse("127.0.0.1"), 0, second.local_endpoint().port()}});
  query();
  timers.advance(1999ms);
  run();
  EXPECT_EQ(client.queries(), 1u);
  timers.advance(1ms);
  run();
  EXPECT_EQ(client.queries(), 2u);
  timers.advance(2s);
  run();
  ASSERT_TRUE(done);
  EXPECT_EQ(error, "127.0.0.1: no answer");
}

// The ID is the kernel's randomness: over many queries, no pattern a
// seeded generator's few outputs would show, and the IDs spread.
TEST_F(DnsClientTest, EachQueryHasAFreshRandomId) {
  std::set<std::uint16_t> ids;
  for (int i = 0; i < 64; ++i) {
    resolve();
    const auto q = query();
    const std::uint16_t id = static_cast<std::uint16_t>(std::to_integer<unsigned>(q[0]) << 8 | std::to_integer<unsigned>(q[1]));
    EXPECT_EQ(id, client.query_id());
    ids.insert(id);
    client.cancel();
  }
  EXPECT_GT(ids.size(), 60u);
}

}  // namespace
}  // namespace pairgate::tunnel
