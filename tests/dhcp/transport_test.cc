// dhcp/transport: the IPv4 + UDP headers built for a frame to a client that
// has no address yet (RFC 2131 §4.1), checked against vectors computed
// apart from this code (Python's struct, RFC 1071 one's-complement sums);
// the sendmmsg loop's partial sends and refusals, with a fake call.
#include "dhcp/transport.h"

#include <gtest/gtest.h>

#include "core/byte_io.h"
#include "tests/support/hex.h"

namespace pairgate::dhcp {
namespace {

using pairgate::testing::hex;

const Ipv4Address kFrom = *Ipv4Address::parse("192.0.2.2");
const Ipv4Address kTo = *Ipv4Address::parse("192.0.2.20");

std::vector<std::byte> text(std::string_view s) {
  std::vector<std::byte> out;
  for (char c : s) out.push_back(static_cast<std::byte>(c));
  return out;
}

TEST(Ipv4Udp, HeadersAndChecksumsMatchTheVectors) {
  // total length 36, DF, TTL 64, UDP; header checksum b6b2; UDP checksum c595.
  EXPECT_EQ(ipv4_udp(kFrom, kTo, 67, 68, text("pairgate")),
            hex("45000024000040004011b6b2c0000202c0000214004300440010c5957061697267617465"));
  // An odd payload length: the checksum pads with a zero byte (RFC 768).
  EXPECT_EQ(ipv4_udp(kFrom, kTo, 67, 68, text("odd")), hex("4500001f000040004011b6b7c0000202c000021400430044000ba7d56f6464"));
}

// RFC 768: a computed checksum of zero is sent as all ones (zero means "no
// checksum").
TEST(Ipv4Udp, AZeroChecksumIsSentAsAllOnes) {
  EXPECT_EQ(ipv4_udp(kFrom, kTo, 67, 68, hex("7b3c")), hex("4500001e000040004011b6b8c0000202c000021400430044000affff7b3c"));
}

// The receiver's check: the sum over the IP header, and over the pseudo
// header and the UDP datagram, both come to 0xffff (checksum 0).
TEST(Ipv4Udp, EveryPayloadVerifies) {
  std::vector<std::byte> payload;
  for (int n = 0; n < 600; n += 37) {
    payload.resize(static_cast<std::size_t>(n), std::byte{0xa5});
    auto p = ipv4_udp(kFrom, kTo, 67, 68, payload);
    ASSERT_EQ(p.size(), 28u + payload.size());
    EXPECT_EQ(internet_checksum(std::span(p).first(20)), 0) << n;
    const auto udp_len = static_cast<std::uint32_t>(8 + payload.size());
    const std::uint32_t pseudo = (kFrom.to_uint() >> 16) + (kFrom.to_uint() & 0xffff) + (kTo.to_uint() >> 16) +
                                 (kTo.to_uint() & 0xffff) + 17 + udp_len;
    EXPECT_EQ(internet_checksum(std::span(p).subspan(20), pseudo), 0) << n;
  }
}

// send_all with a fake sendmmsg: `script` says what each call does (a count
// the kernel took, or an error for the first datagram of the call).
struct FakeSendmmsg {
  std::vector<std::expected<std::size_t, std::error_code>> script;
  std::vector<std::size_t> firsts;  // the `first` of each call
  std::expected<std::size_t, std::error_code> operator()(std::size_t first) {
    firsts.push_back(first);
    auto r = script.at(firsts.size() - 1);
    return r;
  }
};

TEST(SendAll, OneCallSendsThemAll) {
  FakeSendmmsg f{{5}, {}};
  std::vector<std::size_t> failed;
  EXPECT_EQ(send_all(5, std::ref(f), [&](std::size_t i, std::error_code) { failed.push_back(i); }), 5u);
  EXPECT_EQ(f.firsts, (std::vector<std::size_t>{0}));
  EXPECT_TRUE(failed.empty());
}

TEST(SendAll, APartialSendContinuesWithTheRest) {
  FakeSendmmsg f{{2, 1, 3}, {}};
  EXPECT_EQ(send_all(6, std::ref(f), {}), 6u);
  EXPECT_EQ(f.firsts, (std::vector<std::size_t>{0, 2, 3}));
}

// sendmmsg returns -1 with the error of the first datagram it could not
// send: that one is reported and skipped, the rest go out.
TEST(SendAll, ARefusedDatagramIsReportedAndSkipped) {
  const auto refused = std::make_error_code(std::errc::network_unreachable);
  FakeSendmmsg f{{1, std::unexpected(refused), 2}, {}};
  std::vector<std::pair<std::size_t, std::error_code>> failed;
  EXPECT_EQ(send_all(4, std::ref(f), [&](std::size_t i, std::error_code ec) { failed.emplace_back(i, ec); }), 3u);
  EXPECT_EQ(f.firsts, (std::vector<std::size_t>{0, 1, 2}));
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].first, 1u);
  EXPECT_EQ(failed[0].second, refused);
}

TEST(SendAll, EveryOneRefused) {
  const auto full = std::make_error_code(std::errc::resource_unavailable_try_again);
  FakeSendmmsg f{{std::unexpected(full), std::unexpected(full), std::unexpected(full)}, {}};
  std::size_t failures = 0;
  EXPECT_EQ(send_all(3, std::ref(f), [&](std::size_t, std::error_code) { ++failures; }), 0u);
  EXPECT_EQ(failures, 3u);
}

TEST(SendAll, AnInterruptedCallIsRetried) {
  FakeSendmmsg f{{std::unexpected(std::make_error_code(std::errc::interrupted)), 2}, {}};
  std::size_t failures = 0;
  EXPECT_EQ(send_all(2, std::ref(f), [&](std::size_t, std::error_code) { ++failures; }), 2u);
  EXPECT_EQ(f.firsts, (std::vector<std::size_t>{0, 0}));
  EXPECT_EQ(failures, 0u);
}

// A call that takes nothing (not what sendmmsg does) never loops forever.
TEST(SendAll, ACallThatTakesNothingCountsAFailure) {
  FakeSendmmsg f{{0, 1}, {}};
  std::size_t failures = 0;
  EXPECT_EQ(send_all(2, std::ref(f), [&](std::size_t, std::error_code) { ++failures; }), 1u);
  EXPECT_EQ(failures, 1u);
}

}  // namespace
}  // namespace pairgate::dhcp
