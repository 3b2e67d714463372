#include "dhcp/lease_store.h"

namespace pairgate::dhcp {

template <typename Match>
std::uint32_t LeaseStore::Index::find(std::uint64_t hash, Match match) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    std::uint32_t r = slots_[i];
    if (r == kEmpty) return kEmpty;
    if (r != kGone && match(r)) return r;
  }
}

void LeaseStore::Index::insert(std::uint64_t hash, std::uint32_t record) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = hash & mask;
  while (slots_[i] != kEmpty && slots_[i] != kGone) i = (i + 1) & mask;
  if (slots_[i] == kEmpty) ++used_;
  slots_[i] = record;
}

void LeaseStore::Index::erase(std::uint64_t hash, std::uint32_t record) {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask; slots_[i] != kEmpty; i = (i + 1) & mask) {
    if (slots_[i] == record) {
      slots_[i] = kGone;
      return;
    }
  }
}

template <typename HashOf>
void LeaseStore::Index::grow_if_needed(HashOf hash_of) {
  // At most three quarters full (live and gone slots), then rebuilt at
  // most half full: 4 to 8 bytes a lease.
  if ((used_ + 1) * 4 <= slots_.size() * 3) return;
  std::vector<std::uint32_t> old = std::move(slots_);
  std::size_t live = 0;
  for (auto r : old) live += (r != kEmpty && r != kGone);
  std::size_t n = 16;
  while (n < (live + 1) * 2) n *= 2;
  slots_.assign(n, kEmpty);
  used_ = 0;
  for (auto r : old) {
    if (r != kEmpty && r != kGone) insert(hash_of(r), r);
  }
}

LeaseStore::LeaseStore() = default;

std::uint64_t LeaseStore::hash_address(Ipv4Address a) {
  std::uint64_t x = a.to_uint();
  x *= 0x9e3779b97f4a7c15ull;  // Fibonacci hashing spreads consecutive addresses
  return x >> 20;
}

const Lease* LeaseStore::find(Ipv4Address address) const {
  auto r = by_address_.find(hash_address(address), [&](std::uint32_t i) { return leases_[i].address == address; });
  return r == Index::kEmpty ? nullptr : &leases_[r];
}

const Lease* LeaseStore::find(const ClientKey& client, const IpPrefix& subnet) const {
  if (client.empty()) return nullptr;
  auto r = by_client_.find(client.hash(), [&](std::uint32_t i) {
    return leases_[i].client == client && subnet.contains(leases_[i].address);
  });
  return r == Index::kEmpty ? nullptr : &leases_[r];
}

void LeaseStore::put(const Lease& lease) {
  auto existing = by_address_.find(hash_address(lease.address),
                                   [&](std::uint32_t i) { return leases_[i].address == lease.address; });
  if (existing != Index::kEmpty) {
    Lease& old = leases_[existing];
    if (!(old.client == lease.client)) {
      if (!old.client.empty()) by_client_.erase(old.client.hash(), existing);
      if (!lease.client.empty()) {
        by_client_.grow_if_needed([this](std::uint32_t i) { return leases_[i].client.hash(); });
        by_client_.insert(lease.client.hash(), existing);
      }
    }
    old = lease;
    return;
  }
  auto record = static_cast<std::uint32_t>(leases_.size());
  leases_.push_back(lease);
  by_address_.grow_if_needed([this](std::uint32_t i) { return hash_address(leases_[i].address); });
  by_address_.insert(hash_address(lease.address), record);
  if (!lease.client.empty()) {
    by_client_.grow_if_needed([this](std::uint32_t i) { return leases_[i].client.hash(); });
    by_client_.insert(lease.client.hash(), record);
  }
}

void LeaseStore::for_each(const std::function<void(const Lease&)>& f) const {
  for (const auto& l : leases_) f(l);
}

void LeaseStore::update_each(const std::function<void(Lease&)>& f) {
  for (auto& l : leases_) f(l);
}

}  // namespace pairgate::dhcp
