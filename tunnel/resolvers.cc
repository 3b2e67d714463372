#include "tunnel/resolvers.h"

#include "core/byte_io.h"

namespace pairgate::tunnel {

std::vector<RdnssOption> parse_rdnss(std::span<const std::byte> options) {
  std::vector<RdnssOption> out;
  ByteReader r(options);
  while (r.remaining() >= 2) {
    const auto type = *r.u8();
    const auto units = *r.u8();
    if (units == 0) break;  // RFC 4861 §4.6: a zero length is invalid
    auto body = r.bytes(std::size_t{units} * 8 - 2);
    if (!body) break;
    if (type != 25 || units < 3) continue;
    ByteReader b(*body);
    b.skip(2);  // reserved
    RdnssOption o;
    o.lifetime = std::chrono::seconds(*b.u32());
    while (b.remaining() >= 16) {
      auto a = b.bytes(16);
      std::array<std::uint8_t, 16> bytes{};
      for (std::size_t i = 0; i < 16; ++i) bytes[i] = std::to_integer<std::uint8_t>((*a)[i]);
      o.servers.emplace_back(bytes);
    }
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<IpAddress> parse_resolv_conf(std::string_view text) {
  std::vector<IpAddress> out;
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!text.empty()) {
    std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    std::size_t i = 0;
    while (i < line.size() && is_space(line[i])) ++i;
    line = line.substr(i);
    constexpr std::string_view key = "nameserver";
    if (!line.starts_with(key) || line.size() == key.size() || !is_space(line[key.size()])) continue;
    line = line.substr(key.size());
    i = 0;
    while (i < line.size() && is_space(line[i])) ++i;
    std::size_t end = i;
    while (end < line.size() && !is_space(line[end]) && line[end] != '#' && line[end] != ';') ++end;
    std::string_view value = line.substr(i, end - i);
    if (auto pct = value.find('%'); pct != std::string_view::npos) value = value.substr(0, pct);
    if (auto a = IpAddress::parse(value)) out.push_back(*a);
  }
  return out;
}

std::string_view to_string(ResolverSource s) {
  switch (s) {
    case ResolverSource::configured: return "configured";
    case ResolverSource::rdnss: return "rdnss";
    case ResolverSource::system: return "system";
    case ResolverSource::none: return "none";
  }
  return "?";
}

}  // namespace pairgate::tunnel
