#include "dhcp/packet.h"

#include <algorithm>
#include <array>

#include "core/byte_io.h"

namespace pairgate::dhcp {

namespace {

constexpr std::uint32_t kMagic = 0x63825363;  // RFC 2131 §3: 99.130.83.99
constexpr std::size_t kSnameBytes = 64;
constexpr std::size_t kFileBytes = 128;
constexpr std::size_t kFixedBytes = 236;
constexpr std::size_t kMinBootp = 300;  // RFC 1542 §2.1: relays may drop shorter BOOTP messages

std::optional<ParseError> read_options(std::span<const std::byte> field, Message& m, bool allow_overload,
                                       std::optional<std::uint8_t>& overload) {
  ByteReader r(field);
  while (r.remaining() > 0) {
    const std::uint8_t code = *r.u8();
    if (code == option::pad) continue;
    if (code == option::end) break;
    auto len = r.u8();
    if (!len) return ParseError::option_overrun;
    auto data = r.bytes(*len);
    if (!data) return ParseError::option_overrun;
    if (code == option::overload) {
      // Only the options field may say which other fields carry options.
      if (!allow_overload) continue;
      if (*len != 1) return ParseError::bad_overload;
      overload = std::to_integer<std::uint8_t>((*data)[0]);
      continue;
    }
    auto [it, fresh] = m.options.try_emplace(code);
    if (fresh) m.order.push_back(code);
    for (auto b : *data) it->second.push_back(std::to_integer<std::uint8_t>(b));
  }
  return std::nullopt;
}

std::string c_string(std::span<const std::byte> field) {
  std::string s;
  for (auto b : field) {
    if (b == std::byte{0}) break;
    s += static_cast<char>(b);
  }
  return s;
}

// One option as its instances appended to `out`: code, length, at most 255
// bytes each (RFC 3396 §6).
void append_option(std::vector<std::uint8_t>& out, std::uint8_t code, const std::vector<std::uint8_t>& data) {
  std::size_t pos = 0;
  do {
    const std::size_t n = std::min<std::size_t>(255, data.size() - pos);
    out.push_back(code);
    out.push_back(static_cast<std::uint8_t>(n));
    out.insert(out.end(), data.begin() + static_cast<std::ptrdiff_t>(pos), data.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
  } while (pos < data.size());
}

// Bytes an option takes encoded (two per instance of at most 255).
std::size_t encoded_size(const std::vector<std::uint8_t>& data) {
  const std::size_t instances = data.empty() ? 1 : (data.size() + 254) / 255;
  return data.size() + 2 * instances;
}

// The fields build() fills before writing, kept per thread so that building
// allocates nothing once they have grown.
struct Fields {
  std::vector<std::uint8_t> main, file, sname, agent;
};

}  // namespace

std::string_view to_string(MessageType t) {
  constexpr std::string_view names[] = {"DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST", "DHCPDECLINE",
                                        "DHCPACK",      "DHCPNAK",   "DHCPRELEASE", "DHCPINFORM"};
  const auto i = static_cast<std::size_t>(t);
  return i >= 1 && i <= 8 ? names[i - 1] : "DHCP?";
}

std::string_view to_string(ParseError e) {
  constexpr std::string_view names[] = {"truncated", "bad_magic", "bad_op", "bad_hlen", "option_overrun", "bad_overload"};
  return names[static_cast<std::size_t>(e)];
}

std::optional<MessageType> Message::type() const {
  auto it = options.find(option::message_type);
  if (it == options.end() || it->second.size() != 1 || it->second[0] < 1 || it->second[0] > 8) return std::nullopt;
  return static_cast<MessageType>(it->second[0]);
}

std::optional<Ipv4Address> Message::address_option(std::uint8_t code) const {
  auto it = options.find(code);
  if (it == options.end() || it->second.size() != 4) return std::nullopt;
  return Ipv4Address::from_bytes({it->second[0], it->second[1], it->second[2], it->second[3]});
}

std::optional<std::uint32_t> Message::u32_option(std::uint8_t code) const {
  auto a = address_option(code);
  if (!a) return std::nullopt;
  return a->to_uint();
}

std::optional<std::uint16_t> Message::max_message_size() const {
  auto it = options.find(option::max_message_size);
  if (it == options.end() || it->second.size() != 2) return std::nullopt;
  const std::uint16_t v = static_cast<std::uint16_t>((it->second[0] << 8) | it->second[1]);
  // RFC 2132 §9.10: the minimum legal value is 576.
  if (v < kMinMessage) return std::nullopt;
  return v;
}

std::vector<std::uint8_t> Message::parameter_request_list() const {
  auto it = options.find(option::parameter_request_list);
  return it == options.end() ? std::vector<std::uint8_t>{} : it->second;
}

std::optional<MacAddress> Message::mac() const {
  if (htype != 1 || hlen != 6) return std::nullopt;
  return MacAddress({chaddr[0], chaddr[1], chaddr[2], chaddr[3], chaddr[4], chaddr[5]});
}

void Message::set(std::uint8_t code, std::vector<std::uint8_t> data) {
  auto [it, fresh] = options.insert_or_assign(code, std::move(data));
  (void)it;
  if (fresh) order.push_back(code);
}

void Message::set_u32(std::uint8_t code, std::uint32_t v) {
  set(code, {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16), static_cast<std::uint8_t>(v >> 8),
             static_cast<std::uint8_t>(v)});
}

void Message::set_address(std::uint8_t code, Ipv4Address a) { set_u32(code, a.to_uint()); }

void Message::set_addresses(std::uint8_t code, const std::vector<Ipv4Address>& list) {
  std::vector<std::uint8_t> data;
  for (const auto& a : list) {
    auto b = a.bytes();
    data.insert(data.end(), b.begin(), b.end());
  }
  set(code, std::move(data));
}

std::expected<Message, ParseError> parse(std::span<const std::byte> data) {
  ByteReader r(data);
  Message m;
  auto op = r.u8();
  auto htype = r.u8();
  auto hlen = r.u8();
  auto hops = r.u8();
  auto xid = r.u32();
  auto secs = r.u16();
  auto flags = r.u16();
  auto ciaddr = r.u32();
  auto yiaddr = r.u32();
  auto siaddr = r.u32();
  auto giaddr = r.u32();
  auto chaddr = r.bytes(16);
  auto sname = r.bytes(kSnameBytes);
  auto file = r.bytes(kFileBytes);
  auto magic = r.u32();
  if (r.failed()) return std::unexpected(ParseError::truncated);
  if (*magic != kMagic) return std::unexpected(ParseError::bad_magic);
  if (*op != 1 && *op != 2) return std::unexpected(ParseError::bad_op);
  if (*hlen > 16) return std::unexpected(ParseError::bad_hlen);
  m.op = *op;
  m.htype = *htype;
  m.hlen = *hlen;
  m.hops = *hops;
  m.xid = *xid;
  m.secs = *secs;
  m.flags = *flags;
  m.ciaddr = Ipv4Address(*ciaddr);
  m.yiaddr = Ipv4Address(*yiaddr);
  m.siaddr = Ipv4Address(*siaddr);
  m.giaddr = Ipv4Address(*giaddr);
  for (std::size_t i = 0; i < 16; ++i) m.chaddr[i] = std::to_integer<std::uint8_t>((*chaddr)[i]);

  std::optional<std::uint8_t> overload;
  if (auto e = read_options(data.subspan(kFixedBytes + 4), m, true, overload)) return std::unexpected(*e);
  if (overload && (*overload < 1 || *overload > 3)) return std::unexpected(ParseError::bad_overload);
  const std::uint8_t o = overload.value_or(0);
  // RFC 3396 §7: the options field, then `file`, then `sname`.
  std::optional<std::uint8_t> ignored;
  if (o & 1) {
    if (auto e = read_options(*file, m, false, ignored)) return std::unexpected(*e);
  } else {
    m.file = c_string(*file);
  }
  if (o & 2) {
    if (auto e = read_options(*sname, m, false, ignored)) return std::unexpected(*e);
  } else {
    m.sname = c_string(*sname);
  }
  return m;
}

Encoded build(const Message& m, std::size_t max_size) {
  Encoded out;
  build(m, max_size, out);
  return out;
}

void build(const Message& m, std::size_t max_size, Encoded& out) {
  thread_local Fields f;
  out.dropped.clear();
  f.main.clear();
  f.file.clear();
  f.sname.clear();
  f.agent.clear();
  max_size = std::max(max_size, kMinMessage - kIpUdpHeaders);
  // Message type and server identifier first, as clients expect; then the
  // rest in the order they were set.
  std::array<std::uint8_t, 256> codes;
  std::size_t ncodes = 0;
  for (std::uint8_t first : {option::message_type, option::server_id}) {
    if (m.options.contains(first)) codes[ncodes++] = first;
  }
  for (auto c : m.order) {
    if (ncodes < codes.size() && c != option::message_type && c != option::server_id &&
        c != option::relay_agent_information && m.options.contains(c)) {
      codes[ncodes++] = c;
    }
  }

  // Three fields, filled in turn. The options field keeps 3 bytes for
  // option 52 and 1 for the end option; file and sname keep 1 for the end.
  std::size_t main_room = max_size - kFixedBytes - 4;
  // RFC 3046 §2.2: relays look for option 82 in the options field only, so
  // it is never overloaded into file or sname: its room there is set aside
  // first, and it goes last, where the relay put it. (One that does not fit
  // beside the message type is left out and named.)
  if (auto it = m.options.find(option::relay_agent_information); it != m.options.end()) {
    append_option(f.agent, option::relay_agent_information, it->second);
    if (f.agent.size() + 3 + 3 + 1 > main_room) {
      out.dropped.push_back(option::relay_agent_information);
      f.agent.clear();
    }
    main_room -= f.agent.size();
  }
  for (std::size_t i = 0; i < ncodes; ++i) {
    const auto code = codes[i];
    const auto& data = m.options.at(code);
    const std::size_t size = encoded_size(data);
    if (f.main.size() + size + 3 + 1 <= main_room) {
      append_option(f.main, code, data);
    } else if (code != option::message_type && f.file.size() + size + 1 <= kFileBytes) {
      append_option(f.file, code, data);
    } else if (code != option::message_type && f.sname.size() + size + 1 <= kSnameBytes) {
      append_option(f.sname, code, data);
    } else {
      out.dropped.push_back(code);
    }
  }
  f.main.insert(f.main.end(), f.agent.begin(), f.agent.end());
  std::uint8_t overload = (f.file.empty() ? 0 : 1) | (f.sname.empty() ? 0 : 2);

  ByteWriter w(std::move(out.bytes));
  w.u8(m.op);
  w.u8(m.htype);
  w.u8(m.hlen);
  w.u8(m.hops);
  w.u32(m.xid);
  w.u16(m.secs);
  w.u16(m.flags);
  w.u32(m.ciaddr.to_uint());
  w.u32(m.yiaddr.to_uint());
  w.u32(m.siaddr.to_uint());
  w.u32(m.giaddr.to_uint());
  for (auto b : m.chaddr) w.u8(b);
  auto field = [&](const std::vector<std::uint8_t>& opts, const std::string& text, std::size_t size, bool as_options) {
    std::size_t n = 0;
    if (as_options) {
      for (auto b : opts) w.u8(b);
      w.u8(option::end);
      n = opts.size() + 1;
    } else {
      for (std::size_t i = 0; i < text.size() && i + 1 < size; ++i, ++n) w.u8(static_cast<std::uint8_t>(text[i]));
    }
    w.zeros(size - n);
  };
  field(f.sname, m.sname, kSnameBytes, (overload & 2) != 0);
  field(f.file, m.file, kFileBytes, (overload & 1) != 0);
  w.u32(kMagic);
  if (overload) {
    w.u8(option::overload);
    w.u8(1);
    w.u8(overload);
  }
  for (auto b : f.main) w.u8(b);
  w.u8(option::end);
  if (w.size() < kMinBootp) w.zeros(kMinBootp - w.size());
  out.bytes = w.take();
}

}  // namespace pairgate::dhcp
