// A lease as lease sync carries it (core/lease_sync.h) and back. No I/O.
#pragma once

#include <optional>

#include "core/lease_sync.h"
#include "dhcp/lease.h"

namespace pairgate::dhcp {

// An offer is never persisted, so never synced: nullopt.
std::optional<LeaseRecord> to_record(const Lease& lease);
// The peer's record as a lease of origin `peer`; nullopt when its client key
// is not a stored ClientKey form (the codec bounds the rest).
std::optional<Lease> from_record(const LeaseRecord& record);

}  // namespace pairgate::dhcp
