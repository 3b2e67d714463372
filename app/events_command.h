// `pairgatectl events`: the control command that streams the event bus.
//
//   request:  {"command": "events"}  or  {"command": "events", "since": SEQ, "boot": ID}
//   answer:   {"ok":true,"result":{"stream":"events","boot":"<id>","last_seq":N}}
//             then one line per event, in bus order, as events.h's to_json
//             ({"seq", "time", "kind", "subject", "message", "data"}), until
//             the client hangs up.
//
// With `since`, the events after SEQ that the bus's history still holds come
// first, preceded by {"missed": M, "after_seq": SEQ} when M events after SEQ
// are no longer held. That is how a reader that fell behind learns what it
// missed: the control server cuts a reader that lets 1 MiB pile up (so the
// loop never waits for it), and the reader comes back with the last seq it
// saw, and its `boot`: `boot` changes when the daemon restarts (sequence
// numbers start again at 1), and a `since` from another boot means 0.
#pragma once

#include <string>

namespace pairgate {

class CommandRegistry;
class EventBus;

// Both must outlive the command (the daemon owns all three).
void add_events_command(CommandRegistry& commands, EventBus& bus, std::string boot);

// A new random boot id (16 hex digits).
std::string make_boot_id();

}  // namespace pairgate
