// The DHCPv4 module: the engine (dhcp/engine.h) on the event loop, with its
// sockets, conflict probes and lease journal.
//
// Serves from start-up, whatever the VRRP state (each router of the pair
// serves its own half of the range, as the seed's split ranges did). An ACK
// leaves only after the lease it grants is on disk: replies that commit a
// lease wait for their journal batch, and a batch that fails takes its
// commits back (no ACK leaves). While the lease file cannot be written — a
// failing or full disk, or a file that cannot be opened at all (a read-only
// mount, a directory in its place, EACCES) — requests that would commit a
// lease go unanswered (counted, logged, in status) and the file is retried
// every second until it works; the clients retransmit. A broken lease file
// never keeps the daemon (VRRP included) from starting.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json_fwd.hpp>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "conf/config.h"
#include "core/lease_sync.h"
#include "core/metrics.h"
#include "core/module.h"
#include "core/netlink.h"
#include "dhcp/engine.h"
#include "dhcp/journal.h"
#include "dhcp/pool_watch.h"
#include "dhcp/prober.h"
#include "dhcp/transport.h"

namespace pairgate::dhcp {

// Lease sync (core/lease_sync.h): as a LeaseSource it reports each durable
// journal batch's local changes (ACK, release, decline, retirements) after
// the batch's fdatasync, once per batch, while the replies leave at the same
// moment (the peer never delays an ACK); as a LeaseSink it applies the
// peer's records by the conflict rule and journals the winners with origin
// peer. Expiry is not sent: both routers reclaim by the same clock.
class Service final : public Module, public LeaseSource, public LeaseSink {
 public:
  // What the service does its I/O and reads its clocks with; system() is the
  // real thing, tests pass doubles.
  struct Backends {
    // Port 67 on an interface; throws std::system_error when it cannot.
    std::function<std::unique_ptr<Transport>(boost::asio::io_context&, const std::string& interface, int ifindex)>
        open_socket;
    // Reads the lease file (Journal::load); throws std::runtime_error when
    // it exists but cannot be read.
    std::function<Journal::Loaded(const std::string& path)> load;
    // Opens the lease file for writing (Journal); throws std::runtime_error
    // when it cannot.
    std::function<std::unique_ptr<LeaseJournal>(boost::asio::io_context&, const std::string& path, Journal::Snapshot,
                                                Journal::BatchDone, bool start_clean)>
        open_journal;
    std::function<Time()> clock;
    // How often an unusable lease file is tried again.
    std::chrono::steady_clock::duration retry_every = std::chrono::seconds(1);

    static Backends system();
  };

  // A page of `leases` holds at most this many.
  static constexpr std::size_t kMaxPage = 1000;

  explicit Service(ModuleContext ctx, Backends backends = Backends::system());
  ~Service() override;
  std::string_view name() const override { return "dhcp"; }
  void start(const conf::Config& config) override;
  void reload(const conf::Config& config, const conf::ConfigDiff& diff) override;
  void stop(std::function<void()> done) override;
  void status(nlohmann::json& out) const override;

  // `pairgatectl leases`: an array of every bound and quarantined address,
  // {address, state, hw_address, client_id, hostname, expires,
  // expires_in_s, origin}, in address order.
  nlohmann::json leases() const;
  // One page of the same: {"total": N, "offset": O, "limit": L, "leases":
  // [...]}, where N counts every entry that matches `query` (a
  // case-insensitive substring of address, hw_address, client_id or
  // hostname; empty: all) and `leases` holds those from the O-th on, at most
  // L = min(limit, kMaxPage). Costs one walk of the store's address order
  // (no copies, no sort) plus the page's JSON.
  nlohmann::json leases(std::size_t offset, std::size_t limit, std::string_view query) const;

  // LeaseSource. The snapshot's cursor is the next address (as a number) to
  // read from: records added meanwhile are not lost or repeated.
  void subscribe_durable(Listener listener) override { durable_listener_ = std::move(listener); }
  std::optional<std::size_t> snapshot(std::size_t cursor, std::size_t max,
                                      std::vector<LeaseRecord>& out) const override;
  // LeaseSink.
  void apply(std::span<const LeaseRecord> records, std::function<void()> durable) override;

