#include "core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/systemd_sink.h>
#include <sys/stat.h>

#include <charconv>
#include <cstdlib>
#include <string_view>

namespace pairgate::log {

namespace {

bool g_journal = false;

spdlog::level::level_enum to_spdlog(Level l) {
  switch (l) {
    case Level::trace: return spdlog::level::trace;
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

// systemd's documented test: JOURNAL_STREAM holds "DEV:INODE" of the stream
// that stderr is connected to when the journal captures it.
bool stderr_is_journal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (env == nullptr) return false;
  std::string_view v(env);
  auto colon = v.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long dev = 0;
  unsigned long long ino = 0;
  std::from_chars(v.data(), v.data() + colon, dev);
  std::from_chars(v.data() + colon + 1, v.data() + v.size(), ino);
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

}  // namespace

void setup(Level level, Target target) {
  g_journal = target == Target::journald || (target == Target::automatic && stderr_is_journal());
  std::shared_ptr<spdlog::logger> logger;
  if (g_journal) {
    logger = std::make_shared<spdlog::logger>("pairgated", std::make_shared<spdlog::sinks::systemd_sink_mt>("pairgated"));
  } else {
    logger = std::make_shared<spdlog::logger>("pairgated", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v");
  }
  logger->set_level(to_spdlog(level));
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(std::move(logger));
}

void set_level(Level level) { spdlog::set_level(to_spdlog(level)); }

bool to_journal() { return g_journal; }

}  // namespace pairgate::log
