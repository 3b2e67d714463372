// Process-wide logging through spdlog: stderr or the journal.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace pairgate::log {

enum class Level { trace, debug, info, warn, error };
enum class Target { automatic, stderr_stream, journald };

// Installs the default logger. `automatic` picks the journal when stderr is
// connected to it (systemd sets JOURNAL_STREAM), else stderr. Safe to call
// again on reload: the sink is replaced, messages are not lost.
void setup(Level level, Target target);
void set_level(Level level);

// True when the journal was chosen.
bool to_journal();

}  // namespace pairgate::log
