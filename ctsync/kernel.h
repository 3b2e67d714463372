// The kernel's conntrack table through libnetfilter_conntrack (the library
// made for ctnetlink: Debian's libnetfilter-conntrack-dev, conntrackd's own):
// the event socket on the loop, and the blocking table dump and commit that
// the service runs on a helper thread, each with a handle of its own.
//
// Only IPv4 TCP/UDP/ICMP entries carrying conf::kStateSyncMark are seen.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ctsync/engine.h"

struct nfct_handle;
struct nf_conntrack;
struct nlmsghdr;

namespace pairgate::ctsync {

// An entry of ours (marked, IPv4, TCP/UDP/ICMP), or nullopt.
std::optional<Entry> from_kernel(const nf_conntrack* ct);

// NEW / UPDATE / DESTROY events of marked entries, read on the loop.
class EventSocket {
 public:
  using OnChange = std::function<void(const Change&)>;
  using OnOverflow = std::function<void()>;  // ENOBUFS: events were lost
  EventSocket(boost::asio::io_context& io, OnChange on_change, OnOverflow on_overflow);
  ~EventSocket();
  // Throws std::runtime_error when the socket cannot be opened (no
  // CAP_NET_ADMIN, no nf_conntrack_netlink).
  void open();
  std::uint64_t events() const { return events_; }
  std::uint64_t overflows() const { return overflows_; }
  // From the library's callback.
  void deliver(bool destroyed, const nf_conntrack* ct);

 private:
  void wait();
  void drain();

  boost::asio::io_context& io_;
  OnChange on_change_;
  OnOverflow on_overflow_;
  nfct_handle* handle_ = nullptr;
  std::unique_ptr<boost::asio::posix::stream_descriptor> fd_;
  std::uint64_t events_ = 0, overflows_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// Blocking; call off the loop. The entries of ours (from_kernel), at most
// max_entries.
std::expected<std::vector<Entry>, std::string> dump_table(std::size_t max_entries);

// The dump behind dump_table, for other readers of the table (the MAP-E
// port-set use, firewall/map_usage): calls visit for every IPv4 entry,
// marked or not, with the ctnetlink message it came in. Blocking; call off
// the loop; visit must not keep the pointers.
using Visit = std::function<void(const nlmsghdr* message, const nf_conntrack* ct)>;
std::expected<void, std::string> for_each_entry(const Visit& visit);

// Deletes the entries `pick` chooses (one dump, then one delete each, on
// another handle: a dump cannot be interrupted by requests). An entry that
// is gone by its turn counts as deleted. At most kMaxDestroy per call.
// Blocking; call off the loop.
using Pick = std::function<bool(const nlmsghdr* message, const nf_conntrack* ct)>;
inline constexpr std::size_t kMaxDestroy = 262144;
struct DestroyResult {
  std::size_t deleted = 0, failed = 0;
  bool truncated = false;  // more than kMaxDestroy were picked
  std::string first_error;
};
std::expected<DestroyResult, std::string> destroy_entries(const Pick& pick);

struct CommitResult {
  std::size_t ok = 0, failed = 0;
  std::size_t replaced = 0;  // of ok: put in place of an entry with another mapping
  std::string first_error;
  std::chrono::milliseconds took{0};
};
CommitResult commit_entries(std::span<const Entry> entries);

}  // namespace pairgate::ctsync
