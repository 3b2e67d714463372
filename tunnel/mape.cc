#include "tunnel/mape.h"

#include <linux/if_addr.h>

#include <nlohmann/json.hpp>

namespace pairgate::tunnel {

std::optional<IpPrefix> delegated_prefix(const conf::Mape& m, const std::optional<Ipv6Address>& wan_address) {
  if (m.prefix) return m.prefix;
  if (!wan_address) return std::nullopt;
  return IpPrefix(IpAddress(*wan_address), 64).network();
}

namespace {

nlohmann::json sets_json(const MapResult& r) {
  auto sets = nlohmann::json::array();
  for (const auto& s : r.port_sets) sets.push_back({s.first, s.last});
  return sets;
}

std::string ipv4_text(const MapResult& r) {
  return r.ipv4.length() == 32 ? r.ipv4.address().to_string() : r.ipv4.to_string();
}

}  // namespace

nlohmann::json map_event_data(const std::string& tunnel, const MapResult& r, bool active) {
  return {{"tunnel", tunnel},          {"type", "mape"},           {"active", active},
          {"ipv4", ipv4_text(r)},      {"psid", r.psid},           {"psid_length", r.psid_length},
          {"port_sets", sets_json(r)}, {"ce_ipv6", r.ce_ipv6.to_string()}, {"br", r.br.to_string()},
          {"rule_index", r.rule_index}};
}

nlohmann::json map_status(const MapResult& r, const IpPrefix& delegated) {
  return {{"rule_index", r.rule_index},
          {"ipv4", ipv4_text(r)},
          {"psid", r.psid},
          {"psid_length", r.psid_length},
          {"port_sets", sets_json(r)},
          {"port_count", r.port_count()},
          {"ce_ipv6", r.ce_ipv6.to_string()},
          {"br", r.br.to_string()},
          {"interface_id", std::string(to_string(r.interface_id))},
          {"delegated_prefix", delegated.to_string()}};
}

bool MapeState::compute(const std::optional<Ipv6Address>& wan_address) {
  const auto delegated = delegated_prefix(config_, wan_address);
  if (!delegated) {
    // Waiting for the WAN's address: the last mapping stays (the firewall
    // keeps its NAT) until a new one is known.
    error_.clear();
    return false;
  }
  auto r = map(config_.domain(), *delegated);
  if (!r) {
    error_ = r.error().message;
    const bool had = result_.has_value();
    result_.reset();
    delegated_ = delegated;
    return had;
  }
  error_.clear();
  const bool changed = !result_ || result_->ce_ipv6 != r->ce_ipv6 || result_->ipv4 != r->ipv4 ||
                       result_->psid != r->psid || result_->psid_length != r->psid_length ||
                       result_->port_sets != r->port_sets || result_->br != r->br ||
                       result_->rule_index != r->rule_index;
  result_ = std::move(*r);
  delegated_ = delegated;
  return changed;
}

std::error_code MapeState::place(Netlink& nl, int wan_index) {
  if (!result_ || wan_index == 0) return {};
  const Ipv6Address want = result_->ce_ipv6;
  if (placed_ == want && placed_on_ == wan_index) return {};
  if (auto ec = unplace(nl)) return ec;
  AddressOptions o;
  // RFC 7597 §6: the CE address is derived, not autoconfigured; no DAD
  // (a pair's backup never holds it). An existing one is success.
  o.flags = IFA_F_NODAD;
  if (auto ec = nl.add_address(wan_index, IpPrefix(IpAddress(want), 128), o)) return ec;
  placed_ = want;
  placed_on_ = wan_index;
  return {};
}

std::error_code MapeState::unplace(Netlink& nl) {
  if (!placed_) return {};
  auto ec = nl.remove_address(placed_on_, IpPrefix(IpAddress(*placed_), 128));
  if (!ec) {
    placed_.reset();
    placed_on_ = 0;
  }
  return ec;
}

std::vector<AddressInfo> MapeState::without_ours(std::vector<AddressInfo> addresses) const {
  std::erase_if(addresses, [&](const AddressInfo& a) {
    if (a.prefix.length() != 128 || a.prefix.address().is_v4()) return false;
    const auto v6 = a.prefix.address().v6();
    return (placed_ && v6 == *placed_) || (result_ && v6 == result_->ce_ipv6);
  });
  return addresses;
}

}  // namespace pairgate::tunnel
