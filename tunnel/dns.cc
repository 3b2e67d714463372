#include "tunnel/dns.h"

#include <optional>

#include "core/byte_io.h"

namespace pairgate::tunnel::dns {

namespace {

constexpr std::size_t kHeader = 12;
constexpr std::size_t kMaxName = 255;  // RFC 1035 §2.3.4, wire form
constexpr int kMaxChain = 8;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

struct Name {
  std::string text;  // lower case, dotted, no trailing dot ("" is the root)
  Error error = Error::none;
};

// RFC 1035 §4.1.4: a name is labels ending in a zero octet or a pointer.
// Pointers must point strictly before the place they were read from, which
// bounds the walk and rules out loops. Advances `r` past the name as it
// appears at r's position.
Name read_name(std::span<const std::byte> message, ByteReader& r) {
  Name out;
  std::size_t wire = 0;
  std::size_t pos = r.position();
  std::size_t limit = pos;  // a pointer must go below this
  bool jumped = false;
  for (;;) {
    if (pos >= message.size()) {
      out.error = Error::short_message;
      return out;
    }
    const auto len = std::to_integer<std::uint8_t>(message[pos]);
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= message.size()) {
        out.error = Error::short_message;
        return out;
      }
      const std::size_t target = (static_cast<std::size_t>(len & 0x3f) << 8) | std::to_integer<std::uint8_t>(message[pos + 1]);
      if (!jumped) {
        r.skip(pos + 2 - r.position());
        jumped = true;
      }
      if (target >= limit) {
        out.error = Error::pointer_loop;
        return out;
      }
      limit = target;
      pos = target;
      continue;
    }
    if ((len & 0xc0) != 0) {  // 01 and 10: extended label types, not used
      out.error = Error::bad_name;
      return out;
    }
    wire += 1 + len;
    if (wire > kMaxName) {
      out.error = Error::bad_name;
      return out;
    }
    if (len == 0) {
      if (!jumped) r.skip(pos + 1 - r.position());
      return out;
    }
    if (pos + 1 + len > message.size()) {
      out.error = Error::short_message;
      return out;
    }
    if (!out.text.empty()) out.text += '.';
    for (std::size_t i = 0; i < len; ++i) {
      // A '.' inside a label would read as another name in dotted text
      // (one label "a.b" equals the labels "a", "b"): not a host name.
      const char c = static_cast<char>(message[pos + 1 + i]);
      if (c == '.') {
        out.error = Error::bad_name;
        return out;
      }
      out.text += lower(c);
    }
    pos += 1 + len;
  }
}

struct Record {
  std::string owner;
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
  std::uint32_t ttl = 0;
  std::size_t rdata_offset = 0;
  std::uint16_t rdlength = 0;
};

}  // namespace

std::string_view to_string(Error e) {
  switch (e) {
    case Error::none: return "ok";
    case Error::short_message: return "short message";
    case Error::not_response: return "not a response";
    case Error::id_mismatch: return "ID mismatch";
    case Error::bad_opcode: return "bad opcode";
    case Error::truncated: return "truncated (TC)";
    case Error::question_mismatch: return "question mismatch";
    case Error::bad_name: return "bad name";
    case Error::pointer_loop: return "compression pointer loop";
    case Error::bad_record: return "bad record";
    case Error::name_error: return "no such name (NXDOMAIN)";
    case Error::server_failure: return "server failure";
    case Error::no_data: return "no AAAA record";
    case Error::cname_loop: return "CNAME chain too long";
  }
  return "?";
}

