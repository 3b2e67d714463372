#include "vrrp/track.h"

namespace pairgate::vrrp {

TrackOutcome evaluate(const std::vector<TrackItem>& items) {
  TrackOutcome out;
  for (const auto& item : items) {
    if (!item.down) continue;
    if (item.weight) {
      out.delta += *item.weight;
    } else if (!out.fault) {
      out.fault = true;
      out.reason = item.what;
    }
  }
  return out;
}

}  // namespace pairgate::vrrp
