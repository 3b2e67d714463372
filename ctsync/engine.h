// Conntrack state sync, the protocol core (no I/O, time as an argument,
// effects out). conntrackd's FT-FW model, done in-process:
//
// - The master streams the changes of its marked (forwarded WAN) entries:
//   kernel events go into a pending map keyed by the original tuple, so a
//   flow's NEW, UPDATEs and DESTROY within one window (`coalesce`, 5 ms)
//   travel as one change; every `refresh` it sends its whole table again
//   (the kernel refreshes an entry's timeout on each packet without an event,
//   so the backup would otherwise expire live flows).
// - The backup keeps what it receives in a cache bounded by `max_entries`,
//   each entry expiring as in the kernel (its timeout, renewed by each
//   update); a DESTROY removes it. When it (re)connects or becomes backup
//   it asks the master for a full dump.
// - At takeover (the followed VRRP instance becomes MASTER) the cache is
//   handed out to be committed to the kernel table, then emptied: from now
//   on the kernel table is the truth and this router sends.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/peer_channel.h"
#include "ctsync/entry.h"
#include "ctsync/wire.h"

namespace pairgate::ctsync {

enum class Role { backup, master };
std::string_view to_string(Role r);

// Why an entry (or, for malformed, a message) was not kept: one counter each.
enum class Drop : std::uint8_t {
  cap,         // the cache (or the send window) is full
  malformed,   // a message that does not parse
  expired,     // timed out in the cache before a takeover used it
  wrong_role,  // changes received while master (two masters: each keeps its own table)
};
inline constexpr std::size_t kDropCount = 4;
std::string_view to_string(Drop d);

struct Counters {
  std::uint64_t sent = 0;       // entries sent (changes and dumps)
  std::uint64_t received = 0;   // entries received
  std::uint64_t committed = 0;  // entries the kernel took at takeovers
  std::uint64_t commit_failed = 0;
  std::uint64_t send_refused = 0;  // entries the channel did not take (down or queue full)
  std::uint64_t dump_requests_sent = 0, dump_requests_received = 0;
  std::uint64_t refreshes = 0;
  std::uint64_t commits = 0;
  std::array<std::uint64_t, kDropCount> dropped{};
};

struct Effects {
  std::vector<std::pair<PeerMessageType, std::vector<std::byte>>> send;
  // Entries to create (or update) in the kernel table; timeouts are what is
  // left of each.
  std::optional<std::vector<Entry>> commit;
  // Read the whole (marked) kernel table and hand it to dumped().
  bool dump_kernel = false;
};

class Engine {
 public:
  struct Options {
    std::size_t max_entries = 65536;
    std::chrono::steady_clock::duration coalesce = std::chrono::milliseconds(5);
    std::chrono::steady_clock::duration refresh = std::chrono::seconds(20);
    std::chrono::steady_clock::duration sweep = std::chrono::seconds(1);
  };

  Engine(Options options, SteadyTime now);

  void set_max_entries(std::size_t n) { options_.max_entries = n; }
  // The followed VRRP instance changed state (anything but MASTER is backup).
  Effects set_role(Role role, SteadyTime now);
  Effects channel_up(SteadyTime now);
  void channel_down();
  // A kernel event of a marked entry.
  Effects local(const Change& change, SteadyTime now);
  // The kernel table, read after dump_kernel.
  Effects dumped(std::span<const Entry> entries, SteadyTime now);
  Effects message(PeerMessageType type, std::span<const std::byte> payload, SteadyTime now);
  // Expiry, the coalescing window, the refresh: call at next_wake().
  Effects tick(SteadyTime now);
  std::optional<SteadyTime> next_wake() const;

  // The adapter's outcome of a commit, or of a send the channel refused.
  void committed(std::size_t ok, std::size_t failed, std::chrono::milliseconds took);
  void refused(std::size_t entries) { counters_.send_refused += entries; }

  Role role() const { return role_; }
  bool up() const { return up_; }
  std::size_t cached() const { return cache_.size(); }
  std::size_t pending() const { return pending_.size(); }
  const Counters& counters() const { return counters_; }
  std::optional<std::chrono::milliseconds> last_commit_duration() const { return last_commit_ms_; }
  std::optional<std::size_t> last_commit_entries() const { return last_commit_entries_; }

 private:
  struct Cached {
    Entry entry;
    SteadyTime expires;
  };
  void drop(Drop why, std::uint64_t n = 1) { counters_.dropped[static_cast<std::size_t>(why)] += n; }
  void queue(const Change& c);
  void flush(Effects& out);
  void expire(SteadyTime now);
  void request_dump(Effects& out);

  Options options_;
  Role role_ = Role::backup;
  bool up_ = false;
  std::map<Key, Change> pending_;
  std::optional<SteadyTime> window_end_;
  std::map<Key, Cached> cache_;
  SteadyTime next_sweep_;
  SteadyTime next_refresh_;
  Counters counters_;
  std::optional<std::chrono::milliseconds> last_commit_ms_;
  std::optional<std::size_t> last_commit_entries_;
};

}  // namespace pairgate::ctsync
