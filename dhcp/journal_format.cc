#include "dhcp/journal_format.h"

#include <array>
#include <charconv>
#include <unordered_map>

namespace pairgate::dhcp {

namespace {

constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr auto kCrcTable = make_crc_table();
constexpr char kHex[] = "0123456789abcdef";

void append_hex(std::string_view bytes, std::string& out) {
  for (char c : bytes) {
    auto b = static_cast<std::uint8_t>(c);
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = hex_value(hex[i]), lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

// Hostnames may hold anything a client sent: bytes outside printable ASCII,
// space, '%' and '-' alone are escaped as %XX.
void append_escaped(std::string_view s, std::string& out) {
  if (s.empty()) {
    out += '-';
    return;
  }
  for (char c : s) {
    auto b = static_cast<std::uint8_t>(c);
    if (b <= 0x20 || b >= 0x7f || c == '%' || (c == '-' && s.size() == 1)) {
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    } else {
      out += c;
    }
  }
}

std::optional<std::string> unescape(std::string_view s) {
  if (s == "-") return std::string();
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
    i += 2;
  }
  return out;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= line.size()) {
    auto sp = line.find(' ', start);
    if (sp == std::string_view::npos) sp = line.size();
    out.push_back(line.substr(start, sp - start));
    start = sp + 1;
  }
  return out;
}

}  // namespace

std::uint32_t crc32(std::string_view data) {
  std::uint32_t c = 0xffffffffu;
  for (char ch : data) c = kCrcTable[(c ^ static_cast<std::uint8_t>(ch)) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

void encode_record(const Lease& lease, std::string& out) {
  const std::size_t start = out.size();
  out += "lease ";
  out += lease.address.to_string();
  out += ' ';
  out += to_string(lease.state);
  out += ' ';
  out += std::to_string(lease.expires);
  out += ' ';
  out += lease.hw_address ? lease.hw_address->to_string() : "-";
  out += ' ';
  if (lease.client.empty()) {
    out += '-';
  } else {
    append_hex(lease.client.bytes(), out);
  }
  out += ' ';
  append_escaped(lease.hostname, out);
  out += lease.origin == LeaseOrigin::peer ? " peer " : " local ";
  out += std::to_string(lease.cltt);
  out += ' ';
  const std::uint32_t crc = crc32(std::string_view(out).substr(start, out.size() - start - 1));
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = kHex[(crc >> (28 - 4 * i)) & 15];
  out.append(buf, 8);
  out += '\n';
}

std::optional<Lease> decode_record(std::string_view line, RecordError* error, bool* truncated) {
  auto fail = [&](RecordError e) -> std::optional<Lease> {
    if (error) *error = e;
    return std::nullopt;
  };
  auto last_space = line.rfind(' ');
  if (last_space == std::string_view::npos || line.size() - last_space - 1 != 8) return fail(RecordError::bad_crc);
  std::uint32_t crc = 0;
  auto crc_text = line.substr(last_space + 1);
  auto [p, ec] = std::from_chars(crc_text.data(), crc_text.data() + crc_text.size(), crc, 16);
  if (ec != std::errc() || p != crc_text.data() + crc_text.size()) return fail(RecordError::bad_crc);
  if (crc32(line.substr(0, last_space)) != crc) return fail(RecordError::bad_crc);

  auto f = split(line.substr(0, last_space));
  // Nine fields; eight in a file written before cltt was kept (it reads as 0).
  if ((f.size() != 8 && f.size() != 9) || f[0] != "lease") return fail(RecordError::bad_field);
  Lease l;
  auto address = Ipv4Address::parse(f[1]);
  auto state = lease_state_from_string(f[2]);
  if (!address || !state) return fail(RecordError::bad_field);
  l.address = *address;
  l.state = *state;
  auto [q, ec2] = std::from_chars(f[3].data(), f[3].data() + f[3].size(), l.expires);
  if (ec2 != std::errc() || q != f[3].data() + f[3].size()) return fail(RecordError::bad_field);
  if (f[4] != "-") {
    auto mac = MacAddress::parse(f[4]);
    if (!mac) return fail(RecordError::bad_field);
    l.hw_address = *mac;
  }
  bool cut = false;
  if (f[5] != "-") {
    auto raw = from_hex(f[5]);
    if (raw && raw->size() > ClientKey::kMaxKey && (*raw)[0] == 'c') {
      // The engine knows such a client by the first kMaxClientId bytes of
      // its identifier too (ClientKey::from_client_id).
      raw->resize(ClientKey::kMaxKey);
      cut = true;
    }
    auto key = raw ? ClientKey::from_bytes(*raw) : std::nullopt;
    if (!key) return fail(RecordError::bad_field);
    l.client = *key;
  }
  auto host = unescape(f[6]);
  if (!host) return fail(RecordError::bad_field);
  l.hostname = std::move(*host);
  cut |= cap_hostname(l.hostname);
  if (f[7] == "peer") {
    l.origin = LeaseOrigin::peer;
  } else if (f[7] != "local") {
    return fail(RecordError::bad_field);
  }
  if (f.size() == 9) {
    auto [c, ec3] = std::from_chars(f[8].data(), f[8].data() + f[8].size(), l.cltt);
    if (ec3 != std::errc() || c != f[8].data() + f[8].size() || l.cltt < 0) return fail(RecordError::bad_field);
  }
  if (truncated) *truncated = cut;
  return l;
}

Replay replay(std::string_view contents) {
  Replay r;
  std::unordered_map<std::uint32_t, std::size_t> position;
  std::size_t start = 0;
  while (start < contents.size()) {
    auto nl = contents.find('\n', start);
    if (nl == std::string_view::npos) {
      r.torn_tail = true;
      break;
    }
    auto line = contents.substr(start, nl - start);
    start = nl + 1;
    if (line.empty()) continue;
    bool cut = false;
    auto lease = decode_record(line, nullptr, &cut);
    r.truncated += cut;
    if (!lease) {
      ++r.damaged;
      continue;
    }
    ++r.records;
    r.good_bytes = start;
    auto [it, inserted] = position.try_emplace(lease->address.to_uint(), r.leases.size());
    if (inserted) {
      r.leases.push_back(std::move(*lease));
    } else {
      r.leases[it->second] = std::move(*lease);
    }
  }
  return r;
}

}  // namespace pairgate::dhcp
