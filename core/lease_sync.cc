#include "core/lease_sync.h"

#include <tuple>

namespace pairgate {

bool supersedes(const LeaseRecord& incoming, const LeaseRecord& current) {
  // Later client-last-transaction time first. Within one second, a state
  // that can only follow another wins (a release or a decline follows the
  // ACK, an expiry follows the binding: the enum is in that order), then the
  // later end, then the bytes, so that both routers pick the same record.
  auto key = [](const LeaseRecord& r) {
    return std::tuple(r.cltt, static_cast<int>(r.state), r.expires, std::string_view(r.client),
                      r.hw_address.value_or(MacAddress{}), r.hw_address.has_value(), std::string_view(r.hostname),
                      r.address);
  };
  return key(incoming) > key(current);
}

}  // namespace pairgate
