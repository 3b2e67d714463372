#include "dhcp/lease_store.h"

#include <algorithm>

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

template <typename F>
void LeaseStore::Index::for_each_candidate(std::uint64_t hash, F f) const {
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask; slots_[i] != kEmpty; i = (i + 1) & mask) {
    if (slots_[i] != kGone) f(slots_[i]);
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

LeaseStore::Blob::Blob(std::string_view a, std::string_view b) {
  // The callers keep within kMaxBlob; were one not to, the tail is cut
  // rather than written past the buffer.
  a = a.substr(0, kMaxBlob);
  b = b.substr(0, kMaxBlob - a.size());
  size_ = static_cast<std::uint16_t>(a.size() + b.size());
  char* out = inline_;
  if (size_ > kInline) out = heap_ = new char[size_];
  std::copy(a.begin(), a.end(), out);
  std::copy(b.begin(), b.end(), out + a.size());
}

LeaseStore::Blob& LeaseStore::Blob::operator=(const Blob& o) {
  if (this != &o) {
    Blob copy(o);
    this->~Blob();
    size_ = copy.size_;
    if (size_ > kInline) {
      heap_ = copy.heap_;
      copy.size_ = 0;  // ownership moves
    } else {
      std::copy(copy.inline_, copy.inline_ + size_, inline_);
    }
  }
  return *this;
}

LeaseStore::Blob::~Blob() {
  if (size_ > kInline) delete[] heap_;
}

LeaseStore::LeaseStore() = default;

std::uint64_t LeaseStore::hash_address(std::uint32_t a) {
  std::uint64_t x = a;
  x *= 0x9e3779b97f4a7c15ull;  // Fibonacci hashing spreads consecutive addresses
  return x >> 20;
}

LeaseStore::Record LeaseStore::pack(const Lease& l, std::string_view hostname) {
  Record r;
  r.expires = l.expires;
  r.cltt = l.cltt;
  r.address = l.address.to_uint();
  r.state = l.state;
  r.origin = l.origin;
  r.has_hw = l.hw_address.has_value();
  if (l.hw_address) r.hw = l.hw_address->bytes();
  r.key_size = static_cast<std::uint16_t>(l.client.bytes().size());
  r.data = Blob(l.client.bytes(), hostname);
  return r;
}

Lease LeaseStore::unpack(const Record& r) {
  Lease l;
  l.expires = r.expires;
  l.cltt = r.cltt;
  l.address = Ipv4Address(r.address);
  l.state = r.state;
  l.origin = r.origin;
  if (r.has_hw) l.hw_address = MacAddress(r.hw);
  l.client = ClientKey::from_bytes(r.key()).value_or(ClientKey());
  l.hostname = std::string(r.data.view().substr(r.key_size));
  return l;
}

std::uint32_t LeaseStore::find_address(std::uint32_t a) const {
  return by_address_.find(hash_address(a), [&](std::uint32_t i) { return records_[i].address == a; });
}

std::optional<Lease> LeaseStore::find(Ipv4Address address) const {
  auto r = find_address(address.to_uint());
  if (r == Index::kEmpty) return std::nullopt;
  return unpack(records_[r]);
}

std::optional<LeaseStore::Glance> LeaseStore::glance(Ipv4Address address, const ClientKey& client) const {
  auto r = find_address(address.to_uint());
  if (r == Index::kEmpty) return std::nullopt;
  const Record& rec = records_[r];
  return Glance{rec.state, rec.expires, rec.key() == client.bytes()};
}

std::optional<Lease> LeaseStore::find(const ClientKey& client, const IpPrefix& subnet) const {
  if (client.empty()) return std::nullopt;
  std::uint32_t best = Index::kEmpty;
  by_client_.for_each_candidate(client.hash(), [&](std::uint32_t i) {
    const Record& r = records_[i];
    if (r.key() != client.bytes() || !subnet.contains(Ipv4Address(r.address))) return;
    if (best == Index::kEmpty) {
      best = i;
      return;
    }
    const Record& b = records_[best];
    const bool bound = r.state == LeaseState::leased, best_bound = b.state == LeaseState::leased;
    if (bound != best_bound ? bound : r.expires > b.expires) best = i;
  });
  if (best == Index::kEmpty) return std::nullopt;
  return unpack(records_[best]);
}

std::vector<Lease> LeaseStore::find_all(const ClientKey& client, const IpPrefix& subnet) const {
  std::vector<Lease> out;
  if (client.empty()) return out;
  by_client_.for_each_candidate(client.hash(), [&](std::uint32_t i) {
    if (records_[i].key() == client.bytes() && subnet.contains(Ipv4Address(records_[i].address))) {
      out.push_back(unpack(records_[i]));
    }
  });
  return out;
}

void LeaseStore::put(const Lease& lease) {
  std::string_view hostname = lease.hostname;
  if (hostname.size() > kMaxHostname) {
    hostname = hostname.substr(0, kMaxHostname);
    ++truncated_;
  }
  const auto key_hash = [this](std::uint32_t i) { return ClientKey::hash_of(records_[i].key()); };
  auto existing = find_address(lease.address.to_uint());
  if (existing != Index::kEmpty) {
    Record& old = records_[existing];
    if (old.key() != lease.client.bytes()) {
      if (old.key_size) by_client_.erase(ClientKey::hash_of(old.key()), existing);
      if (!lease.client.empty()) {
        by_client_.grow_if_needed(key_hash);
        by_client_.insert(lease.client.hash(), existing);
      }
    }
    old = pack(lease, hostname);
    return;
  }
  auto record = static_cast<std::uint32_t>(records_.size());
  records_.push_back(pack(lease, hostname));
  by_address_.grow_if_needed([this](std::uint32_t i) { return hash_address(records_[i].address); });
  by_address_.insert(hash_address(lease.address.to_uint()), record);
  if (!lease.client.empty()) {
    by_client_.grow_if_needed(key_hash);
    by_client_.insert(lease.client.hash(), record);
  }
}

void LeaseStore::index(std::uint32_t record) {
  by_address_.grow_if_needed([this](std::uint32_t i) { return hash_address(records_[i].address); });
  by_address_.insert(hash_address(records_[record].address), record);
  if (records_[record].key_size) {
    by_client_.grow_if_needed([this](std::uint32_t i) { return ClientKey::hash_of(records_[i].key()); });
    by_client_.insert(ClientKey::hash_of(records_[record].key()), record);
  }
}

void LeaseStore::unindex(std::uint32_t record) {
  by_address_.erase(hash_address(records_[record].address), record);
  if (records_[record].key_size) by_client_.erase(ClientKey::hash_of(records_[record].key()), record);
}

void LeaseStore::erase(Ipv4Address address) {
  const auto r = find_address(address.to_uint());
  if (r == Index::kEmpty) return;
  unindex(r);
  const auto last = static_cast<std::uint32_t>(records_.size() - 1);
  if (r != last) {
    // The last record moves into the gap.
    unindex(last);
    records_[r] = records_[last];
    index(r);
  }
  records_.pop_back();
  order_.clear();  // numbers moved: sorted again when next asked
  ordered_ = 0;
}

LeaseStore::View LeaseStore::view(const Record& r) {
  View v{Ipv4Address(r.address), r.state, r.origin, r.expires, std::nullopt, r.key(), r.data.view().substr(r.key_size), r.cltt};
  if (r.has_hw) v.hw_address = MacAddress(r.hw);
  return v;
}

Lease LeaseStore::View::lease() const {
  return Lease{address,   state, origin, expires, hw_address, ClientKey::from_bytes(client).value_or(ClientKey()),
               std::string(hostname), cltt};
}

void LeaseStore::for_each_in_order(const std::function<bool(const View&)>& f) const {
  if (ordered_ < records_.size()) {
    const auto by_address = [this](std::uint32_t a, std::uint32_t b) { return records_[a].address < records_[b].address; };
    const auto old = static_cast<std::ptrdiff_t>(order_.size());
    for (auto i = static_cast<std::uint32_t>(ordered_); i < records_.size(); ++i) order_.push_back(i);
    std::sort(order_.begin() + old, order_.end(), by_address);
    std::inplace_merge(order_.begin(), order_.begin() + old, order_.end(), by_address);
    ordered_ = records_.size();
  }
  for (auto i : order_) {
    if (!f(view(records_[i]))) return;
  }
}

void LeaseStore::for_each_view(const std::function<void(const View&)>& f) const {
  for (const auto& r : records_) f(view(r));
}

void LeaseStore::for_each(const std::function<void(const Lease&)>& f) const {
  for (const auto& r : records_) f(unpack(r));
}

void LeaseStore::update_each(const std::function<void(Lease&)>& f) {
  for (auto& r : records_) {
    Lease l = unpack(r);
    f(l);
    r.state = l.state;
    r.expires = l.expires;
  }
}

}  // namespace pairgate::dhcp
