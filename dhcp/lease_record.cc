#include "dhcp/lease_record.h"

namespace pairgate::dhcp {

std::optional<LeaseRecord> to_record(const Lease& l) {
  LeaseRecord r;
  switch (l.state) {
    case LeaseState::offered: return std::nullopt;
    case LeaseState::leased: r.state = LeaseRecordState::leased; break;
    case LeaseState::released: r.state = LeaseRecordState::released; break;
    case LeaseState::expired: r.state = LeaseRecordState::expired; break;
    case LeaseState::declined: r.state = LeaseRecordState::declined; break;
  }
  r.address = l.address;
  r.cltt = l.cltt;
  r.expires = l.expires;
  r.hw_address = l.hw_address;
  r.client = l.client.bytes();
  r.hostname = l.hostname;
  return r;
}

std::optional<Lease> from_record(const LeaseRecord& r) {
  Lease l;
  switch (r.state) {
    case LeaseRecordState::leased: l.state = LeaseState::leased; break;
    case LeaseRecordState::released: l.state = LeaseState::released; break;
    case LeaseRecordState::expired: l.state = LeaseState::expired; break;
    case LeaseRecordState::declined: l.state = LeaseState::declined; break;
    default: return std::nullopt;
  }
  if (!r.client.empty()) {
    auto key = ClientKey::from_bytes(r.client);
    if (!key) return std::nullopt;
    l.client = *key;
  }
  if (r.hostname.size() > kMaxHostname) return std::nullopt;
  l.address = r.address;
  l.origin = LeaseOrigin::peer;
  l.cltt = r.cltt;
  l.expires = r.expires;
  l.hw_address = r.hw_address;
  l.hostname = r.hostname;
  return l;
}

}  // namespace pairgate::dhcp
