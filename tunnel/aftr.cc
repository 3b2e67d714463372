#include "tunnel/aftr.h"

#include <algorithm>

namespace pairgate::tunnel {

void AftrSet::set_static(std::vector<Ipv6Address> addresses) {
  addresses_ = std::move(addresses);
  index_ = 0;
  expires_.reset();
}

bool AftrSet::set_resolved(std::vector<Ipv6Address> addresses, std::chrono::seconds ttl, TimePoint now) {
  const auto before = current();
  addresses_ = std::move(addresses);
  index_ = 0;
  if (before) {
    auto it = std::find(addresses_.begin(), addresses_.end(), *before);
    if (it != addresses_.end()) index_ = static_cast<std::size_t>(it - addresses_.begin());
  }
  expires_ = now + std::clamp<std::chrono::seconds>(ttl, kMinTtl, kMaxTtl);
  return current() != before;
}

std::optional<Ipv6Address> AftrSet::current() const {
  if (addresses_.empty()) return std::nullopt;
  return addresses_[index_];
}

std::optional<Ipv6Address> AftrSet::fail() {
  if (addresses_.empty()) return std::nullopt;
  index_ = (index_ + 1) % addresses_.size();
  return addresses_[index_];
}

}  // namespace pairgate::tunnel
