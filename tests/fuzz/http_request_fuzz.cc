// Fuzz target: any bytes as what a client sends the HTTP endpoint. The head
// goes through Beast's parser with the endpoint's limits, then through the
// routes, with commands and events like a running daemon's. Every request
// that parses gets exactly one answer with a status the endpoint uses.
#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>

#include "core/commands.h"
#include "core/events.h"
#include "core/metrics.h"
#include "http/routes.h"

namespace {

struct World {
  World() {
    commands.add({.name = "status", .run = [](const nlohmann::json&, const pairgate::PeerCredentials&) {
                    return nlohmann::json{{"node", "beagle"}, {"vrrp", nlohmann::json::array()}};
                  }});
    commands.add({.name = "leases", .run = [](const nlohmann::json&, const pairgate::PeerCredentials&) {
                    auto all = nlohmann::json::array();
                    for (int i = 1; i < 40; ++i) {
                      all.push_back({{"address", "198.51.100." + std::to_string(i)},
                                     {"hw_address", "02:00:00:00:00:" + std::to_string(10 + i)},
                                     {"client_id", ""},
                                     {"hostname", "host-" + std::to_string(i)}});
                    }
                    return all;
                  }});
    metrics.add([](pairgate::MetricSet& out) { out.gauge("pairgate_up", "Up.", {}, 1); });
    for (int i = 0; i < 20; ++i) events.publish("vrrp", "VRRP1", "event " + std::to_string(i));
    pairgate::http::add_standard_routes(routes, commands, metrics, events);
  }
  pairgate::CommandRegistry commands;
  pairgate::MetricsRegistry metrics;
  pairgate::EventBus events{100};
  pairgate::http::Routes routes;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace bhttp = boost::beast::http;
  static World world;
  bhttp::request_parser<bhttp::empty_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(0);
  boost::system::error_code ec;
  std::size_t used = 0;
  // Fed in pieces, as a socket would deliver it.
  while (used < size && !parser.is_done()) {
    const std::size_t n = parser.put(boost::asio::const_buffer(data + used, size - used), ec);
    if (ec == bhttp::error::need_more) break;
    if (ec) return 0;
    if (n == 0) break;
    used += n;
  }
  if (!parser.is_header_done()) return 0;
  const auto& req = parser.get();
  int answers = 0;
  static const std::set<unsigned> statuses = {200, 400, 404, 405, 414, 500, 503};
  world.routes.handle(req.method_string(), req.target(), [&](pairgate::http::Response r) {
    ++answers;
    if (!statuses.contains(r.status)) std::abort();
  });
  if (answers != 1) std::abort();
  return 0;
}
