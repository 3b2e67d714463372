// The DHCPv4 server's decisions (RFC 2131 §4.3), without I/O.
//
// handle() takes one parsed message with where it came from and returns what
// to do: a reply and how to deliver it (§4.1), a lease to commit to the
// journal before that reply may leave (with the records it retires), a
// conflict probe to run first, or the reason the message was dropped. Time
// is an input, both clocks (Time): lease expiry is wall-clock seconds, as
// leases are persisted and outlive restarts; offer holds and quarantines
// (dhcp/holds.h) are steady time, so that a step of the wall clock neither
// ends nor prolongs them. The lease store is the engine's; the service
// persists what the engine commits.
//
// Split-range safety: the engine answers for its own pools, and never NAKs a
// client it has no record of (§4.3.2 leaves that to the server that leased
// the address); it NAKs only when the address is on the wrong network or its
// own record says the address is someone else's. A lease it holds for an
// address no longer in its pools (a reload moved the split) is acknowledged
// but not extended, and then runs out.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "conf/config.h"
#include "dhcp/holds.h"
#include "dhcp/lease_store.h"
#include "dhcp/packet.h"

namespace pairgate::dhcp {

// Each reason a message gets no answer, with its counter.
enum class Drop {
  parse_error,        // the codec refused it (counted per ParseError too)
  not_request,        // op is BOOTREPLY
  no_message_type,    // BOOTP, or option 53 missing or unknown
  unknown_subnet,     // no subnet for the arrival interface or giaddr
  no_server_address,  // the subnet's interface has no address of its own yet
  other_server,       // SELECTING (or DECLINE/RELEASE) for another server
  no_record,          // INIT-REBOOT/REBINDING/RENEWING for an address we hold no lease for: the peer's client
  bad_request,        // a REQUEST that fits none of RFC 2131 Table 4's states
  pool_exhausted,     // no free address (Kea's v4-allocation-fail)
  probe_pending,      // a retransmission while the client's address is being probed
  client_mismatch,    // RELEASE/DECLINE naming an address the client does not hold bound
  not_in_pools,       // a lease outside this host's pools (the split moved) that has run out
  relay_not_unicast,  // giaddr of a relayed subnet, but not sent to an address of this host (relays unicast)
  relay_hops,         // giaddr set, hops above 16 (RFC 1542 §4.1.1)
  relay_interface,    // giaddr's subnet is served on another interface than the one it arrived on
  relay_unknown,      // the subnet names its relays, and the IP source is none of them
};
std::string_view to_string(Drop d);
inline constexpr std::size_t kDropCount = 16;

// RFC 2131 §4.1: how a reply reaches the client.
enum class Delivery {
  relay,           // to giaddr, port 67
  unicast,         // to ciaddr, port 68, through the kernel's ARP
  broadcast,       // 255.255.255.255, port 68
  unicast_chaddr,  // to yiaddr at chaddr, port 68, without ARP (AF_PACKET)
};

struct Inbound {
  Message message;
  std::string interface;          // where it arrived
  Ipv4Address source;             // IP source
  Ipv4Address destination;        // IP destination: 255.255.255.255 or one of ours
  bool to_us = false;             // `destination` is an address of this host (not a broadcast)
};

struct Reply {
  Message message;
  Delivery delivery = Delivery::broadcast;
  Ipv4Address to;                 // giaddr, ciaddr or yiaddr
  std::optional<MacAddress> to_mac;
  Ipv4Address from;               // the server identifier
  std::string interface;          // where to send it from
  std::size_t max_size = kMinMessage - kIpUdpHeaders;  // of the DHCP message
};

struct Probe {
  std::uint64_t id = 0;
  Ipv4Address address;
  conf::ConflictCheck method = conf::ConflictCheck::arp;  // arp or icmp
  std::string interface;
  Ipv4Address source;             // our address, for ICMP
};

// Time as the engine reads it (time is an input): `wall` for what is
// persisted and outlives a restart (lease expiry: seconds since the epoch),
// `steady` for what lives in memory only (offer holds, quarantines), so that
// a step of the wall clock (NTP, `date`) makes them neither stale at once
// nor eternal.
struct Time {
  std::int64_t wall = 0;
  std::chrono::steady_clock::time_point steady{};
};

struct Outcome {
  std::optional<Reply> reply;
  std::optional<Lease> commit;    // persist before sending the reply
  // What the store held for commit->address before (nullopt: nothing), so
  // that a commit that cannot be persisted is undone with undo().
  std::optional<Lease> previous;
  // Other records the commit changes, persisted in the same batch and undone
  // with it (newest first): a client holds one lease per subnet, so the
  // address it had there before is retired when another is committed.
  struct Change {
    Lease lease;
    std::optional<Lease> previous;
  };
  std::vector<Change> retired;
  std::optional<Probe> probe;
  std::optional<Drop> drop;
  std::string note;               // what happened, for the debug log
};

struct Counters {
  std::uint64_t received = 0, discover = 0, request = 0, decline = 0, release = 0, inform = 0;
  std::uint64_t offer_sent = 0, ack_sent = 0, nak_sent = 0;
  std::uint64_t ack_unextended = 0;  // ACKs of a lease outside our pools, not extended (counted in ack_sent too)
  std::uint64_t hostname_truncated = 0, client_id_truncated = 0;
  std::uint64_t declined_addresses = 0, conflicts = 0, reclaimed = 0, reclaimed_declined = 0;
  std::array<std::uint64_t, kDropCount> drops{};
  std::map<std::string, std::uint64_t> parse_errors;
};

class Engine {
 public:
  // How long an offered address is held for the client's REQUEST, and how
  // long a declined or conflicting address stays out of use.
  static constexpr std::chrono::seconds kOfferHold{60};
  static constexpr std::chrono::seconds kOfferStale{10};  // an offer older than this may go to another client
  static constexpr std::chrono::seconds kQuarantine{3600};
  static constexpr int kMaxProbes = 3;  // addresses tried for one DISCOVER

