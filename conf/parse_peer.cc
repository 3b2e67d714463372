#include <sys/stat.h>

#include "conf/parse_sections.h"

namespace pairgate::conf {

namespace {

bool usable_unicast(const IpAddress& a) {
  if (a.is_v4()) {
    const auto v = a.v4().to_uint();
    return v != 0 && v != 0xffffffffu && (v >> 28) != 0xe;  // not 0.0.0.0, broadcast or multicast
  }
  return a.v6() != Ipv6Address{} && !a.v6().is_multicast();
}

}  // namespace

void parse_peer(Reader& r, const YAML::Node& n, Peer& out) {
  MapReader m(r, n, "peer");
  if (!m.ok()) return;
  out.mark = m.mark();
  if (auto a = m.required("address"); a.IsDefined()) {
    out.address_mark = r.where(a);
    if (auto v = r.ip(a, "peer.address")) {
      if (usable_unicast(*v)) {
        out.address = *v;
      } else {
        r.error(a, "peer.address: " + v->to_string() + " is not a unicast address");
      }
    }
  }
  if (auto l = m.get("local"); l.IsDefined()) {
    out.local_mark = r.where(l);
    if (auto v = r.ip(l, "peer.local")) {
      if (usable_unicast(*v)) {
        out.local = *v;
      } else {
        r.error(l, "peer.local: " + v->to_string() + " is not a unicast address");
      }
    }
  }
  if (auto p = m.get("port"); p.IsDefined()) {
    if (auto v = r.integer(p, "peer.port", 1, 65535)) out.port = static_cast<std::uint16_t>(*v);
  }
  if (auto k = m.required("key_file"); k.IsDefined()) {
    out.key_file_mark = r.where(k);
    if (auto v = r.string(k, "peer.key_file")) {
      if (v->empty() || v->front() != '/' || v->back() == '/') {
        r.error(k, "peer.key_file: must be an absolute file path");
      } else {
        out.key_file = *v;
        struct stat st {};
        if (::stat(v->c_str(), &st) == 0) {
          out.key_stamp = {static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(st.st_size),
                           std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
        }
      }
    }
  }
}

}  // namespace pairgate::conf
