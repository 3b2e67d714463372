#include "vrrp/engine.h"

#include <algorithm>

namespace pairgate::vrrp {

using namespace std::chrono_literals;

std::string_view to_string(State s) {
  switch (s) {
    case State::initialize: return "INIT";
    case State::backup: return "BACKUP";
    case State::master: return "MASTER";
    case State::fault: return "FAULT";
  }
  return "?";
}

Instance::Instance(InstanceConfig config, IpAddress primary)
    : config_(std::move(config)), primary_(primary), master_adver_interval_(config_.advert_interval) {}

Priority Instance::effective_priority() const {
  if (config_.priority.owner()) return config_.priority;
  return Priority{static_cast<std::uint8_t>(std::clamp(int{config_.priority.value} + delta_, 1, 254))};
}

// RFC 3768 §6.1: Skew_Time = ((256 - Priority) / 256) seconds.
// RFC 5798 §6.1: Skew_Time = (((256 - priority) * Master_Adver_Interval) / 256).
// In whole microseconds, as keepalived counts them.
Duration Instance::skew_time() const {
  const std::int64_t base = config_.version == 3
                                ? std::chrono::duration_cast<std::chrono::microseconds>(master_adver_interval_).count()
                                : 1'000'000;
  return std::chrono::duration_cast<Duration>(std::chrono::microseconds((256 - effective_priority().value) * base / 256));
}

// RFC 3768 §6.1: Master_Down_Interval = (3 * Advertisement_Interval) + Skew_time.
// RFC 5798 §6.1: Master_Down_Interval = (3 * Master_Adver_Interval) + Skew_time.
Duration Instance::master_down_interval() const { return 3 * master_adver_interval_ + skew_time(); }

std::optional<TimePoint> Instance::next_deadline() const {
  if (state_ == State::master) return adver_timer_;
  if (state_ == State::backup) return master_down_timer_;
  return std::nullopt;
}

std::optional<IpAddress> Instance::master() const {
  if (state_ == State::master) return primary_;
  if (state_ == State::backup) return master_;
  return std::nullopt;
}

std::vector<IpPrefix> Instance::all_addresses() const {
  auto out = config_.virtual_addresses;
  out.insert(out.end(), config_.excluded_addresses.begin(), config_.excluded_addresses.end());
  return out;
}

std::vector<IpAddress> Instance::advertised() const {
  std::vector<IpAddress> out;
  for (const auto& p : config_.virtual_addresses) out.push_back(p.address());
  return out;
}

void Instance::transition(Effects& out, TimePoint now, State to, const std::string& reason) {
  const State from = state_;
  state_ = to;
  ++counters_.transitions;
  last_transition_ = now;
  if (to == State::master) ++counters_.become_master;
  if (from == State::master) ++counters_.release_master;
  out.push_back(StateChanged{from, to, reason});
}

void Instance::send(Effects& out, Priority p) { out.push_back(SendAdvert{p}); }

void Instance::on_send_result(const SendAdvert& advert, bool sent) {
  if (!sent) {
    ++counters_.advert_send_err;
    return;
  }
  ++counters_.advert_sent;
  if (advert.priority.stopping()) ++counters_.pri_zero_sent;
}

void Instance::arm_master_down(TimePoint now, bool resigned) {
  resigned_ = resigned;
  master_down_armed_ = now;
  master_down_timer_ = now + (resigned ? skew_time() : master_down_interval());
}

Effects Instance::become_master(TimePoint now, const std::string& reason) {
  Effects out;
  if (state_ == State::master) return out;
  transition(out, now, State::master, reason);
  // §6.4.1 / §6.4.2: send an advert, announce the addresses, arm Adver_Timer.
  out.push_back(AddAddresses{all_addresses()});
  send(out, effective_priority());
  out.push_back(SendGratuitousArp{all_addresses()});
  master_down_timer_.reset();
  adver_timer_ = now + config_.advert_interval;
  return out;
}

Effects Instance::become_backup(TimePoint now, const std::string& reason) {
  Effects out;
  if (state_ == State::backup) return out;
  const bool was_master = state_ == State::master;
  // RFC 5798 §6.4.1: "Set Master_Adver_Interval to Advertisement_Interval"
  // (a master yielding to an advert sets it from the advert after this).
  master_adver_interval_ = config_.advert_interval;
  transition(out, now, State::backup, reason);
  if (was_master) out.push_back(RemoveAddresses{all_addresses()});
  adver_timer_.reset();
  arm_master_down(now, false);
  return out;
}

Effects Instance::become_fault(TimePoint now, const std::string& reason) {
  Effects out;
  if (state_ == State::fault) return out;
  const bool was_master = state_ == State::master;
  transition(out, now, State::fault, reason);
  if (was_master) {
    // Resign first, so the backup takes over after Skew_Time (§6.4.2)
    // instead of Master_Down_Interval.
    send(out, Priority{Priority::kStop});
    out.push_back(RemoveAddresses{all_addresses()});
  }
  adver_timer_.reset();
  master_down_timer_.reset();
  master_.reset();
  return out;
}

Effects Instance::startup(TimePoint now) {
  started_ = now;
  if (fault_) return become_fault(now, "a tracked interface or tunnel is down");
  // §6.4.1: "If the Priority = 255 ... transition to the Master state", else Backup.
  if (config_.priority.owner()) return become_master(now, "address owner (priority 255)");
  return become_backup(now, "startup");
}

Effects Instance::shutdown(TimePoint now) {
  Effects out;
  const bool was_master = state_ == State::master;
  if (state_ == State::initialize) return out;
  // §6.4.3 Shutdown: cancel the timer, send an advert with priority 0.
  if (was_master) send(out, Priority{Priority::kStop});
  transition(out, now, State::initialize, "shutdown");
  if (was_master) out.push_back(RemoveAddresses{all_addresses()});
  adver_timer_.reset();
  master_down_timer_.reset();
  return out;
}

Effects Instance::on_timer(TimePoint now) {
  if (state_ == State::master && adver_timer_ && *adver_timer_ <= now) {
    Effects out;
    send(out, effective_priority());
    // Keep the cadence unless the loop fell a whole interval behind.
    auto next = *adver_timer_ + config_.advert_interval;
    adver_timer_ = next > now ? next : now + config_.advert_interval;
    return out;
  }
  if (state_ == State::backup && master_down_timer_ && *master_down_timer_ <= now) {
    // §6.4.2: "If the Master_Down_timer fires ... Transition to the Master state".
    return become_master(now, resigned_ ? "the master resigned (priority 0) and none took over within Skew_Time"
                                        : "no advert within Master_Down_Interval");
  }
  return {};
}

Effects Instance::drop(Drop d) {
  ++counters_.drops[static_cast<std::size_t>(d)];
  return {};
}

// An immediate answer to `sender` (and Adver_Timer reset), unless
// RepairLimit says it has had its share; then only counted.
Effects Instance::repair(TimePoint now, const IpAddress& sender) {
  if (!repair_.admit(now, sender, config_.advert_interval)) {
    ++counters_.repair_suppressed;
    return {};
  }
  Effects out;
  send(out, effective_priority());
  adver_timer_ = now + config_.advert_interval;
  return out;
}

bool Instance::preempt_allowed(TimePoint now) const {
  return config_.preempt && now >= started_ + config_.preempt_delay;
}

// The receive checks of §7.1 that need the configuration, in the RFC's
// order; nullopt when the advert is to be processed.
std::optional<Drop> Instance::check(const Received& r) const {
  const Advert& a = r.advert;
  if (r.source == primary_) return Drop::own_advert;
  // §7.1: "MUST verify the VRRP version" (the one this router speaks).
  if (a.version != config_.version || r.source.family() != primary_.family()) return Drop::version_err;
  // Unicast peers (keepalived's unicast_peer): only the listed senders
  // count, whatever the TTL (a unicast advert may have been routed).
  // Without them, a unicast advert needs TTL 255 like a multicast one.
  if (!config_.unicast_peers.empty()) {
    if (std::find(config_.unicast_peers.begin(), config_.unicast_peers.end(), r.source) == config_.unicast_peers.end()) {
      return Drop::unicast_src_err;
    }
  } else if (r.hop_limit != kTtl) {
    return Drop::ip_ttl_err;
  }
  // §7.1: the address owner discards adverts for its VRID.
  if (config_.priority.owner()) return Drop::owner_advert_rcvd;
  if (config_.version == 2) {
    // RFC 3768 §7.1: "MUST perform authentication specified by Auth Type" (RFC 2338 §5.3.6).
    if (a.auth_type != config_.auth_type) return Drop::authtype_mismatch;
    if (a.auth_type == AuthType::simple && a.auth_data != config_.auth_data) return Drop::auth_failure;
    // RFC 3768 §7.1: "MUST verify that the Adver Interval in the ADVERTISEMENT
    // packet is the same as the Adver Interval configured for the local virtual router."
    if (a.interval != config_.advert_interval) return Drop::advert_interval_err;
  } else {
    // RFC 5798 §6.4.2 learns Master_Adver_Interval from the advert: 0 would
    // make Master_Down_Interval Skew_Time alone.
    if (a.interval.count() == 0) return Drop::advert_interval_err;
    // RFC 9568 §5.2.5 (erratum 8299): a count of 0 "MUST be ignored".
    if (a.addresses.empty()) return Drop::addr_list_err;
  }
  return std::nullopt;
}

Effects Instance::on_advert(TimePoint now, const Received& r) {
  const Advert& a = r.advert;
  ++counters_.advert_rcvd;
  if (auto d = check(r)) return drop(*d);
  if (r.checksum_as_v2) ++counters_.v3_checksum_as_v2;
  // §7.1: a differing address list is logged; RFC 3768 then drops it unless
  // the sender is the owner (priority 255), RFC 5798 goes on.
  auto ours = advertised();
  auto theirs = a.addresses;
  std::sort(ours.begin(), ours.end());
  std::sort(theirs.begin(), theirs.end());
  if (ours != theirs) {
    ++counters_.drops[static_cast<std::size_t>(Drop::addr_list_err)];
    if (config_.version == 2 && !a.priority.owner()) return {};
  }
  if (a.priority.stopping()) ++counters_.pri_zero_rcvd;

  const Priority local = effective_priority();
  if (state_ == State::backup) {
    if (a.priority.stopping()) {
      // §6.4.2: "Set the Master_Down_Timer to Skew_Time".
      arm_master_down(now, true);
      master_.reset();
      return {};
    }
    if (!preempt_allowed(now) || a.priority >= local) {
      // RFC 5798 §6.4.2: "Set Master_Adver_Interval to Adver Interval
      // contained in the ADVERTISEMENT; Recompute the Skew_Time; Recompute the
      // Master_Down_Interval"; then reset the Master_Down_Timer. The sender is master.
      if (config_.version == 3) master_adver_interval_ = a.interval;
      arm_master_down(now, false);
      master_ = r.source;
    }
    // Otherwise a lower priority master: let the timer run out and preempt.
    return {};
  }
  if (state_ == State::master) {
    // §6.4.3: "Send an ADVERTISEMENT; Reset the Adver_Timer".
    if (a.priority.stopping()) return repair(now, r.source);
    // §6.4.3: a higher priority, or equal with a higher primary address
    // (compared as unsigned integers in network order), wins.
    if (a.priority > local || (a.priority == local && r.source > primary_)) {
      auto out = become_backup(now, "higher priority advert from " + r.source.to_string() + " (priority " +
                                        std::to_string(a.priority.value) + ")");
      // RFC 5798 §6.4.3: "Set Master_Adver_Interval to Adver Interval
      // contained in the ADVERTISEMENT; Recompute the Master_Down_Interval".
      if (config_.version == 3) {
        master_adver_interval_ = a.interval;
        arm_master_down(now, false);
      }
      master_ = r.source;
      return out;
    }
    // RFC 9568 §6.4.3: answer a lower priority at once so that the other
    // router, and the ARP caches it confused, learn who is master.
    return repair(now, r.source);
  }
  return {};
}

Effects Instance::set_fault(TimePoint now, bool fault, const std::string& reason) {
  fault_ = fault;
  if (fault) return become_fault(now, reason);
  if (state_ != State::fault) return {};
  if (config_.priority.owner()) return become_master(now, reason);
  return become_backup(now, reason);
}

Effects Instance::set_priority_delta(TimePoint now, int delta) {
  const Priority before = effective_priority();
  delta_ = delta;
  Effects out;
  if (effective_priority() == before) return out;
  // A master tells the peer at once, so it can preempt without waiting.
  if (state_ == State::master) {
    send(out, effective_priority());
    adver_timer_ = now + config_.advert_interval;
  }
  // §6.1: Skew_Time, and so Master_Down_Interval, depend on the priority.
  // The timer keeps its start and takes the new length; one that is now
  // overdue fires at the next on_timer().
  if (state_ == State::backup && master_down_timer_) {
    arm_master_down(master_down_armed_, resigned_);
    master_down_timer_ = std::max(*master_down_timer_, now);
  }
  return out;
}

Effects Instance::follow(TimePoint now, State state, const std::string& reason) {
  if (state == state_) return {};
  switch (state) {
    case State::master:
      if (fault_) return {};
      return become_master(now, reason);
    case State::backup:
      if (fault_) return {};
      return become_backup(now, reason);
    case State::fault: return become_fault(now, reason);
    case State::initialize: return {};
  }
  return {};
}

Effects Instance::reconfigure(TimePoint now, InstanceConfig config) {
  const auto old_addresses = all_addresses();
  const Priority old_priority = effective_priority();
  const auto old_interval = config_.advert_interval;
  config_ = std::move(config);
  // A v3 backup keeps the interval it learned from the master.
  if (config_.version == 2 || state_ != State::backup) master_adver_interval_ = config_.advert_interval;
  Effects out;
  if (state_ == State::master) {
    const auto now_addresses = all_addresses();
    std::vector<IpPrefix> removed;
    std::vector<IpPrefix> added;
    for (const auto& p : old_addresses) {
      if (std::find(now_addresses.begin(), now_addresses.end(), p) == now_addresses.end()) removed.push_back(p);
    }
    for (const auto& p : now_addresses) {
      if (std::find(old_addresses.begin(), old_addresses.end(), p) == old_addresses.end()) added.push_back(p);
    }
    if (!removed.empty()) out.push_back(RemoveAddresses{removed});
    if (!added.empty()) out.push_back(AddAddresses{added});
    if (!added.empty() || !removed.empty() || effective_priority() != old_priority || config_.advert_interval != old_interval) {
      send(out, effective_priority());
      adver_timer_ = now + config_.advert_interval;
    }
    if (!added.empty()) out.push_back(SendGratuitousArp{added});
  } else if (state_ == State::backup) {
    if (config_.priority.owner()) {
      auto m = become_master(now, "became the address owner (priority 255)");
      out.insert(out.end(), m.begin(), m.end());
    } else if (config_.advert_interval != old_interval || effective_priority() != old_priority) {
      arm_master_down(now, resigned_);
    }
  }
  return out;
}

}  // namespace pairgate::vrrp