  explicit Engine(conf::Dhcp config);

  // Replaces the configuration; leases are kept.
  void configure(conf::Dhcp config);
  const conf::Dhcp& config() const { return config_; }

  // This host's own address on a subnet's interface: the server identifier
  // (never a VRRP virtual address). nullopt: the subnet is not served.
  void set_server_address(std::size_t subnet, std::optional<Ipv4Address> address);
  std::optional<Ipv4Address> server_address(std::size_t subnet) const;

  Outcome handle(const Inbound& in, Time now);
  // A probe's answer: `conflict` when someone else uses the address.
  Outcome probe_result(std::uint64_t id, bool conflict, Time now);
  // A commit that did not reach the disk is taken back: the record returns
  // to `previous`, or (none) becomes a short hold for the same client, who
  // will ask again. Undo in the reverse order of the commits.
  void undo(const Lease& commit, const std::optional<Lease>& previous, Time now);
  // Leases that ran out (wall clock) are reclaimed, and holds that ran out
  // (steady clock) end: returns how many leases.
  std::size_t reclaim(Time now);
  // A record from the lease file: into the store; a declined one is
  // quarantined for what is left of it, at most kQuarantine.
  void adopt(const Lease& lease, Time now);

  // Lease sync (core/lease_sync.h). On: a live binding the store holds for
  // a client, whatever its origin and whichever pool its address is in, is
  // renewed, rebound and confirmed (INIT-REBOOT) with the same address and
  // offered again to its client; new addresses still come only from this
  // host's pools. Off (no peer): a binding outside the pools is
  // acknowledged unextended, as after a reload moved the split.
  void set_lease_sync(bool on) { lease_sync_ = on; }
  // Whether a served message's Outcome carries its note (only the debug log
  // shows it; building it costs allocations and formatting per message).
  // A dropped message's note is always there: warnings quote it.
  void set_notes(bool on) { notes_ = on; }
  bool lease_sync() const { return lease_sync_; }
  // The peer's record (origin peer), by the conflict rule (supersedes():
  // the later cltt wins): the record as now stored when it replaced what
  // the store held (the caller persists it), else nullopt.
  std::optional<Lease> apply_peer(const Lease& lease, Time now);

