// One function per section of the file. Internal to conf/.
#pragma once

#include "conf/config.h"
#include "conf/yaml_reader.h"

namespace pairgate::conf {

void parse_notify(Reader& r, const YAML::Node& n, Notify& out);
void parse_vrrp(Reader& r, const YAML::Node& n, Vrrp& out);
void parse_dhcp(Reader& r, const YAML::Node& n, Dhcp& out);
void parse_tunnels(Reader& r, const YAML::Node& n, std::vector<Tunnel>& out);
// The keys of a `type: mape` tunnel (parse_mape.cc).
void parse_mape(Reader& r, MapReader& m, Tunnel& t);
// type: ipip's keys (conf/parse_ipip.cc) into t.ipip and t.ipv4_address.
void parse_ipip(Reader& r, MapReader& m, Tunnel& t);
void parse_firewall(Reader& r, const YAML::Node& n, Firewall& out);
void parse_peer(Reader& r, const YAML::Node& n, Peer& out);
void parse_http(Reader& r, const YAML::Node& n, Http& out);

// Shared value checks.
bool valid_interface_name(std::string_view name);
std::optional<std::string> read_interface(Reader& r, const YAML::Node& n, std::string_view what);

}  // namespace pairgate::conf
