// What the HTTP endpoint answers, without sockets: a method and a target in,
// a Response out (through a callback, since a control command may answer
// later). Unit-tested directly (tests/http/routes_test.cc); http/server.h
// carries it over TCP.
//
// Routes are a registry: the standard ones are added by add_standard_routes,
// and every route reads the daemon's registries, never a module:
//   GET /             the status page (http/page.html)
//   GET /metrics      MetricsRegistry::collect() in Prometheus text format
//   GET /api/status   the control command `status`, as the control protocol answers it
//   GET /api/peer     the control command `peer-status`: the other router's status.
//                     Registered by whoever carries the peer channel (issue 12); the
//                     page reads {"node": NAME, "channel": "up"|..., "age_s": S,
//                     "status": <the peer's `status` result, or null>}. Without the
//                     command: 400, and the page says there is no peer status.
//   GET /api/leases   the control command `leases` with offset, limit, q
//   GET /api/events   the event bus's history: since, limit
// HEAD is answered like GET without the body; other methods get 405.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/histogram.h"
#include "http/target.h"

namespace pairgate {
class CommandRegistry;
class MetricsRegistry;
class EventBus;
}  // namespace pairgate

namespace pairgate::http {

struct Response {
  unsigned status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond the ones every response gets
};

// A response with a one-line text body: "404 not found: /x\n".
Response text_response(unsigned status, std::string_view message);

class Routes {
 public:
  using Done = std::function<void(Response)>;
  using Handler = std::function<void(const Target&, Done)>;

  // Throws std::logic_error for a path taken twice (a programming error).
  void add(std::string path, Handler handler);

  // Answers `method target` through `done`, at once or later (never both,
  // never twice). HEAD drops the body but keeps Content-Length.
  void handle(std::string_view method, std::string_view target, Done done);

  // The loop time each route's handler took (the synchronous part: collect
  // and render for /metrics), and what was answered, for the endpoint's own metrics.
  struct RouteStats {
    Histogram seconds{Histogram::latency_bounds()};
  };
  const std::map<std::string, RouteStats, std::less<>>& stats() const { return stats_; }
  const std::map<unsigned, std::uint64_t>& responses() const { return responses_; }

 private:
  std::map<std::string, Handler, std::less<>> handlers_;
  std::map<std::string, RouteStats, std::less<>> stats_;
  std::map<unsigned, std::uint64_t> responses_;  // by status code
};

// Limits of /api/leases and /api/events.
inline constexpr std::uint64_t kMaxLeasePage = 1000;
inline constexpr std::uint64_t kDefaultLeasePage = 100;
inline constexpr std::uint64_t kMaxEvents = 1000;
inline constexpr std::uint64_t kDefaultEvents = 100;

// The six routes above.
void add_standard_routes(Routes& routes, CommandRegistry& commands, const MetricsRegistry& metrics,
                         const EventBus& events);

}  // namespace pairgate::http
