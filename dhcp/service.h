// The DHCPv4 module: the engine (dhcp/engine.h) on the event loop, with its
// sockets, conflict probes and lease journal.
//
// Serves from start-up, whatever the VRRP state (each router of the pair
// serves its own half of the range, as the seed's split ranges did). An ACK
// leaves only after the lease it grants is on disk: replies that commit a
// lease wait for their journal batch. While the disk fails, requests that
// would commit a lease go unanswered (counted, logged, in status) until a
// retry of the journal succeeds; the clients retransmit.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json_fwd.hpp>

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "conf/config.h"
#include "core/module.h"
#include "core/netlink.h"
#include "dhcp/engine.h"
#include "dhcp/journal.h"
#include "dhcp/prober.h"
#include "dhcp/transport.h"

namespace pairgate::dhcp {

class Service final : public Module {
 public:
  explicit Service(ModuleContext ctx);
  ~Service() override;
  std::string_view name() const override { return "dhcp"; }
  void start(const conf::Config& config) override;
  void reload(const conf::Config& config, const conf::ConfigDiff& diff) override;
  void stop(std::function<void()> done) override;
  void status(nlohmann::json& out) const override;

  // `pairgatectl leases`: an array of {address, hw_address, client_id, hostname, expires, ...}.
  nlohmann::json leases() const;

 private:
  struct Link {
    int ifindex = 0;
    MacAddress mac;
    std::unique_ptr<ServerSocket> socket;
    std::string error;  // why it is not serving
  };
  struct Held {
    std::uint64_t batch;
    std::optional<Reply> reply;
    Lease commit;
    std::optional<Lease> previous;
    std::vector<Outcome::Change> retired;
  };

  static Time now();
  void apply(const conf::Config& config);
  void open_links();
  void refresh_addresses();
  void receive(const std::string& interface, const Datagram& d);
  void execute(Outcome outcome);
  void send(const Reply& reply);
  void undo(const Lease& commit, const std::optional<Lease>& previous, const std::vector<Outcome::Change>& retired);
  void batch_done(std::uint64_t batch, std::error_code ec);
  void schedule_reclaim();
  void schedule_disk_retry();
  std::string snapshot() const;

  ModuleContext ctx_;
  conf::Dhcp config_;
  std::vector<IpPrefix> virtual_addresses_;  // VRRP's: never a server identifier
  std::set<Ipv4Address> local_;              // this host's IPv4 addresses
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<Prober> prober_;
  std::map<std::string, Link> links_;
  std::deque<Held> held_;
  std::optional<Netlink::SubscriptionId> subscription_;
  boost::asio::steady_timer reclaim_timer_;
  boost::asio::steady_timer disk_timer_;
  bool refresh_posted_ = false;
  bool stopping_ = false;
  std::uint64_t sent_ = 0, send_errors_ = 0, withheld_ = 0;
  std::size_t loaded_ = 0, damaged_records_ = 0, truncated_records_ = 0;
  std::uint64_t unanswered_ = 0;
  std::chrono::steady_clock::time_point next_unanswered_log_{};
  bool torn_tail_ = false;
};

}  // namespace pairgate::dhcp
