// Every lease this server knows, in memory, indexed by address and by client.
//
// Sized for whole /16 pools: a lease is packed into one 48-byte record in a
// vector (identity and hostname inline up to 22 bytes together), and both
// indexes are open-addressing tables of 32-bit record numbers (4 to 8 bytes a
// lease each), not node-based maps. An address that changes hands is
// overwritten in place, so the store holds at most one record per address
// ever leased; erase() only takes back a record that never reached the disk.
// Lookups return copies. Every record is persisted state: offers and
// quarantine timing are in dhcp/holds.h. Persistence is the
// journal's business (dhcp/journal.h); this file does no I/O.
//
// Bounded by construction: a record holds at most ClientKey::kMaxKey bytes
// of identity (the key type's own bound) and kMaxHostname of hostname;
// put() cuts a longer hostname and counts it (truncated()). Every way in —
// packets, reservations, the lease file, the peer stream — goes through it.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <optional>
#include <vector>

#include "core/address.h"
#include "dhcp/lease.h"

namespace pairgate::dhcp {

class LeaseStore {
 public:
  LeaseStore();

  std::optional<Lease> find(Ipv4Address address) const;
  // The client's record inside `subnet` (the engine keeps one per subnet;
  // of several, as in a file written before it did, the bound one, else the
  // one that expires last).
  std::optional<Lease> find(const ClientKey& client, const IpPrefix& subnet) const;
  // Every record of the client inside `subnet`.
  std::vector<Lease> find_all(const ClientKey& client, const IpPrefix& subnet) const;

  // What allocation needs of an address's record, without copying it.
  struct Glance {
    LeaseState state;
    std::int64_t expires;
    bool same_client;  // the record's client is `client`
  };
  std::optional<Glance> glance(Ipv4Address address, const ClientKey& client) const;

  // Inserts or replaces the record for lease.address. A previous holder of
  // the address loses its claim to it. A hostname longer than kMaxHostname
  // is stored cut to it (and counted).
  void put(const Lease& lease);
  // Removes the record of `address` (a commit taken back before it reached
  // the disk, when the address had no record before).
  void erase(Ipv4Address address);

  // A record as stored, without copies; valid during the call that gives it.
  struct View {
    Ipv4Address address;
    LeaseState state;
    LeaseOrigin origin;
    std::int64_t expires;
    std::optional<MacAddress> hw_address;
    std::string_view client;    // ClientKey::bytes()
    std::string_view hostname;
    std::int64_t cltt = 0;
    Lease lease() const;
  };
  // Calls f on each record in address order until f returns false. The
  // order is kept between calls: records added since the last one are
  // sorted and merged in (O(k log k + n)); erase() makes the next call sort
  // everything again.
  void for_each_in_order(const std::function<bool(const View&)>& f) const;
  // Calls f on each record, in no order, without copies.
  void for_each_view(const std::function<void(const View&)>& f) const;

  std::size_t size() const { return records_.size(); }
  // Hostnames put() had to cut: a caller that did not bound its input.
  std::uint64_t truncated() const { return truncated_; }
  void for_each(const std::function<void(const Lease&)>& f) const;
  // Calls f on each record; what it changes in `state` and `expires` is
  // kept (identity fields and the address must not change).
  void update_each(const std::function<void(Lease&)>& f);

 private:
  // Bytes kept inline up to 22, else on the heap; at most kMaxBlob.
  static constexpr std::size_t kMaxBlob = ClientKey::kMaxKey + kMaxHostname;
  class Blob {
   public:
    Blob() = default;
    Blob(std::string_view a, std::string_view b);
    Blob(const Blob& o) : Blob(o.view(), {}) {}
    Blob& operator=(const Blob& o);
    ~Blob();
    std::string_view view() const { return {size_ > kInline ? heap_ : inline_, size_}; }

   private:
    static constexpr std::size_t kInline = 22;
    static_assert(kMaxBlob <= 0xffff, "the size is kept in 16 bits");
    std::uint16_t size_ = 0;
    union {
      char inline_[kInline];
      char* heap_;
    };
  };
  struct Record {
    std::int64_t expires = 0;
    std::int64_t cltt = 0;
    std::uint32_t address = 0;
    LeaseState state = LeaseState::leased;
    LeaseOrigin origin = LeaseOrigin::local;
    bool has_hw = false;
    std::uint16_t key_size = 0;  // the client key, then the hostname, in `data`
    std::array<std::uint8_t, 6> hw{};
    Blob data;
    std::string_view key() const { return data.view().substr(0, key_size); }
  };

  // Open addressing with linear probing over record numbers.
  class Index {
   public:
    static constexpr std::uint32_t kEmpty = 0xffffffffu;
    static constexpr std::uint32_t kGone = 0xfffffffeu;
    template <typename Match>
    std::uint32_t find(std::uint64_t hash, Match match) const;
    // Calls f on every record in the hash's probe sequence.
    template <typename F>
    void for_each_candidate(std::uint64_t hash, F f) const;
    void insert(std::uint64_t hash, std::uint32_t record);
    void erase(std::uint64_t hash, std::uint32_t record);
    template <typename HashOf>
    void grow_if_needed(HashOf hash_of);

   private:
    std::vector<std::uint32_t> slots_ = std::vector<std::uint32_t>(16, kEmpty);
    std::size_t used_ = 0;  // live and gone slots
  };

  static std::uint64_t hash_address(std::uint32_t a);
  static Record pack(const Lease& l, std::string_view hostname);
  static Lease unpack(const Record& r);
  std::uint32_t find_address(std::uint32_t a) const;
  void index(std::uint32_t record);
  void unindex(std::uint32_t record);

  static View view(const Record& r);

  std::vector<Record> records_;
  // Record numbers in address order, for the first `ordered_` records.
  mutable std::vector<std::uint32_t> order_;
  mutable std::size_t ordered_ = 0;
  Index by_address_;
  Index by_client_;
  std::uint64_t truncated_ = 0;
};

}  // namespace pairgate::dhcp
