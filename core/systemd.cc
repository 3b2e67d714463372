#include "core/systemd.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <string>

namespace pairgate {

SystemdNotifier::SystemdNotifier(boost::asio::io_context& io) : timer_(io) {}

void SystemdNotifier::ready() { sd_notify(0, "READY=1\nSTATUS=running"); }

void SystemdNotifier::reloading() {
  // systemd 253+ wants the reload's start time for Type=notify-reload.
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const auto usec = static_cast<unsigned long long>(ts.tv_sec) * 1'000'000ULL + ts.tv_nsec / 1000;
  std::string msg = "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=" + std::to_string(usec);
  sd_notify(0, msg.c_str());
}

void SystemdNotifier::stopping() { sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }

void SystemdNotifier::status(std::string_view text) {
  std::string msg = "STATUS=" + std::string(text);
  sd_notify(0, msg.c_str());
}

void SystemdNotifier::start_watchdog() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
  period_ = std::chrono::microseconds(usec / 2);
  arm();
}

void SystemdNotifier::stop_watchdog() {
  period_ = std::chrono::microseconds(0);
  timer_.cancel();
}

void SystemdNotifier::arm() {
  sd_notify(0, "WATCHDOG=1");
  timer_.expires_after(period_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && period_.count() > 0) arm();
  });
}

}  // namespace pairgate
