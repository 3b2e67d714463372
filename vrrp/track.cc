#include "vrrp/track.h"

namespace pairgate::vrrp {

TrackOutcome evaluate(const std::vector<TrackItem>& items) {
  TrackOutcome out;
  for (const auto& item : items) {
    if (item.weight) {
      // keepalived's convention: a negative weight counts while the item is
      // down, a positive one while it is up.
      if (*item.weight < 0 ? item.down : !item.down) out.delta += *item.weight;
      continue;
    }
    if (item.down && !out.fault) {
      out.fault = true;
      out.reason = item.what;
    }
  }
  return out;
}

}  // namespace pairgate::vrrp