 private:
  struct Link {
    int ifindex = 0;
    MacAddress mac;
    std::optional<Ipv4Address> own;  // this host's address there (a shared server identifier is not sent from)
    std::unique_ptr<Transport> socket;
    std::string error;  // why it is not serving
  };
  struct Held {
    std::uint64_t batch;
    std::optional<Reply> reply;
    Lease commit;
    std::optional<Lease> previous;
    std::vector<Outcome::Change> retired;
  };

  Time now() const { return backends_.clock(); }
  void apply(const conf::Config& config);
  void open_links();
  void refresh_addresses();
  void open_lease_file();
  void lease_file_unusable(const std::string& why);
  void receive(const std::string& interface, const Datagram& d);
  void execute(Outcome outcome);
  // Queues the reply; it leaves when the outermost SendScope ends (at once
  // outside any).
  void send(const Reply& reply);
  // Replies sent within one scope leave in one Transport::send_batch per
  // interface (sendmmsg): a receive batch's OFFERs, a journal batch's ACKs.
  class SendScope {
   public:
    explicit SendScope(Service& s) : s_(s) { ++s_.send_depth_; }
    ~SendScope() {
      if (--s_.send_depth_ == 0) s_.flush();
    }
    SendScope(const SendScope&) = delete;
    SendScope& operator=(const SendScope&) = delete;

   private:
    Service& s_;
  };
  void flush();
  void count_send_error(const std::string& interface, Ipv4Address to, std::error_code ec);
  void undo(const Lease& commit, const std::optional<Lease>& previous, const std::vector<Outcome::Change>& retired);
  void batch_done(std::uint64_t batch, std::error_code ec);
  void schedule_reclaim();
  void schedule_disk_retry();
  std::string snapshot() const;
  // Calls f on each lease `leases` lists, in address order, until it
  // returns false.
  void for_each_listed(std::string_view query, const std::function<bool(const LeaseStore::View&)>& f) const;
  nlohmann::json to_json(const LeaseStore::View& l, std::int64_t wall) const;
  std::uint64_t receive_errors() const;

  // What status() shows, as metrics (dhcp/metrics.h).
  void collect(MetricSet& out) const;
  // Each subnet's addresses in use and in its pools (a walk of the leases).
  std::vector<PoolWatch::SubnetUse> subnet_use() const;

  ModuleContext ctx_;
  Backends backends_;
  PoolWatch pool_watch_;
  MetricsRegistry::Id metrics_id_ = 0;
  conf::Dhcp config_;
  std::vector<IpPrefix> virtual_addresses_;  // VRRP's: never a server identifier
  std::set<Ipv4Address> local_;              // this host's IPv4 addresses
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<LeaseJournal> journal_;    // null while the lease file cannot be opened
  std::unique_ptr<Prober> prober_;
  std::map<std::string, Link> links_;
  std::deque<Held> held_;
  // The peer's records, each call's `durable` with the batch it waits for
  // (0: none, it waits only for the calls before it).
  struct PeerHeld {
    std::uint64_t batch;
    std::function<void()> durable;
  };
  std::deque<PeerHeld> peer_held_;
  Listener durable_listener_;
  std::uint64_t peer_applied_ = 0, peer_refused_ = 0;
  void finish_peer(std::uint64_t batch);
  std::optional<Netlink::SubscriptionId> subscription_;
  boost::asio::steady_timer reclaim_timer_;
  boost::asio::steady_timer disk_timer_;
  bool refresh_posted_ = false;
  bool stopping_ = false;
  std::uint64_t sent_ = 0, send_errors_ = 0, withheld_ = 0;
  // Replies waiting for the end of their SendScope; their bytes in
  // `out_buffers_` (kept across batches: no allocation once grown).
  struct Queued {
    std::string interface;
    std::size_t buffer;
    Outgoing out;
  };
  std::vector<Queued> out_queue_;
  std::vector<std::vector<std::byte>> out_buffers_;
  std::vector<Outgoing> out_batch_;
  Encoded encoded_;  // build()'s scratch
  int send_depth_ = 0;
  std::uint64_t receive_errors_closed_ = 0;  // of sockets closed since
  // The lease file: read once it can be; why it cannot be used, if so.
  bool loaded_file_ = false;
  bool start_clean_ = true;
  std::string lease_file_error_;
  std::size_t loaded_ = 0, damaged_records_ = 0, truncated_records_ = 0;
  std::uint64_t unanswered_ = 0;
  std::chrono::steady_clock::time_point next_unanswered_log_{};
  bool torn_tail_ = false;
};

}  // namespace pairgate::dhcp