std::string normalise_name(std::string_view name) {
  std::string out;
  for (char c : name) out += lower(c);
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

std::vector<std::byte> build_query(std::uint16_t id, std::string_view name, std::uint16_t qtype) {
  const std::string n = normalise_name(name);
  if (n.empty() || n.size() > 253) return {};
  ByteWriter w;
  w.u16(id);
  w.u16(0x0100);  // RD: recursion desired (RFC 1035 §4.1.1)
  w.u16(1);       // QDCOUNT
  w.u16(0);
  w.u16(0);
  w.u16(0);
  std::size_t start = 0;
  while (start <= n.size()) {
    std::size_t dot = n.find('.', start);
    if (dot == std::string::npos) dot = n.size();
    const std::size_t len = dot - start;
    if (len == 0 || len > 63) return {};
    w.u8(static_cast<std::uint8_t>(len));
    for (std::size_t i = start; i < dot; ++i) w.u8(static_cast<std::uint8_t>(n[i]));
    start = dot + 1;
  }
  w.u8(0);
  w.u16(qtype);
  w.u16(kClassIn);
  return w.take();
}

Response parse_response(std::span<const std::byte> message, std::uint16_t id, std::string_view name) {
  Response out;
  auto fail = [&](Error e) {
    out.error = e;
    out.addresses.clear();
    return out;
  };
  ByteReader r(message);
  auto rid = r.u16();
  auto flags = r.u16();
  auto qd = r.u16();
  auto an = r.u16();
  r.skip(4);  // NSCOUNT and ARCOUNT: those sections are not read
  if (r.failed() || message.size() < kHeader) return fail(Error::short_message);
  // RFC 1035 §4.1.1 header checks, then RFC 5452 §9.1: ID and question.
  if ((*flags & 0x8000) == 0) return fail(Error::not_response);
  if (*rid != id) return fail(Error::id_mismatch);
  if (((*flags >> 11) & 0xf) != 0) return fail(Error::bad_opcode);
  if ((*flags & 0x0200) != 0) return fail(Error::truncated);
  out.rcode = static_cast<std::uint8_t>(*flags & 0xf);
  if (*qd != 1) return fail(Error::question_mismatch);
  Name q = read_name(message, r);
  if (q.error != Error::none) return fail(q.error);
  auto qtype = r.u16();
  auto qclass = r.u16();
  if (r.failed()) return fail(Error::short_message);
  const std::string asked = normalise_name(name);
  if (q.text != asked || *qtype != kTypeAaaa || *qclass != kClassIn) return fail(Error::question_mismatch);
  if (out.rcode == 3) return fail(Error::name_error);
  if (out.rcode != 0) return fail(Error::server_failure);

  std::vector<Record> answers;
  for (unsigned i = 0; i < *an; ++i) {
    Record rec;
    Name owner = read_name(message, r);
    if (owner.error != Error::none) return fail(owner.error);
    rec.owner = std::move(owner.text);
    auto type = r.u16();
    auto klass = r.u16();
    auto ttl = r.u32();
    auto rdlength = r.u16();
    if (r.failed()) return fail(Error::short_message);
    rec.type = *type;
    rec.klass = *klass;
    rec.ttl = *ttl > 0x7fffffffu ? 0 : *ttl;
    rec.rdata_offset = r.position();
    rec.rdlength = *rdlength;
    if (!r.skip(*rdlength)) return fail(Error::short_message);
    answers.push_back(std::move(rec));
  }

  // Follow CNAMEs from the name asked for (RFC 1034 §3.6.2).
  std::string current = asked;
  std::optional<std::uint32_t> ttl;
  auto take_ttl = [&](std::uint32_t t) { ttl = ttl ? std::min(*ttl, t) : t; };
  for (int hops = 0;; ++hops) {
    const Record* cname = nullptr;
    for (const auto& rec : answers) {
      if (rec.klass == kClassIn && rec.type == kTypeCname && rec.owner == current) cname = &rec;
    }
    if (cname == nullptr) break;
    if (hops >= kMaxChain) return fail(Error::cname_loop);
    ByteReader rr(message);
    rr.skip(cname->rdata_offset);
    Name target = read_name(message, rr);
    if (target.error != Error::none) return fail(target.error);
    if (rr.position() != cname->rdata_offset + cname->rdlength) return fail(Error::bad_record);
    take_ttl(cname->ttl);
    current = std::move(target.text);
  }
  for (const auto& rec : answers) {
    if (rec.klass != kClassIn || rec.type != kTypeAaaa || rec.owner != current) continue;
    if (rec.rdlength != 16) return fail(Error::bad_record);
    std::array<std::uint8_t, 16> b{};
    for (std::size_t i = 0; i < 16; ++i) b[i] = std::to_integer<std::uint8_t>(message[rec.rdata_offset + i]);
    out.addresses.emplace_back(b);
    take_ttl(rec.ttl);
  }
  if (out.addresses.empty()) return fail(Error::no_data);
  out.ttl = ttl.value_or(0);
  out.canonical_name = current;
  return out;
}

}  // namespace pairgate::tunnel::dns
