#include "tunnel/health.h"

#include <algorithm>

namespace pairgate::tunnel {

namespace {

double ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string probes(unsigned n) { return std::to_string(n) + (n == 1 ? " probe" : " probes"); }

}  // namespace

std::string_view to_string(State s) {
  switch (s) {
    case State::down: return "DOWN";
    case State::degraded: return "DEGRADED";
    case State::up: return "UP";
  }
  return "?";
}

HealthEngine::HealthEngine(HealthSettings settings) : settings_(std::move(settings)) {}

void HealthEngine::configure(HealthSettings settings) {
  settings_ = std::move(settings);
  // A round in flight was sent to the old targets; let it go unjudged.
  round_.reset();
}

void HealthEngine::set_aftr(std::optional<Ipv6Address> aftr) {
  if (aftr == aftr_) return;
  aftr_ = aftr;
  aftr_fail_streak_ = 0;
  aftr_rtt_ms_.reset();
}

HealthEffects HealthEngine::start(std::optional<Ipv6Address> aftr, TimePoint now) {
  set_aftr(aftr);
  probing_ = true;
  round_.reset();
  ok_streak_ = fail_streak_ = full_streak_ = missing_streak_ = 0;
  last_ok_ = now;
  return send_round(now);
}

void HealthEngine::grace(TimePoint now) {
  round_.reset();
  fail_streak_ = 0;
  missing_streak_ = 0;
  last_ok_ = now;
}

HealthEffects HealthEngine::halt(const std::string& reason) {
  HealthEffects fx;
  probing_ = false;
  round_.reset();
  ok_streak_ = full_streak_ = missing_streak_ = 0;
  last_rtt_ms_.reset();
  move(State::down, reason, fx);
  return fx;
}

HealthEffects HealthEngine::send_round(TimePoint now) {
  HealthEffects fx;
  Round r;
  r.sequence = ++sequence_;
  r.sent = now;
  r.aftr = aftr_;
  r.answered.assign(settings_.targets.size(), false);
  if (aftr_) fx.probes.push_back({*aftr_, r.sequence});
  for (const auto& t : settings_.targets) fx.probes.push_back({t, r.sequence});
  counters_.probes_sent += fx.probes.size();
  ++counters_.rounds;
  round_ = std::move(r);
  next_round_ = now + settings_.interval;
  return fx;
}

HealthEffects HealthEngine::on_reply(const IpAddress& from, std::uint16_t sequence, TimePoint now) {
  HealthEffects fx;
  if (!round_ || round_->sequence != sequence) {
    // An earlier round's reply (judged already) or someone else's echo.
    if (probing_ && static_cast<std::uint16_t>(sequence_ - sequence) < 64) {
      ++counters_.late_replies;
    } else {
      ++counters_.unexpected_replies;
    }
    return fx;
  }
  auto& r = *round_;
  bool known = false;
  if (!from.is_v4() && r.aftr && from.v6() == *r.aftr) {
    known = true;
    if (!r.aftr_answered) {
      r.aftr_answered = true;
      aftr_rtt_ms_ = ms(now - r.sent);
      if (settings_.targets.empty()) {
        last_rtt_ms_ = aftr_rtt_ms_;
        last_ok_ = now;
      }
    }
  } else if (from.is_v4()) {
    for (std::size_t i = 0; i < settings_.targets.size(); ++i) {
      if (settings_.targets[i] == from.v4() && !r.answered[i]) {
        r.answered[i] = true;
        last_rtt_ms_ = ms(now - r.sent);
        last_ok_ = now;
        known = true;
      }
    }
  }
  if (!known) {
    ++counters_.unexpected_replies;
    return fx;
  }
  ++counters_.replies;
  const bool all = (!r.aftr || r.aftr_answered) && std::all_of(r.answered.begin(), r.answered.end(), [](bool b) { return b; });
  if (all) return judge();
  return fx;
}

HealthEffects HealthEngine::on_timer(TimePoint now) {
  HealthEffects fx;
  if (!probing_) return fx;
  if (round_ && now >= round_->sent + settings_.timeout) fx = judge();
  if (state_ != State::down && fail_streak_ + 1 >= settings_.down_after &&
      now >= last_ok_ + settings_.down_after * settings_.interval) {
    fail_streak_ = settings_.down_after;
    ok_streak_ = 0;
    last_rtt_ms_.reset();
    move(State::down, lost_reason(fail_streak_, round_ && !round_->aftr_answered ? round_->aftr : std::nullopt), fx);
    // The round in flight counts as lost; a reply to it now is late.
    if (round_ && round_->aftr && !round_->aftr_answered && ++aftr_fail_streak_ == settings_.down_after) {
      fx.aftr_failed = true;
    }
    round_.reset();
  }
  if (now >= next_round_) fx.probes = send_round(now).probes;
  return fx;
}

std::optional<TimePoint> HealthEngine::deadline() const {
  if (!probing_) return std::nullopt;
  TimePoint d = next_round_;
  if (round_) d = std::min(d, round_->sent + settings_.timeout);
  if (state_ != State::down && fail_streak_ + 1 >= settings_.down_after) {
    d = std::min(d, last_ok_ + settings_.down_after * settings_.interval);
  }
  return d;
}

std::string HealthEngine::all_targets() const {
  if (settings_.targets.empty()) return aftr_ ? "AFTR " + aftr_->to_string() : "AFTR";
  std::string s;
  for (const auto& t : settings_.targets) s += (s.empty() ? "" : ", ") + t.to_string();
  return s;
}

std::string HealthEngine::lost_reason(unsigned count, const std::optional<Ipv6Address>& silent_aftr) const {
  std::string why = probes(count) + " to " + all_targets() + " lost";
  if (!settings_.targets.empty() && silent_aftr) why += "; AFTR " + silent_aftr->to_string() + " silent too";
  return why;
}

std::string HealthEngine::target_list(bool answered_ones) const {
  std::string out;
  if (!round_) return out;
  for (std::size_t i = 0; i < settings_.targets.size(); ++i) {
    if (round_->answered[i] != answered_ones) continue;
    if (!out.empty()) out += ", ";
    out += settings_.targets[i].to_string();
  }
  return out;
}

HealthEffects HealthEngine::judge() {
  HealthEffects fx;
  if (!round_) return fx;
  fx.judged = true;
  const auto& r = *round_;
  if (r.aftr) {
    if (r.aftr_answered) {
      aftr_fail_streak_ = 0;
    } else if (++aftr_fail_streak_ == settings_.down_after) {
      fx.aftr_failed = true;
    }
  }
  const std::size_t n = r.answered.size();
  const auto answered = static_cast<std::size_t>(std::count(r.answered.begin(), r.answered.end(), true));
  const bool success = n == 0 ? (r.aftr && r.aftr_answered) : answered > 0;
  const bool full = n == 0 ? success : answered == n;
  if (success) {
    ++ok_streak_;
    fail_streak_ = 0;
  } else {
    ++fail_streak_;
    ok_streak_ = 0;
    last_rtt_ms_.reset();
  }
  if (full) {
    ++full_streak_;
    missing_streak_ = 0;
  } else {
    ++missing_streak_;
    full_streak_ = 0;
  }
  const std::string all_targets = this->all_targets();
  switch (state_) {
    case State::down:
      if (ok_streak_ >= settings_.up_after) {
        if (full) {
          move(State::up, probes(ok_streak_) + " to " + all_targets + " answered", fx);
        } else {
          move(State::degraded, target_list(false) + " not answering; " + target_list(true) + " answered", fx);
        }
      }
      break;
    case State::up:
    case State::degraded:
      if (fail_streak_ >= settings_.down_after) {
        move(State::down, lost_reason(fail_streak_, r.aftr_answered ? std::nullopt : r.aftr), fx);
      } else if (state_ == State::up && missing_streak_ >= settings_.down_after) {
        move(State::degraded, probes(missing_streak_) + " to " + target_list(false) + " lost; " + target_list(true) + " answered", fx);
      } else if (state_ == State::degraded && full_streak_ >= settings_.up_after) {
        move(State::up, probes(full_streak_) + " to " + all_targets + " answered", fx);
      }
      break;
  }
  round_.reset();
  return fx;
}

void HealthEngine::move(State to, const std::string& reason, HealthEffects& fx) {
  if (to == state_ && reason == reason_) return;
  fx.transition = Transition{state_, to, reason};
  state_ = to;
  reason_ = reason;
}

}  // namespace pairgate::tunnel
