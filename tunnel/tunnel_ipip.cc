// tunnel::Tunnel's type ipip parts: the local address from interface_id
// (pairgate puts it on the WAN), and the update URL.
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "tunnel/ipip_local.h"
#include "tunnel/local_address.h"
#include "tunnel/tunnel.h"

namespace pairgate::tunnel {

std::optional<Ipv6Address> Tunnel::find_local() const {
  const auto addresses = netlink_.addresses(wan_index_, Family::ipv6);
  if (config_.ipip && config_.ipip->interface_id) {
    return iid_local(addresses, wan_index_, *config_.ipip->interface_id, local_);
  }
  return choose_local(addresses, wan_index_, local_);
}

void Tunnel::ipip_make_updater() {
  updater_.reset();
  update_wanted_.reset();
  if (!config_.ipip || config_.ipip->update_url.empty()) return;
  std::optional<Ipv4Address> v4;
  if (config_.ipv4_address) v4 = config_.ipv4_address->address().v4();
  updater_ = std::make_unique<IpipUpdater>(io_, clock_, config_.name, *config_.ipip, v4, [this](const UpdateResult& r) {
    if (hooks_.update_result) hooks_.update_result(config_.name, r);
  });
}

// The provider assigns the interface ID and expects the router to configure
// prefix + ID itself: pairgate adds it to the WAN (as a /128, the prefix's
// route is the WAN's own) unless it is there already, moves it when the
// prefix changes and removes it on stop. The update URL is called for each
// new local address or link.
void Tunnel::ipip_step() {
  const bool iid = config_.ipip && config_.ipip->interface_id && local_;
  // The prefix changed, or a reload dropped interface_id or type ipip.
  if (wan_added_ && (!iid || *wan_added_ != *local_)) {
    if (auto ec = netlink_.remove_address(wan_index_, IpPrefix(*wan_added_, 128))) {
      ++address_errors_;
      spdlog::warn("tunnel {}: cannot remove {} from {}: {}", config_.name, wan_added_->to_string(),
                   config_.wan_interface, ec.message());
    } else {
      spdlog::info("tunnel {}: {} removed from {} ({})", config_.name, wan_added_->to_string(),
                   config_.wan_interface, iid ? "the prefix changed" : "no interface_id any more");
    }
    wan_added_.reset();
  }
  if (!config_.ipip || !local_) return;
  if (iid) {
    bool there = wan_added_.has_value();
    for (const auto& a : netlink_.addresses(wan_index_, Family::ipv6)) there |= a.prefix.address() == IpAddress(*local_);
    if (!there) {
      if (auto ec = netlink_.add_address(wan_index_, IpPrefix(*local_, 128))) {
        ++address_errors_;
        spdlog::error("tunnel {}: cannot put {} on {}: {}", config_.name, local_->to_string(), config_.wan_interface,
                      ec.message());
      } else {
        wan_added_ = local_;
        spdlog::info("tunnel {}: {} (prefix + interface_id) on {}", config_.name, local_->to_string(),
                     config_.wan_interface);
      }
    }
  }
  if (updater_ && update_wanted_ != std::pair{*local_, link_index_}) {
    update_wanted_ = std::pair{*local_, link_index_};
    updater_->want(*local_);
  }
}

bool Tunnel::ipip_on_address(const AddressEvent& e) {
  if (!wan_added_ || !e.removed || e.address.ifindex != wan_index_ || e.address.prefix.address() != IpAddress(*wan_added_)) {
    return false;
  }
  spdlog::warn("tunnel {}: {} was removed from {}; putting it back", config_.name, wan_added_->to_string(),
               config_.wan_interface);
  wan_added_.reset();
  reconcile();
  return true;
}

void Tunnel::ipip_stop() {
  if (updater_) updater_->cancel();
  update_wanted_.reset();
  if (wan_added_ && wan_index_ != 0) {
    if (auto ec = netlink_.remove_address(wan_index_, IpPrefix(*wan_added_, 128))) {
      spdlog::warn("tunnel {}: cannot remove {} from {}: {}", config_.name, wan_added_->to_string(),
                   config_.wan_interface, ec.message());
    }
  }
  wan_added_.reset();
}

void Tunnel::ipip_status(nlohmann::json& out) const {
  if (!config_.ipip) return;
  out["type"] = "ipip";
  out["wan_address_added"] = wan_added_ ? nlohmann::json(wan_added_->to_string()) : nlohmann::json(nullptr);
  out["ipv4_block"] = config_.ipip->block.to_string();
  if (updater_) updater_->status(out["update"]);
}

}  // namespace pairgate::tunnel
