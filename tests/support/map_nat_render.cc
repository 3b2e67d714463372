// For tests/integration/map_nat_test.sh: computes a MAP-E rule with
// tunnel/map_rule and prints the NAT table firewall/map_nat renders for it,
// or (--sets) the port sets, one "FIRST-LAST" a line, or (--address) the
// CE IPv4 address.
//   map_nat_render [--sets|--address] TABLE TUNNEL RULE6 RULE4 EA OFFSET DELEGATED
#include <iostream>
#include <string>

#include "firewall/map_nat.h"
#include "tunnel/map_rule.h"

int main(int argc, char** argv) {
  using namespace pairgate;
  std::string mode;
  int i = 1;
  if (argc > 1 && std::string(argv[1]).starts_with("--")) mode = argv[i++];
  if (argc - i != 7) {
    std::cerr << "usage: map_nat_render [--sets|--address] TABLE TUNNEL RULE6 RULE4 EA OFFSET DELEGATED\n";
    return 2;
  }
  const std::string table = argv[i], tunnel_name = argv[i + 1];
  auto rule6 = IpPrefix::parse(argv[i + 2]);
  auto rule4 = IpPrefix::parse(argv[i + 3]);
  auto delegated = IpPrefix::parse(argv[i + 6]);
  if (!rule6 || !rule4 || !delegated) {
    std::cerr << "map_nat_render: a prefix does not parse\n";
    return 2;
  }
  tunnel::MapDomain domain{Ipv6Address{},
                           {{*rule6, *rule4, static_cast<unsigned>(std::stoul(argv[i + 4])),
                             static_cast<unsigned>(std::stoul(argv[i + 5]))}},
                           tunnel::InterfaceIdForm::rfc7597};
  auto r = tunnel::map(domain, *delegated);
  if (!r) {
    std::cerr << "map_nat_render: " << tunnel::to_string(r.error().error) << ": " << r.error().message << "\n";
    return 1;
  }
  if (mode == "--sets") {
    for (const auto& s : r->port_sets) std::cout << s.first << "-" << s.last << "\n";
  } else if (mode == "--address") {
    std::cout << r->ipv4.address().to_string() << "\n";
  } else {
    std::cout << firewall::render_map_nat_table({tunnel_name, r->ipv4.address().v4(), r->port_sets}, table);
  }
  return 0;
}
