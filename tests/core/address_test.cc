#include "core/address.h"

#include <gtest/gtest.h>

#include <string>

namespace pairgate {
namespace {

TEST(Ipv4Address, ParsesAndFormatsDottedQuads) {
  for (std::string_view text : {"0.0.0.0", "192.0.2.1", "255.255.255.255", "10.0.0.10", "198.51.100.100"}) {
    SCOPED_TRACE(text);
    auto a = Ipv4Address::parse(text);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->to_string(), text);
  }
  EXPECT_EQ(Ipv4Address::parse("192.0.2.1")->to_uint(), 0xC0000201u);
  EXPECT_EQ(Ipv4Address(0xC0000201u).to_string(), "192.0.2.1");
}

TEST(Ipv4Address, RejectsMalformedText) {
  for (std::string_view text :
       {"", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "00.0.0.0", "256.1.1.1", "1.2.3.256", "1.2.3.4.",
        ".1.2.3.4", "1..2.3", "1.2.3.-4", "+1.2.3.4", " 1.2.3.4", "1.2.3.4 ", "1.2.3.4/24", "1.2.3.a", "0x1.2.3.4",
        "1234.1.1.1", "4294967296.1.1.1", "1.2.3.4\n", "::1", "localhost"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Ipv4Address::parse(text), std::nullopt);
  }
}

TEST(Ipv4Address, BytesAreInNetworkOrder) {
  const auto a = *Ipv4Address::parse("192.0.2.1");
  EXPECT_EQ(a.bytes(), (std::array<std::uint8_t, 4>{192, 0, 2, 1}));
  EXPECT_EQ(Ipv4Address::from_bytes({192, 0, 2, 1}), a);
}

TEST(Ipv4Address, ComparesAsUnsignedIntegers) {
  // RFC 3768 §6.4.3 breaks priority ties by the higher primary address.
  EXPECT_LT(*Ipv4Address::parse("192.0.2.9"), *Ipv4Address::parse("192.0.2.10"));
  EXPECT_LT(*Ipv4Address::parse("127.255.255.255"), *Ipv4Address::parse("128.0.0.0"));
  EXPECT_EQ(*Ipv4Address::parse("192.0.2.1"), *Ipv4Address::parse("192.0.2.1"));
}

TEST(Ipv6Address, ParsesAndFormatsRfc5952) {
  EXPECT_EQ(Ipv6Address::parse("2001:db8::1")->to_string(), "2001:db8::1");
  EXPECT_EQ(Ipv6Address::parse("2001:0DB8:0000:0000:0000:0000:0000:0001")->to_string(), "2001:db8::1");
  EXPECT_EQ(Ipv6Address::parse("2404:8e01::feed:100")->to_string(), "2404:8e01::feed:100");
  EXPECT_EQ(Ipv6Address::parse("::")->to_string(), "::");
  EXPECT_EQ(Ipv6Address::parse("::ffff:192.0.2.1")->to_string(), "::ffff:192.0.2.1");
  EXPECT_EQ(Ipv6Address::parse("2001:db8:0:0:1:0:0:1")->to_string(), "2001:db8::1:0:0:1");
  EXPECT_EQ(Ipv6Address::parse("2001:db8::1")->bytes()[0], 0x20);
  EXPECT_EQ(Ipv6Address::parse("2001:db8::1")->bytes()[15], 0x01);
}

TEST(Ipv6Address, Classifies) {
  EXPECT_TRUE(Ipv6Address::parse("fe80::1")->is_link_local());
  EXPECT_TRUE(Ipv6Address::parse("febf::1")->is_link_local());
  EXPECT_FALSE(Ipv6Address::parse("fec0::1")->is_link_local());
  EXPECT_FALSE(Ipv6Address::parse("2001:db8::1")->is_link_local());
  EXPECT_TRUE(Ipv6Address::parse("ff02::12")->is_multicast());
  EXPECT_FALSE(Ipv6Address::parse("2001:db8::1")->is_multicast());
}

TEST(Ipv6Address, RejectsMalformedText) {
  for (std::string_view text : {"", ":", "2001:db8::1::2", "2001:db8:::1", "2001:db8::g", "1:2:3:4:5:6:7:8:9",
                                "12345::1", "fe80::1%eth0", "2001:db8::1/64", "[2001:db8::1]", " ::1", "192.0.2.1",
                                "2001:db8:0000000000000000000000000000000000000000000001::1"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Ipv6Address::parse(text), std::nullopt);
  }
}

TEST(IpAddress, ParsesEitherFamily) {
  auto v4 = IpAddress::parse("192.0.2.1");
  ASSERT_TRUE(v4.has_value());
  EXPECT_TRUE(v4->is_v4());
  EXPECT_EQ(v4->family(), Family::ipv4);
  EXPECT_EQ(v4->to_string(), "192.0.2.1");
  auto v6 = IpAddress::parse("2001:db8::1");
  ASSERT_TRUE(v6.has_value());
  EXPECT_FALSE(v6->is_v4());
  EXPECT_EQ(v6->family(), Family::ipv6);
  EXPECT_EQ(v6->to_string(), "2001:db8::1");
  EXPECT_NE(*v4, *v6);
  EXPECT_EQ(IpAddress::parse("1.2.3"), std::nullopt);
  EXPECT_EQ(IpAddress::parse("2001:db8::1::2"), std::nullopt);
  EXPECT_EQ(IpAddress::parse(""), std::nullopt);
}

TEST(IpPrefix, ParsesAddressAndLength) {
  auto p = IpPrefix::parse("192.0.2.1/24");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->address(), IpAddress(*Ipv4Address::parse("192.0.2.1")));
  EXPECT_EQ(p->length(), 24u);
  EXPECT_EQ(p->family(), Family::ipv4);
  EXPECT_EQ(p->to_string(), "192.0.2.1/24");  // host bits are kept
  EXPECT_EQ(IpPrefix::parse("0.0.0.0/0")->to_string(), "0.0.0.0/0");
  EXPECT_EQ(IpPrefix::parse("192.0.2.1/32")->length(), 32u);
  EXPECT_EQ(IpPrefix::parse("2001:db8::1/64")->to_string(), "2001:db8::1/64");
  EXPECT_EQ(IpPrefix::parse("2001:db8::1/128")->length(), 128u);
  EXPECT_EQ(IpPrefix::parse("2001:db8::1/64")->family(), Family::ipv6);
}

