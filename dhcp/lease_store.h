// Every lease this server knows, in memory, indexed by address and by client.
//
// Sized for whole /16 pools: a lease is one compact record in a vector, and
// both indexes are open-addressing tables of 32-bit record numbers (4 to 8
// bytes a lease each), not node-based maps. A record is never
// removed: an address that changes hands is overwritten in place, so the
// store holds at most one record per address ever leased. Persistence is the
// journal's business (dhcp/journal.h); this file does no I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/address.h"
#include "dhcp/lease.h"

namespace pairgate::dhcp {

class LeaseStore {
 public:
  LeaseStore();

  const Lease* find(Ipv4Address address) const;
  // The client's record inside `subnet` (a client may hold one per subnet).
  const Lease* find(const ClientKey& client, const IpPrefix& subnet) const;

  // Inserts or replaces the record for lease.address. A previous holder of
  // the address loses its claim to it.
  void put(const Lease& lease);

  std::size_t size() const { return leases_.size(); }
  void for_each(const std::function<void(const Lease&)>& f) const;
  // Calls f on each record with a mutable state/expires (identity fields
  // and the address must not change).
  void update_each(const std::function<void(Lease&)>& f);

 private:
  // Open addressing with linear probing over record numbers.
  class Index {
   public:
    static constexpr std::uint32_t kEmpty = 0xffffffffu;
    static constexpr std::uint32_t kGone = 0xfffffffeu;
    template <typename Match>
    std::uint32_t find(std::uint64_t hash, Match match) const;
    void insert(std::uint64_t hash, std::uint32_t record);
    void erase(std::uint64_t hash, std::uint32_t record);
    template <typename HashOf>
    void grow_if_needed(HashOf hash_of);

   private:
    std::vector<std::uint32_t> slots_ = std::vector<std::uint32_t>(16, kEmpty);
    std::size_t used_ = 0;  // live and gone slots
  };

  static std::uint64_t hash_address(Ipv4Address a);

  std::vector<Lease> leases_;
  Index by_address_;
  Index by_client_;
};

}  // namespace pairgate::dhcp
