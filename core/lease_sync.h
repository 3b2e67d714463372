// DHCP lease sync as a plain fact between two modules: the DHCP server
// produces durable lease changes and applies what the other router sent;
// the peer module carries them. Neither includes the other; app/daemon.cc
// binds the DHCP module's LeaseSource and LeaseSink to the peer module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/address.h"

namespace pairgate {

enum class LeaseRecordState : std::uint8_t { leased = 1, released = 2, expired = 3, declined = 4 };

// One binding as both routers store it. Times are wall-clock seconds since
// the epoch (leases outlive restarts; the two hosts' clocks are assumed to
// agree within a second or two, as NTP keeps them).
struct LeaseRecord {
  Ipv4Address address;
  LeaseRecordState state = LeaseRecordState::leased;
  std::int64_t cltt = 0;     // client last transaction time: when the server last heard the client
  std::int64_t expires = 0;  // the binding (or quarantine) ends
  std::optional<MacAddress> hw_address;
  std::string client;        // the client key's stored form (dhcp::ClientKey::bytes()), at most 256 bytes
  std::string hostname;      // at most 255 bytes
  bool operator==(const LeaseRecord&) const = default;
};

inline constexpr std::size_t kMaxLeaseClientBytes = 256;
inline constexpr std::size_t kMaxLeaseHostnameBytes = 255;

// The conflict rule, the same on both routers: of two records for one
// address, the one with the later client-last-transaction time wins. Equal
// times are broken by the records' content, so both routers choose the
// same one whatever the order they saw them in. True when `incoming` must
// replace `current`; false for identical records.
bool supersedes(const LeaseRecord& incoming, const LeaseRecord& current);

// The DHCP server's side as a producer.
class LeaseSource {
 public:
  // Each batch of local lease changes (ACK, release, decline, ...) once it
  // is on disk, in journal order: one call per durable batch, after the
  // fdatasync. Never the records that came from the peer.
  using Listener = std::function<void(std::span<const LeaseRecord>)>;
  virtual ~LeaseSource() = default;
  virtual void subscribe_durable(Listener listener) = 0;
  // Every record the server holds (bindings of both routers, releases,
  // quarantines; never an offer in progress), read in pieces for a full
  // exchange: appends at most `max` records from `cursor` on to `out` and
  // returns the cursor to continue from, or nullopt when there is no more.
  // Cursor 0 is the start. Records changed while a read is under way may
  // show in their old or new form; the change itself follows as a batch.
  virtual std::optional<std::size_t> snapshot(std::size_t cursor, std::size_t max,
                                              std::vector<LeaseRecord>& out) const = 0;
};

// The DHCP server's side as a consumer.
class LeaseSink {
 public:
  virtual ~LeaseSink() = default;
  // The peer's records, in the order it sent them: each is applied by the
  // conflict rule (supersedes) and the winners are journaled with origin
  // "peer". `durable` runs on the loop once every record of this call is on
  // disk (at once when none needed writing), calls in the order made.
  virtual void apply(std::span<const LeaseRecord> records, std::function<void()> durable) = 0;
};

}  // namespace pairgate