TEST(IpPrefix, BareAddressOnlyWhenAllowed) {
  EXPECT_EQ(IpPrefix::parse("192.0.2.1"), std::nullopt);
  EXPECT_EQ(IpPrefix::parse("192.0.2.1", true), IpPrefix::parse("192.0.2.1/32"));
  EXPECT_EQ(IpPrefix::parse("2001:db8::1", true), IpPrefix::parse("2001:db8::1/128"));
}

TEST(IpPrefix, RejectsMalformedText) {
  for (std::string_view text : {"1.2.3.4/33", "2001:db8::/129", "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/+8",
                                "1.2.3.4/024", "1.2.3.4/00", "1.2.3.4/24/8", "1.2.3.4/2a", "1.2.3/24", "/24",
                                "1.2.3.4 /24", "1.2.3.4/ 24", "1.2.3.4/1000", "1.2.3.4/4294967320"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(IpPrefix::parse(text), std::nullopt);
    EXPECT_EQ(IpPrefix::parse(text, true), std::nullopt);
  }
}

TEST(IpPrefix, Network) {
  EXPECT_EQ(IpPrefix::parse("192.0.2.77/24")->network().to_string(), "192.0.2.0/24");
  EXPECT_EQ(IpPrefix::parse("192.0.2.77/26")->network().to_string(), "192.0.2.64/26");
  EXPECT_EQ(IpPrefix::parse("192.0.2.77/0")->network().to_string(), "0.0.0.0/0");
  EXPECT_EQ(IpPrefix::parse("192.0.2.77/32")->network().to_string(), "192.0.2.77/32");
  EXPECT_EQ(IpPrefix::parse("2001:db8:1:2::1/48")->network().to_string(), "2001:db8:1::/48");
  EXPECT_EQ(IpPrefix::parse("2001:db8:1:2::1/63")->network().to_string(), "2001:db8:1:2::/63");
  EXPECT_EQ(IpPrefix::parse("2001:db8:1:3::1/63")->network().to_string(), "2001:db8:1:2::/63");
  EXPECT_EQ(IpPrefix::parse("2001:db8::1/0")->network().to_string(), "::/0");
  EXPECT_TRUE(IpPrefix::parse("192.0.2.0/24")->is_network());
  EXPECT_FALSE(IpPrefix::parse("192.0.2.1/24")->is_network());
  EXPECT_TRUE(IpPrefix::parse("2001:db8::/32")->is_network());
  EXPECT_FALSE(IpPrefix::parse("2001:db8::1/32")->is_network());
}

TEST(IpPrefix, ContainsAndOverlaps) {
  const auto net = *IpPrefix::parse("192.0.2.0/24");
  EXPECT_TRUE(net.contains(*IpAddress::parse("192.0.2.0")));
  EXPECT_TRUE(net.contains(*IpAddress::parse("192.0.2.255")));
  EXPECT_FALSE(net.contains(*IpAddress::parse("192.0.3.0")));
  EXPECT_FALSE(net.contains(*IpAddress::parse("192.0.1.255")));
  EXPECT_FALSE(net.contains(*IpAddress::parse("::ffff:192.0.2.1")));  // other family
  EXPECT_TRUE(IpPrefix::parse("192.0.2.9/24")->contains(*IpAddress::parse("192.0.2.200")));
  EXPECT_TRUE(IpPrefix::parse("0.0.0.0/0")->contains(*IpAddress::parse("203.0.113.1")));
  EXPECT_TRUE(IpPrefix::parse("2001:db8::/32")->contains(*IpAddress::parse("2001:db8:ffff::1")));
  EXPECT_FALSE(IpPrefix::parse("2001:db8::/32")->contains(*IpAddress::parse("2001:db9::1")));

  EXPECT_TRUE(net.overlaps(*IpPrefix::parse("192.0.2.128/25")));
  EXPECT_TRUE(IpPrefix::parse("192.0.2.128/25")->overlaps(net));
  EXPECT_TRUE(net.overlaps(*IpPrefix::parse("192.0.0.0/16")));
  EXPECT_TRUE(net.overlaps(net));
  EXPECT_FALSE(net.overlaps(*IpPrefix::parse("192.0.3.0/24")));
  EXPECT_FALSE(net.overlaps(*IpPrefix::parse("2001:db8::/32")));
  EXPECT_TRUE(IpPrefix::parse("2001:db8::/32")->overlaps(*IpPrefix::parse("2001:db8:5::/48")));
}

TEST(IpPrefix, V4Last) {
  EXPECT_EQ(IpPrefix::parse("192.0.2.0/24")->v4_last().to_string(), "192.0.2.255");
  EXPECT_EQ(IpPrefix::parse("192.0.2.77/26")->v4_last().to_string(), "192.0.2.127");
  EXPECT_EQ(IpPrefix::parse("192.0.2.77/32")->v4_last().to_string(), "192.0.2.77");
  EXPECT_EQ(IpPrefix::parse("192.0.2.77/31")->v4_last().to_string(), "192.0.2.77");
  EXPECT_EQ(IpPrefix::parse("10.1.2.3/0")->v4_last().to_string(), "255.255.255.255");
}

TEST(Ipv4Range, ParsesFormatsAndMeasures) {
  auto r = Ipv4Range::parse("192.168.2.20-192.168.2.99");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->first.to_string(), "192.168.2.20");
  EXPECT_EQ(r->last.to_string(), "192.168.2.99");
  EXPECT_EQ(r->to_string(), "192.168.2.20-192.168.2.99");
  EXPECT_EQ(r->size(), 80u);
  EXPECT_EQ(Ipv4Range::parse("0.0.0.0-255.255.255.255")->size(), 1ull << 32);
  EXPECT_EQ(Ipv4Range::parse("192.0.2.5-192.0.2.5")->size(), 1u);
  // Order is the caller's to check: conf reports "ends before it starts".
  EXPECT_TRUE(Ipv4Range::parse("192.0.2.9-192.0.2.1").has_value());
}

