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

Instance::Instance(InstanceConfig config, Ipv4Address primary) : config_(std::move(config)), primary_(primary) {}

Priority Instance::effective_priority() const {
  if (config_.priority.owner()) return config_.priority;
  return Priority{static_cast<std::uint8_t>(std::clamp(int{config_.priority.value} + delta_, 1, 254))};
}

// §6.1: Skew_Time = ((256 - Priority) / 256) seconds.
Duration Instance::skew_time() const {
  return std::chrono::duration_cast<Duration>(std::chrono::microseconds((256 - effective_priority().value) * 1'000'000 / 256));
}

// §6.1: Master_Down_Interval = (3 * Advertisement_Interval) + Skew_time.
Duration Instance::master_down_interval() const { return 3 * config_.advert_interval + skew_time(); }

std::optional<TimePoint> Instance::next_deadline() const {
  if (state_ == State::master) return adver_timer_;
  if (state_ == State::backup) return master_down_timer_;
  return std::nullopt;
}

std::optional<Ipv4Address> Instance::master() const {
  if (state_ == State::master) return primary_;
  if (state_ == State::backup) return master_;
  return std::nullopt;
}

std::vector<IpPrefix> Instance::all_addresses() const {
  auto out = config_.virtual_addresses;
  out.insert(out.end(), config_.excluded_addresses.begin(), config_.excluded_addresses.end());
  return out;
}

std::vector<Ipv4Address> Instance::advertised() const {
  std::vector<Ipv4Address> out;
  for (const auto& p : config_.virtual_addresses) out.push_back(p.address().v4());
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
Effects Instance::repair(TimePoint now, Ipv4Address sender) {
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

Effects Instance::on_advert(TimePoint now, const Received& r) {
  const Advert& a = r.advert;
  ++counters_.advert_rcvd;
  if (r.source == primary_) return drop(Drop::own_advert);
  // §7.1: the address owner discards adverts for its VRID.
  if (config_.priority.owner()) return drop(Drop::owner_advert_rcvd);
  // §7.1: "MUST perform authentication specified by Auth Type" (RFC 2338 §5.3.6).
  if (a.auth_type != config_.auth_type) return drop(Drop::authtype_mismatch);
  if (a.auth_type == AuthType::simple && a.auth_data != config_.auth_data) return drop(Drop::auth_failure);
  // §7.1: "MUST verify that the Adver Interval in the ADVERTISEMENT packet is
  // the same as the Adver Interval configured for the local virtual router."
  if (a.interval != config_.advert_interval) return drop(Drop::advert_interval_err);
  // §7.1: a differing address list is logged and dropped unless the sender
  // is the owner (priority 255).
  auto ours = advertised();
  auto theirs = a.addresses;
  std::sort(ours.begin(), ours.end());
  std::sort(theirs.begin(), theirs.end());
  if (ours != theirs) {
    ++counters_.drops[static_cast<std::size_t>(Drop::addr_list_err)];
    if (!a.priority.owner()) return {};
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
      // §6.4.2: reset the Master_Down_Timer; the sender is master.
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
