// sd_notify(3) for Type=notify: READY, RELOADING, STOPPING, STATUS and the
// watchdog. Every call is a no-op when not run by systemd.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <string_view>

namespace pairgate {

class SystemdNotifier {
 public:
  explicit SystemdNotifier(boost::asio::io_context& io);

  void ready();
  void reloading();  // followed by ready() when the reload is done
  void stopping();
  void status(std::string_view text);

  // Starts pinging at half the WatchdogSec= interval when systemd asked for it.
  void start_watchdog();
  void stop_watchdog();

 private:
  void arm();
  boost::asio::steady_timer timer_;
  std::chrono::microseconds period_{0};
};

}  // namespace pairgate