TEST(Ipv4Range, ContainsAndOverlaps) {
  const auto r = *Ipv4Range::parse("192.0.2.20-192.0.2.99");
  EXPECT_TRUE(r.contains(*Ipv4Address::parse("192.0.2.20")));
  EXPECT_TRUE(r.contains(*Ipv4Address::parse("192.0.2.99")));
  EXPECT_FALSE(r.contains(*Ipv4Address::parse("192.0.2.19")));
  EXPECT_FALSE(r.contains(*Ipv4Address::parse("192.0.2.100")));
  EXPECT_TRUE(r.overlaps(*Ipv4Range::parse("192.0.2.99-192.0.2.120")));
  EXPECT_TRUE(r.overlaps(*Ipv4Range::parse("192.0.2.1-192.0.2.20")));
  EXPECT_TRUE(r.overlaps(*Ipv4Range::parse("192.0.2.30-192.0.2.40")));
  EXPECT_TRUE(Ipv4Range::parse("192.0.2.30-192.0.2.40")->overlaps(r));
  EXPECT_FALSE(r.overlaps(*Ipv4Range::parse("192.0.2.100-192.0.2.189")));
  EXPECT_FALSE(r.overlaps(*Ipv4Range::parse("192.0.2.1-192.0.2.19")));
}

