// For tests/integration/map_nat_test.sh and scripts/bench/mape: one reading
// of firewall/map_usage from the kernel of the network namespace it runs in
// (ctsync's conntrack dump, /proc/net/stat/nf_conntrack), as JSON:
//   {"usage": <to_json(MapUsage)>, "insert_failed": N, "drop": N, "early_drop": N,
//    "dump_ms": [each repeat's time]}
//   map_usage_probe [--repeat N] ADDRESS FIRST-LAST...
// --repeat N reads N times (for the cost of a dump) and prints the last.
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "firewall/map_usage.h"

int main(int argc, char** argv) {
  using namespace pairgate;
  int i = 1;
  int repeat = 1;
  if (argc > 2 && std::string(argv[1]) == "--repeat") {
    repeat = std::max(1, std::stoi(argv[2]));
    i = 3;
  }
  if (argc - i < 2) {
    std::cerr << "usage: map_usage_probe [--repeat N] ADDRESS FIRST-LAST...\n";
    return 2;
  }
  auto address = Ipv4Address::parse(argv[i++]);
  if (!address) {
    std::cerr << "map_usage_probe: bad address\n";
    return 2;
  }
  std::vector<PortRange> sets;
  for (; i < argc; ++i) {
    const std::string s = argv[i];
    const auto dash = s.find('-');
    const unsigned long first = std::stoul(s.substr(0, dash));
    const unsigned long last = dash == std::string::npos ? first : std::stoul(s.substr(dash + 1));
    if (first > last || last > 65535) {
      std::cerr << "map_usage_probe: bad range " << s << "\n";
      return 2;
    }
    sets.push_back({static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)});
  }
  firewall::MapUsageMonitor monitor(*address, sets);
  firewall::MapUsage usage;
  nlohmann::json times = nlohmann::json::array();
  for (int n = 0; n < repeat; ++n) {
    const auto start = std::chrono::steady_clock::now();
    usage = monitor.read();
    times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  if (!monitor.last_error().empty()) {
    std::cerr << "map_usage_probe: " << monitor.last_error() << "\n";
    return 1;
  }
  nlohmann::json out;
  out["usage"] = usage;
  out["dump_ms"] = times;
  if (auto s = firewall::read_conntrack_stat()) {
    out["insert_failed"] = s->insert_failed;
    out["drop"] = s->drop.value_or(0);
    out["early_drop"] = s->early_drop.value_or(0);
  }
  std::cout << out.dump() << "\n";
  return 0;
}
