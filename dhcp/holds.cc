#include "dhcp/holds.h"

#include <iterator>

namespace pairgate::dhcp {

const Holds::Hold* Holds::find(Ipv4Address a, Clock::time_point now) const {
  auto it = by_address_.find(a.to_uint());
  if (it == by_address_.end() || it->second.until <= now) return nullptr;
  return &it->second;
}

bool Holds::offered_to(Ipv4Address a, const ClientKey& client, Clock::time_point now) const {
  const Hold* h = find(a, now);
  return h && h->kind == Kind::offer && h->client == client;
}

bool Holds::quarantined(Ipv4Address a, Clock::time_point now) const {
  const Hold* h = find(a, now);
  return h && h->kind == Kind::quarantine;
}

std::optional<Ipv4Address> Holds::offer_of(const ClientKey& client, Clock::time_point now) const {
  auto it = offer_by_client_.find(client.bytes());
  if (it == offer_by_client_.end()) return std::nullopt;
  const Ipv4Address a(it->second);
  if (!offered_to(a, client, now)) return std::nullopt;
  return a;
}

void Holds::offer(Ipv4Address a, const ClientKey& client, Clock::time_point now, Clock::duration d) {
  end_offer_of(client);
  release(a);
  by_address_[a.to_uint()] = Hold{Kind::offer, client, now, now + d};
  offer_by_client_[client.bytes()] = a.to_uint();
}

void Holds::quarantine(Ipv4Address a, Clock::time_point now, Clock::duration d) {
  release(a);
  by_address_[a.to_uint()] = Hold{Kind::quarantine, {}, now, now + d};
}

void Holds::release(Ipv4Address a) {
  auto it = by_address_.find(a.to_uint());
  if (it == by_address_.end()) return;
  if (it->second.kind == Kind::offer) {
    auto o = offer_by_client_.find(it->second.client.bytes());
    if (o != offer_by_client_.end() && o->second == a.to_uint()) offer_by_client_.erase(o);
  }
  by_address_.erase(it);
}

void Holds::end_offer_of(const ClientKey& client) {
  auto o = offer_by_client_.find(client.bytes());
  if (o == offer_by_client_.end()) return;
  const std::uint32_t a = o->second;
  offer_by_client_.erase(o);
  if (auto it = by_address_.find(a); it != by_address_.end() && it->second.kind == Kind::offer &&
                                     it->second.client == client) {
    by_address_.erase(it);
  }
}

void Holds::expire(Clock::time_point now) {
  for (auto it = by_address_.begin(); it != by_address_.end();) {
    if (it->second.until > now) {
      ++it;
      continue;
    }
    if (it->second.kind == Kind::offer) {
      auto o = offer_by_client_.find(it->second.client.bytes());
      if (o != offer_by_client_.end() && o->second == it->first) offer_by_client_.erase(o);
    }
    it = by_address_.erase(it);
  }
}

void Holds::for_each(Clock::time_point now, const std::function<void(Ipv4Address, const Hold&)>& f) const {
  for (const auto& [a, h] : by_address_) {
    if (h.until > now) f(Ipv4Address(a), h);
  }
}

}  // namespace pairgate::dhcp