TEST(Ipv4Range, RejectsMalformedText) {
  for (std::string_view text : {"", "192.0.2.1", "192.0.2.1-", "-192.0.2.1", "192.0.2.1 - 192.0.2.9",
                                "192.0.2.1-192.0.2.9-192.0.2.10", "192.0.2.1..192.0.2.9", "192.0.2.1-192.0.2",
                                "192.0.2.1/24-192.0.2.9", "2001:db8::1-2001:db8::9"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Ipv4Range::parse(text), std::nullopt);
  }
}

TEST(MacAddress, ParsesAndFormats) {
  auto m = MacAddress::parse("52:54:00:12:34:56");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->bytes(), (std::array<std::uint8_t, 6>{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}));
  EXPECT_EQ(m->to_string(), "52:54:00:12:34:56");
  EXPECT_EQ(MacAddress::parse("52-54-00-AB-cd-EF")->to_string(), "52:54:00:ab:cd:ef");
  EXPECT_EQ(MacAddress::parse("ff:ff:ff:ff:ff:ff")->to_string(), "ff:ff:ff:ff:ff:ff");
  EXPECT_EQ(MacAddress(std::array<std::uint8_t, 6>{1, 2, 3, 4, 5, 6}).to_string(), "01:02:03:04:05:06");
  EXPECT_LT(*MacAddress::parse("00:00:00:00:00:01"), *MacAddress::parse("00:00:00:00:01:00"));
}

TEST(MacAddress, RejectsMalformedText) {
  for (std::string_view text : {"", "52:54:00:12:34", "52:54:00:12:34:56:78", "52:54:00:12:34:5", "52:54:00:12:34:5g",
                                "52:54-00:12:34:56", "52.54.00.12.34.56", "525400123456", "5254.0012.3456",
                                "52:54:00:12:34:56 ", " 52:54:00:12:34:5", "+2:54:00:12:34:56", "-2:54:00:12:34:56",
                                "52::54:00:12:34:5", "0x:54:00:12:34:56"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(MacAddress::parse(text), std::nullopt);
  }
}

}  // namespace
}  // namespace pairgate
