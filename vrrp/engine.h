// One VRRP router for one VRID: the state machine of RFC 3768 §6.4 (version
// 2) and RFC 5798 §6.4 (version 3, IPv4 or IPv6) with time as an input. No I/O: every call returns the effects for the adapter
// (vrrp/service) to carry out, and next_deadline() says when to call
// on_timer() again.
//
// Beyond the RFC: FAULT (a tracked interface or tunnel is down; a master
// first advertises priority 0 so the peer takes over within Skew_Time),
// tracking weights on the effective priority, keepalived's preempt_delay,
// and RFC 9568 §6.4.3's repair: a master hearing a lower priority answers at
// once, so ARP caches left stale by a split brain heal (rationed per sender
// and per interval by RepairLimit, so forged adverts cannot make it an
// amplifier).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "vrrp/packet.h"
#include "vrrp/repair_limit.h"

namespace pairgate::vrrp {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

enum class State { initialize, backup, master, fault };
std::string_view to_string(State s);  // "INIT", "BACKUP", "MASTER", "FAULT"

struct InstanceConfig {
  std::string name;
  std::uint8_t version = 2;  // 2 or 3
  VrId vrid;
  Priority priority{100};
  // v2: whole seconds, 1..255 s; v3: centiseconds, 10 ms..40.95 s.
  Duration advert_interval{std::chrono::seconds(1)};
  bool preempt = true;
  Duration preempt_delay{0};
  std::vector<IpPrefix> virtual_addresses;   // advertised in order, one family (IPv4 in v2)
  std::vector<IpPrefix> excluded_addresses;  // moved with the router, not advertised
  std::vector<IpAddress> unicast_peers;      // empty: multicast
  AuthType auth_type = AuthType::none;       // v2 only
  std::array<std::uint8_t, 8> auth_data{};
};

// Effects, executed in order.
struct SendAdvert {
  Priority priority;  // 0 when resigning
};
struct AddAddresses {
  std::vector<IpPrefix> addresses;
};
struct RemoveAddresses {
  std::vector<IpPrefix> addresses;
};
struct SendGratuitousArp {
  std::vector<IpPrefix> addresses;  // ARP for IPv4, unsolicited NA for IPv6
};
struct StateChanged {
  State from;
  State to;
  std::string reason;
};
using Effect = std::variant<SendAdvert, AddAddresses, RemoveAddresses, SendGratuitousArp, StateChanged>;
using Effects = std::vector<Effect>;

struct Counters {
  std::uint64_t advert_rcvd = 0;
  std::uint64_t advert_sent = 0;      // adverts that left (on_send_result)
  std::uint64_t advert_send_err = 0;  // adverts asked for that did not leave
  std::uint64_t become_master = 0;
  std::uint64_t release_master = 0;
  std::uint64_t pri_zero_rcvd = 0;
  std::uint64_t pri_zero_sent = 0;      // priority 0 adverts that left
  std::uint64_t repair_suppressed = 0;  // lower-priority adverts left unanswered (RepairLimit)
  std::uint64_t v3_checksum_as_v2 = 0;  // v3 IPv4 adverts whose checksum left out the pseudo-header
  std::array<std::uint64_t, kDropKinds> drops{};
  std::uint64_t transitions = 0;
};

class Instance {
 public:
  // `primary` is this router's address on the interface: the adverts'
  // source and the tie-breaker of §6.4.3. RFC 3768 §5.2.2 / RFC 5798
  // §5.1.1.1: the primary IPv4 address; RFC 5798 §5.1.2.1: the interface's
  // IPv6 link-local address. An all-zero address means none.
  Instance(InstanceConfig config, IpAddress primary);

  // §6.4.1: the owner becomes master at once, any other router backup.
  Effects startup(TimePoint now);
  // §6.4.2/§6.4.3 Shutdown: a master advertises priority 0 and lets go.
  Effects shutdown(TimePoint now);
  // Runs the timer that expired, if any; harmless to call early.
  Effects on_timer(TimePoint now);
  // An advert for our VRID that passed parse_datagram().
  Effects on_advert(TimePoint now, const Received& r);
  // The adapter's report on a SendAdvert it was given: `sent` when the
  // kernel took it. Only this counts advert_sent / pri_zero_sent, or
  // advert_send_err; the state machine does not change either way.
  void on_send_result(const SendAdvert& advert, bool sent);

  // Tracking: `fault` true puts the router in FAULT, false lets it go back.
  Effects set_fault(TimePoint now, bool fault, const std::string& reason);
  // Tracking weights: effective priority = configured + delta, kept in
  // 1..254 (an owner's 255 never moves). A backup's running
  // Master_Down_Timer moves with the new Skew_Time (counted from when it was
  // armed, as if the priority had been the new one then); a master
  // advertises the new priority at once.
  Effects set_priority_delta(TimePoint now, int delta);
  // Sync groups: move to a state a group member entered.
  Effects follow(TimePoint now, State state, const std::string& reason);
  // Reload: new settings for the same VRID, keeping the state.
  Effects reconfigure(TimePoint now, InstanceConfig config);

  std::optional<TimePoint> next_deadline() const;
  State state() const { return state_; }
  Priority effective_priority() const;
  const InstanceConfig& config() const { return config_; }
  IpAddress primary() const { return primary_; }
  void set_primary(IpAddress a) { primary_ = a; }
  // The current master's address: ours while master, the last advert's
  // source while backup.
  std::optional<IpAddress> master() const;
  const Counters& counters() const { return counters_; }
  std::optional<TimePoint> last_transition() const { return last_transition_; }

  // RFC 5798 §6.1: the interval the master advertises, learned from its
  // adverts while backup (v3); the configured one otherwise (always in v2).
  Duration master_adver_interval() const { return master_adver_interval_; }

  // §6.1 timer formulas.
  // v2: ((256 - Priority) / 256) s; v3: ((256 - Priority) * Master_Adver_Interval) / 256.
  Duration skew_time() const;
  // v2: 3 * Advertisement_Interval + Skew_Time; v3: 3 * Master_Adver_Interval + Skew_Time.
  Duration master_down_interval() const;

 private:
  Effects become_master(TimePoint now, const std::string& reason);
  Effects become_backup(TimePoint now, const std::string& reason);
  Effects become_fault(TimePoint now, const std::string& reason);
  void transition(Effects& out, TimePoint now, State to, const std::string& reason);
  void send(Effects& out, Priority p);
  // §6.4.2: Master_Down_Timer := Master_Down_Interval, or Skew_Time after a
  // priority 0 advert (`resigned`), counted from `now`.
  void arm_master_down(TimePoint now, bool resigned);
  Effects drop(Drop d);
  Effects repair(TimePoint now, const IpAddress& sender);
  std::optional<Drop> check(const Received& r) const;
  bool preempt_allowed(TimePoint now) const;
  std::vector<IpPrefix> all_addresses() const;
  std::vector<IpAddress> advertised() const;

  InstanceConfig config_;
  IpAddress primary_;
  Duration master_adver_interval_;
  State state_ = State::initialize;
  int delta_ = 0;
  bool fault_ = false;
  std::optional<TimePoint> adver_timer_;
  std::optional<TimePoint> master_down_timer_;
  TimePoint master_down_armed_{};  // when master_down_timer_ was last set
  TimePoint started_{};
  std::optional<IpAddress> master_;
  bool resigned_ = false;  // the master advertised priority 0: the timer is Skew_Time
  RepairLimit repair_;
  Counters counters_;
  std::optional<TimePoint> last_transition_;
};

}  // namespace pairgate::vrrp
