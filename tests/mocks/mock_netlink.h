// gmock double of core/netlink.h for module tests. Events are delivered by
// calling emit_link / emit_address / emit_resync / emit_nd_user_option, as
// the kernel would.
#pragma once

#include <gmock/gmock.h>

#include <map>

#include "core/netlink.h"

namespace pairgate::testing {

class MockNetlink : public Netlink {
 public:
  MOCK_METHOD(std::optional<LinkInfo>, link, (std::string_view name), (override));
  MOCK_METHOD(std::optional<LinkInfo>, link, (int index), (override));
  MOCK_METHOD(std::vector<LinkInfo>, links, (), (override));
  MOCK_METHOD(std::error_code, set_link_up, (int index, bool up), (override));
  MOCK_METHOD(std::vector<AddressInfo>, addresses, (std::optional<int> ifindex, std::optional<Family> family), (override));
  MOCK_METHOD(std::error_code, add_address, (int ifindex, const IpPrefix& prefix, const AddressOptions& options), (override));
  MOCK_METHOD(std::error_code, remove_address, (int ifindex, const IpPrefix& prefix), (override));
  MOCK_METHOD(std::vector<RouteInfo>, routes, (Family family, unsigned table), (override));
  MOCK_METHOD(std::error_code, add_route, (const RouteInfo& route, bool replace), (override));
  MOCK_METHOD(std::error_code, remove_route, (const RouteInfo& route), (override));
  MOCK_METHOD(std::optional<Ip6TunnelParams>, ip6_tunnel, (std::string_view name), (override));
  MOCK_METHOD(std::error_code, add_ip6_tunnel, (const Ip6TunnelParams& params), (override));
  MOCK_METHOD(std::error_code, change_ip6_tunnel, (int index, const Ip6TunnelParams& params), (override));
  MOCK_METHOD(std::error_code, remove_link, (int index), (override));

  SubscriptionId subscribe(Subscriber s) override {
    subscribers_.emplace(++next_, std::move(s));
    return next_;
  }
  void unsubscribe(SubscriptionId id) override { subscribers_.erase(id); }

  void emit_link(const LinkEvent& e) {
    for (auto& [id, s] : copy()) {
      if (s.on_link) s.on_link(e);
    }
  }
  void emit_address(const AddressEvent& e) {
    for (auto& [id, s] : copy()) {
      if (s.on_address) s.on_address(e);
    }
  }
  void emit_resync() {
    for (auto& [id, s] : copy()) {
      if (s.on_resync) s.on_resync();
    }
  }
  void emit_nd_user_option(const NdUserOptionEvent& e) {
    for (auto& [id, s] : copy()) {
      if (s.on_nd_user_option) s.on_nd_user_option(e);
    }
  }
  std::size_t subscribers() const { return subscribers_.size(); }

 private:
  std::map<SubscriptionId, Subscriber> copy() const { return subscribers_; }
  std::map<SubscriptionId, Subscriber> subscribers_;
  SubscriptionId next_ = 0;
};

}  // namespace pairgate::testing