  LeaseStore& store() { return store_; }
  const Holds& holds() const { return holds_; }
  const LeaseStore& store() const { return store_; }
  Counters& counters() { return counters_; }
  const Counters& counters() const { return counters_; }
  std::size_t probes_pending() const { return probes_.size(); }

  // Addresses of the subnet's pools in use at `now` (held by a lease, an
  // offer or a quarantine).
  std::vector<std::size_t> pool_usage(std::size_t subnet, Time now) const;
  // Bound leases at `wall` (seconds since the epoch).
  std::size_t active_leases(std::int64_t wall) const;

 private:
  struct Subnet {
    std::optional<Ipv4Address> server;
    std::uint64_t pool_size = 0;
  };
  struct PendingProbe {
    Inbound in;
    std::size_t subnet = 0;
    ClientKey client;
    Ipv4Address address;
    int attempts = 0;
  };

  std::optional<std::size_t> select_subnet(const Inbound& in) const;
  ClientKey client_key(const Message& m) const;
  const conf::Reservation* reservation_for(std::size_t subnet, const Message& m) const;
  bool reserved_for_other(std::size_t subnet, Ipv4Address a, const Message& m) const;
  bool in_pools(std::size_t subnet, Ipv4Address a) const;
  bool probing(Ipv4Address a) const;
  bool is_ours(Ipv4Address server_id) const;
  // Someone else has `a` at `now`: a quarantine, another client's offer or
  // bound lease.
  bool taken(Ipv4Address a, const ClientKey& client, Time now) const;
  bool taken_by_lease(Ipv4Address a, const ClientKey& client, Time now) const;
  bool free_for(std::size_t subnet, Ipv4Address a, const ClientKey& client, const Message& m, Time now) const;
  std::optional<Ipv4Address> choose_address(std::size_t subnet, const ClientKey& client, const Message& m,
                                            Time now) const;
  void quarantine(Ipv4Address a, Time now);
  std::uint32_t lease_seconds(std::size_t subnet, const Message& m) const;

  Outcome discover(const Inbound& in, std::size_t subnet, Time now, int attempts = 1);
  Outcome offer(const Inbound& in, std::size_t subnet, const ClientKey& client, Ipv4Address a, Time now);
  Outcome request(const Inbound& in, std::size_t subnet, Time now);
  Outcome request_in(const Inbound& in, std::size_t subnet, Time now, std::string_view& state);
  Outcome ack(const Inbound& in, std::size_t subnet, const ClientKey& client, Ipv4Address a, Time now);
  // An ACK that does not extend `lease` (no commit): what is left of it.
  Outcome ack_unextended(const Inbound& in, std::size_t subnet, const Lease& lease, Time now);
  Outcome nak(const Inbound& in, std::size_t subnet, std::string_view why);
  Outcome decline(const Inbound& in, std::size_t subnet, Time now);
  Outcome release(const Inbound& in, std::size_t subnet, Time now);
  Outcome inform(const Inbound& in, std::size_t subnet);
  Outcome dropped(Drop d, std::string note = {});

  Message reply_to(const Message& request, MessageType type, Ipv4Address server) const;
  void add_options(Message& reply, const Message& request, std::size_t subnet, std::optional<std::uint32_t> lease,
                   const std::string& hostname) const;
  Reply deliver(const Inbound& in, Message reply, Ipv4Address server) const;
  Ipv4Address server_for(const Inbound& in, std::size_t subnet) const;

  conf::Dhcp config_;
  std::vector<Subnet> subnets_;
  LeaseStore store_;
  Holds holds_;
  Counters counters_;
  std::unordered_map<std::uint64_t, PendingProbe> probes_;
  std::uint64_t next_probe_ = 1;
  bool lease_sync_ = false;
  bool notes_ = true;
};

}  // namespace pairgate::dhcp
