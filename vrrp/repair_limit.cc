#include "vrrp/repair_limit.h"

#include <algorithm>

namespace pairgate::vrrp {

bool RepairLimit::admit(Clock::time_point now, const IpAddress& sender, Clock::duration interval) {
  auto it = std::find_if(senders_.begin(), senders_.end(), [&](const Sender& s) { return s.address == sender; });
  if (it == senders_.end()) {
    if (senders_.size() >= kSenders) {
      it = std::min_element(senders_.begin(), senders_.end(),
                            [](const Sender& a, const Sender& b) { return a.heard < b.heard; });
      *it = Sender{sender, now, {}, false};
    } else {
      it = senders_.insert(senders_.end(), Sender{sender, now, {}, false});
    }
  }
  it->heard = now;
  if (it->was_answered && now - it->answered < interval) return false;
  if (in_window_ == 0 || now - window_ >= interval) {
    window_ = now;
    in_window_ = 0;
  }
  if (in_window_ >= kPerInterval) return false;
  ++in_window_;
  it->answered = now;
  it->was_answered = true;
  return true;
}

}  // namespace pairgate::vrrp
