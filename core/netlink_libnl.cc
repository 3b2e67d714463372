// The Netlink interface over libnl-route-3.
#include <net/if.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/ip6tnl.h>
#include <linux/ip6_tunnel.h>
#include <netinet/in.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <sys/socket.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <spdlog/spdlog.h>

#include <cstring>
#include <map>
#include <stdexcept>

#include "core/netlink.h"

namespace pairgate {

namespace {

class LibnlCategory : public std::error_category {
 public:
  const char* name() const noexcept override { return "libnl"; }
  std::string message(int code) const override { return nl_geterror(code); }
};

std::error_code nl_error(int rc) { return rc >= 0 ? std::error_code() : std::error_code(-rc, libnl_category()); }

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const {
    if (p != nullptr) Free(p);
  }
};
void put_addr(nl_addr* a) { nl_addr_put(a); }
void put_link(rtnl_link* l) { rtnl_link_put(l); }
void put_raddr(rtnl_addr* a) { rtnl_addr_put(a); }
void put_route(rtnl_route* r) { rtnl_route_put(r); }
void free_cache(nl_cache* c) { nl_cache_free(c); }
void free_sock(nl_sock* s) { nl_socket_free(s); }
using NlAddr = std::unique_ptr<nl_addr, Deleter<nl_addr, put_addr>>;
using Link = std::unique_ptr<rtnl_link, Deleter<rtnl_link, put_link>>;
using Addr = std::unique_ptr<rtnl_addr, Deleter<rtnl_addr, put_raddr>>;
using Route = std::unique_ptr<rtnl_route, Deleter<rtnl_route, put_route>>;
using Cache = std::unique_ptr<nl_cache, Deleter<nl_cache, free_cache>>;
using Sock = std::unique_ptr<nl_sock, Deleter<nl_sock, free_sock>>;

NlAddr to_nl(const IpAddress& a, unsigned prefix_len) {
  nl_addr* out = nullptr;
  if (a.is_v4()) {
    auto b = a.v4().bytes();
    out = nl_addr_build(AF_INET, b.data(), b.size());
  } else {
    out = nl_addr_build(AF_INET6, a.v6().bytes().data(), 16);
  }
  if (out != nullptr) nl_addr_set_prefixlen(out, static_cast<int>(prefix_len));
  return NlAddr(out);
}

std::optional<IpAddress> from_nl(nl_addr* a) {
  if (a == nullptr) return std::nullopt;
  const auto* data = static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(a));
  if (nl_addr_get_family(a) == AF_INET && nl_addr_get_len(a) == 4) {
    return Ipv4Address::from_bytes({data[0], data[1], data[2], data[3]});
  }
  if (nl_addr_get_family(a) == AF_INET6 && nl_addr_get_len(a) == 16) {
    std::array<std::uint8_t, 16> b{};
    std::copy(data, data + 16, b.begin());
    return Ipv6Address(b);
  }
  return std::nullopt;
}

LinkInfo to_info(rtnl_link* l) {
  LinkInfo info;
  info.index = rtnl_link_get_ifindex(l);
  if (const char* n = rtnl_link_get_name(l)) info.name = n;
  const unsigned flags = rtnl_link_get_flags(l);
  info.admin_up = (flags & IFF_UP) != 0;
  info.oper_up = (flags & IFF_RUNNING) != 0;
  if (nl_addr* a = rtnl_link_get_addr(l); a != nullptr && nl_addr_get_len(a) == 6) {
    const auto* d = static_cast<const std::uint8_t*>(nl_addr_get_binary_addr(a));
    info.mac = MacAddress({d[0], d[1], d[2], d[3], d[4], d[5]});
  }
  info.mtu = rtnl_link_get_mtu(l);
  if (const char* k = rtnl_link_get_type(l)) info.kind = k;
  return info;
}

std::optional<AddressInfo> to_info(rtnl_addr* a) {
  auto local = from_nl(rtnl_addr_get_local(a));
  if (!local) return std::nullopt;
  AddressInfo info;
  info.ifindex = rtnl_addr_get_ifindex(a);
  info.prefix = IpPrefix(*local, static_cast<unsigned>(rtnl_addr_get_prefixlen(a)));
  info.flags = rtnl_addr_get_flags(a);
  info.scope = static_cast<unsigned>(rtnl_addr_get_scope(a));
  if (const char* label = rtnl_addr_get_label(a)) info.label = label;
  return info;
}

Sock open_socket() {
  Sock s(nl_socket_alloc());
  if (!s) throw std::runtime_error("netlink: out of memory");
  if (int rc = nl_connect(s.get(), NETLINK_ROUTE); rc < 0) {
    throw std::runtime_error(std::string("netlink: cannot open a route socket: ") + nl_geterror(rc));
  }
  return s;
}

class LibnlNetlink final : public Netlink {
 public:
  explicit LibnlNetlink(boost::asio::io_context& io)
      : request_(open_socket()), events_(open_socket()), descriptor_(io) {
    nl_socket_disable_seq_check(events_.get());
    nl_socket_modify_cb(events_.get(), NL_CB_VALID, NL_CB_CUSTOM, &LibnlNetlink::on_message, this);
    if (int rc = nl_socket_add_memberships(events_.get(), RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR,
                                           RTNLGRP_ND_USEROPT, 0);
        rc < 0) {
      throw std::runtime_error(std::string("netlink: cannot join groups: ") + nl_geterror(rc));
    }
    nl_socket_set_buffer_size(events_.get(), 4 << 20, 0);
    nl_socket_set_nonblocking(events_.get());
    descriptor_.assign(nl_socket_get_fd(events_.get()));
    wait();
  }

  ~LibnlNetlink() override {
    boost::system::error_code ec;
    descriptor_.cancel(ec);
    descriptor_.release();  // the fd belongs to the nl_sock
  }

  std::optional<LinkInfo> link(std::string_view name) override {
    rtnl_link* l = nullptr;
    std::string n(name);
    if (rtnl_link_get_kernel(request_.get(), 0, n.c_str(), &l) < 0) return std::nullopt;
    Link owned(l);
    return to_info(l);
  }

  std::optional<LinkInfo> link(int index) override {
    rtnl_link* l = nullptr;
    if (rtnl_link_get_kernel(request_.get(), index, nullptr, &l) < 0) return std::nullopt;
    Link owned(l);
    return to_info(l);
  }

  std::vector<LinkInfo> links() override {
    nl_cache* c = nullptr;
    std::vector<LinkInfo> out;
    if (rtnl_link_alloc_cache(request_.get(), AF_UNSPEC, &c) < 0) return out;
    Cache cache(c);
    for (nl_object* o = nl_cache_get_first(c); o != nullptr; o = nl_cache_get_next(o)) {
      out.push_back(to_info(reinterpret_cast<rtnl_link*>(o)));
    }
    return out;
  }

  std::error_code set_link_up(int index, bool up) override {
    Link orig(rtnl_link_alloc());
    Link change(rtnl_link_alloc());
    rtnl_link_set_ifindex(orig.get(), index);
    if (up) {
      rtnl_link_set_flags(change.get(), IFF_UP);
    } else {
      rtnl_link_unset_flags(change.get(), IFF_UP);
    }
    return nl_error(rtnl_link_change(request_.get(), orig.get(), change.get(), 0));
  }

  std::vector<AddressInfo> addresses(std::optional<int> ifindex, std::optional<Family> family) override {
    nl_cache* c = nullptr;
    std::vector<AddressInfo> out;
    if (rtnl_addr_alloc_cache(request_.get(), &c) < 0) return out;
    Cache cache(c);
    for (nl_object* o = nl_cache_get_first(c); o != nullptr; o = nl_cache_get_next(o)) {
      auto info = to_info(reinterpret_cast<rtnl_addr*>(o));
      if (!info || (ifindex && info->ifindex != *ifindex) || (family && info->prefix.family() != *family)) continue;
      out.push_back(std::move(*info));
    }
    return out;
  }

  std::error_code add_address(int ifindex, const IpPrefix& prefix, const AddressOptions& options) override {
    Addr a = make_addr(ifindex, prefix);
    if (options.flags != 0) rtnl_addr_set_flags(a.get(), options.flags);
    rtnl_addr_set_scope(a.get(), static_cast<int>(options.scope));
    if (!options.label.empty()) rtnl_addr_set_label(a.get(), options.label.c_str());
    int rc = rtnl_addr_add(request_.get(), a.get(), 0);
    return rc == -NLE_EXIST ? std::error_code() : nl_error(rc);
  }

  std::error_code remove_address(int ifindex, const IpPrefix& prefix) override {
    Addr a = make_addr(ifindex, prefix);
    int rc = rtnl_addr_delete(request_.get(), a.get(), 0);
    return rc == -NLE_NOADDR || rc == -NLE_OBJ_NOTFOUND ? std::error_code() : nl_error(rc);
  }

  std::vector<RouteInfo> routes(Family family, unsigned table) override {
    nl_cache* c = nullptr;
    std::vector<RouteInfo> out;
    if (rtnl_route_alloc_cache(request_.get(), family == Family::ipv4 ? AF_INET : AF_INET6, 0, &c) < 0) return out;
    Cache cache(c);
    for (nl_object* o = nl_cache_get_first(c); o != nullptr; o = nl_cache_get_next(o)) {
      auto* r = reinterpret_cast<rtnl_route*>(o);
      if (rtnl_route_get_table(r) != table) continue;
      RouteInfo info;
      info.table = table;
      info.protocol = rtnl_route_get_protocol(r);
      info.metric = rtnl_route_get_priority(r);
      nl_addr* dst = rtnl_route_get_dst(r);
      auto d = from_nl(dst);
      if (d) {
        info.destination = IpPrefix(*d, static_cast<unsigned>(nl_addr_get_prefixlen(dst)));
      } else {
        info.destination = family == Family::ipv4 ? IpPrefix(Ipv4Address(), 0) : IpPrefix(Ipv6Address(), 0);
      }
      info.source = from_nl(rtnl_route_get_pref_src(r));
      if (rtnl_route_get_nnexthops(r) > 0) {
        rtnl_nexthop* nh = rtnl_route_nexthop_n(r, 0);
        info.oif = rtnl_route_nh_get_ifindex(nh);
        info.gateway = from_nl(rtnl_route_nh_get_gateway(nh));
      }
      out.push_back(std::move(info));
    }
    return out;
  }

  std::error_code add_route(const RouteInfo& route, bool replace) override {
    Route r = make_route(route);
    return nl_error(rtnl_route_add(request_.get(), r.get(), replace ? NLM_F_REPLACE : NLM_F_EXCL));
  }

  std::error_code remove_route(const RouteInfo& route) override {
    Route r = make_route(route);
    int rc = rtnl_route_delete(request_.get(), r.get(), 0);
    return rc == -NLE_OBJ_NOTFOUND ? std::error_code() : nl_error(rc);
  }

  std::optional<Ip6TunnelParams> ip6_tunnel(std::string_view name) override {
    rtnl_link* l = nullptr;
    std::string n(name);
    if (rtnl_link_get_kernel(request_.get(), 0, n.c_str(), &l) < 0) return std::nullopt;
    Link owned(l);
    if (!rtnl_link_is_ip6_tnl(l)) return std::nullopt;
    Ip6TunnelParams p;
    p.name = n;
    p.index = rtnl_link_get_ifindex(l);
    p.link = static_cast<int>(rtnl_link_ip6_tnl_get_link(l));
    in6_addr a{};
    std::array<std::uint8_t, 16> b{};
    if (rtnl_link_ip6_tnl_get_local(l, &a) == 0) {
      std::memcpy(b.data(), &a, 16);
      p.local = Ipv6Address(b);
    }
    if (rtnl_link_ip6_tnl_get_remote(l, &a) == 0) {
      std::memcpy(b.data(), &a, 16);
      p.remote = Ipv6Address(b);
    }
    p.proto = rtnl_link_ip6_tnl_get_proto(l);
    if ((rtnl_link_ip6_tnl_get_flags(l) & IP6_TNL_F_IGN_ENCAP_LIMIT) == 0) {
      p.encap_limit = rtnl_link_ip6_tnl_get_encaplimit(l);
    }
    p.hop_limit = rtnl_link_ip6_tnl_get_ttl(l);
    p.mtu = rtnl_link_get_mtu(l);
    return p;
  }

  std::error_code add_ip6_tunnel(const Ip6TunnelParams& params) override {
    Link l = make_ip6_tunnel(params);
    if (!l) return nl_error(-NLE_NOMEM);
    return nl_error(rtnl_link_add(request_.get(), l.get(), NLM_F_CREATE | NLM_F_EXCL));
  }

  std::error_code change_ip6_tunnel(int index, const Ip6TunnelParams& params) override {
    Link orig(rtnl_link_ip6_tnl_alloc());
    Link change = make_ip6_tunnel(params);
    if (!orig || !change) return nl_error(-NLE_NOMEM);
    rtnl_link_set_ifindex(orig.get(), index);
    rtnl_link_set_name(orig.get(), params.name.c_str());
    return nl_error(rtnl_link_change(request_.get(), orig.get(), change.get(), 0));
  }

  std::error_code remove_link(int index) override {
    Link l(rtnl_link_alloc());
    rtnl_link_set_ifindex(l.get(), index);
    int rc = rtnl_link_delete(request_.get(), l.get());
    return rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND ? std::error_code() : nl_error(rc);
  }

  SubscriptionId subscribe(Subscriber s) override {
    subscribers_.emplace(++next_id_, std::move(s));
    return next_id_;
  }

  void unsubscribe(SubscriptionId id) override { subscribers_.erase(id); }

 private:
  static Addr make_addr(int ifindex, const IpPrefix& prefix) {
    Addr a(rtnl_addr_alloc());
    rtnl_addr_set_ifindex(a.get(), ifindex);
    rtnl_addr_set_family(a.get(), prefix.address().is_v4() ? AF_INET : AF_INET6);
    NlAddr local = to_nl(prefix.address(), prefix.length());
    rtnl_addr_set_local(a.get(), local.get());
    rtnl_addr_set_prefixlen(a.get(), static_cast<int>(prefix.length()));
    return a;
  }

  static Link make_ip6_tunnel(const Ip6TunnelParams& p) {
    Link l(rtnl_link_ip6_tnl_alloc());
    if (!l) return l;
    rtnl_link_set_name(l.get(), p.name.c_str());
    rtnl_link_set_mtu(l.get(), p.mtu);
    rtnl_link_ip6_tnl_set_link(l.get(), static_cast<std::uint32_t>(p.link));
    in6_addr a{};
    std::memcpy(&a, p.local.bytes().data(), 16);
    rtnl_link_ip6_tnl_set_local(l.get(), &a);
    std::memcpy(&a, p.remote.bytes().data(), 16);
    rtnl_link_ip6_tnl_set_remote(l.get(), &a);
    // libnl sends no IFLA_IPTUN_PROTO unless set, and the kernel then takes
    // 0: "any", which would also accept IPv6 inside.
    rtnl_link_ip6_tnl_set_proto(l.get(), p.proto);
    rtnl_link_ip6_tnl_set_ttl(l.get(), p.hop_limit);
    rtnl_link_ip6_tnl_set_tos(l.get(), 0);
    rtnl_link_ip6_tnl_set_flowinfo(l.get(), 0);
    rtnl_link_ip6_tnl_set_encaplimit(l.get(), p.encap_limit.value_or(0));
    rtnl_link_ip6_tnl_set_flags(l.get(), p.encap_limit ? 0 : IP6_TNL_F_IGN_ENCAP_LIMIT);
    return l;
  }

  static Route make_route(const RouteInfo& info) {
    Route r(rtnl_route_alloc());
    const int family = info.destination.address().is_v4() ? AF_INET : AF_INET6;
    rtnl_route_set_family(r.get(), static_cast<uint8_t>(family));
    NlAddr dst = to_nl(info.destination.network().address(), info.destination.length());
    rtnl_route_set_dst(r.get(), dst.get());
    rtnl_route_set_table(r.get(), info.table);
    rtnl_route_set_protocol(r.get(), static_cast<uint8_t>(info.protocol));
    rtnl_route_set_priority(r.get(), info.metric);
    rtnl_route_set_scope(r.get(), info.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
    if (info.source) {
      NlAddr src = to_nl(*info.source, info.source->is_v4() ? 32 : 128);
      rtnl_route_set_pref_src(r.get(), src.get());
    }
    if (info.oif != 0 || info.gateway) {
      rtnl_nexthop* nh = rtnl_route_nh_alloc();
      if (info.oif != 0) rtnl_route_nh_set_ifindex(nh, info.oif);
      if (info.gateway) {
        NlAddr gw = to_nl(*info.gateway, info.gateway->is_v4() ? 32 : 128);
        rtnl_route_nh_set_gateway(nh, gw.get());
      }
      rtnl_route_add_nexthop(r.get(), nh);  // the route owns nh now
    }
    return r;
  }

  void wait() {
    descriptor_.async_wait(boost::asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
      if (ec == boost::asio::error::operation_aborted) return;
      if (ec) {
        // Keep listening; tell subscribers they may have missed something.
        spdlog::error("netlink: event socket failed: {}; resynchronising", ec.message());
        for (auto& [id, s] : snapshot()) {
          if (subscribers_.contains(id) && s.on_resync) s.on_resync();
        }
      } else {
        drain();
      }
      wait();
      return;
    });
  }

  void drain() {
    for (;;) {
      int rc = nl_recvmsgs_default(events_.get());
      if (rc >= 0) continue;
      if (rc == -NLE_AGAIN) return;
      // ENOBUFS (libnl: NLE_NOMEM): the kernel dropped events for us.
      spdlog::warn("netlink: events lost ({}); resynchronising", nl_geterror(rc));
      for (auto& [id, s] : snapshot()) {
        if (subscribers_.contains(id) && s.on_resync) s.on_resync();
      }
      return;
    }
  }

  std::vector<std::pair<SubscriptionId, Subscriber>> snapshot() const {
    return {subscribers_.begin(), subscribers_.end()};
  }

  static int on_message(nl_msg* msg, void* arg) {
    auto* self = static_cast<LibnlNetlink*>(arg);
    self->current_type_ = nlmsg_hdr(msg)->nlmsg_type;
    if (self->current_type_ == RTM_NEWNDUSEROPT) {
      self->on_nd_user_option(nlmsg_hdr(msg));
      return NL_OK;
    }
    nl_msg_parse(msg, &LibnlNetlink::on_object, self);
    return NL_OK;
  }

  // struct nduseroptmsg, the options (nduseropt_opts_len bytes), then
  // attributes (NDUSEROPT_SRCADDR). libnl has no object for it.
  void on_nd_user_option(const nlmsghdr* h) {
    const auto* base = static_cast<const std::byte*>(nlmsg_data(h));
    const int len = nlmsg_datalen(h);
    if (len < static_cast<int>(sizeof(nduseroptmsg))) return;
    nduseroptmsg m{};
    std::memcpy(&m, base, sizeof m);
    const std::size_t head = NLMSG_ALIGN(sizeof(nduseroptmsg));
    if (m.nduseropt_family != AF_INET6 || head + m.nduseropt_opts_len > static_cast<std::size_t>(len)) return;
    NdUserOptionEvent e;
    e.ifindex = m.nduseropt_ifindex;
    e.icmp_type = m.nduseropt_icmp_type;
    e.options.assign(base + head, base + head + m.nduseropt_opts_len);
    const std::size_t attrs = head + NLMSG_ALIGN(m.nduseropt_opts_len);
    if (attrs < static_cast<std::size_t>(len)) {
      auto* a = reinterpret_cast<const nlattr*>(base + attrs);
      int rem = len - static_cast<int>(attrs);
      for (; nla_ok(a, rem); a = nla_next(a, &rem)) {
        if (nla_type(a) == NDUSEROPT_SRCADDR && nla_len(a) == 16) {
          std::array<std::uint8_t, 16> b{};
          std::memcpy(b.data(), nla_data(a), 16);
          e.router = Ipv6Address(b);
        }
      }
    }
    try {
      for (auto& [id, s] : snapshot()) {
        if (subscribers_.contains(id) && s.on_nd_user_option) s.on_nd_user_option(e);
      }
    } catch (const std::exception& ex) {
      spdlog::error("netlink: an event handler failed: {}", ex.what());
    }
  }

  static void on_object(nl_object* obj, void* arg) {
    auto* self = static_cast<LibnlNetlink*>(arg);
    const int type = self->current_type_;
    // Handlers may subscribe or unsubscribe; iterate over a copy.
    // Nothing may unwind through libnl's C frames.
    try {
      if (type == RTM_NEWLINK || type == RTM_DELLINK) {
        auto* link = reinterpret_cast<rtnl_link*>(obj);
        // AF_BRIDGE messages describe bridge ports: `ip link set X nomaster`
        // sends an RTM_DELLINK for a port whose link lives on.
        if (rtnl_link_get_family(link) != AF_UNSPEC) return;
        LinkEvent e{type == RTM_DELLINK, to_info(link)};
        for (auto& [id, s] : self->snapshot()) {
          if (self->subscribers_.contains(id) && s.on_link) s.on_link(e);
        }
      } else if (type == RTM_NEWADDR || type == RTM_DELADDR) {
        auto info = to_info(reinterpret_cast<rtnl_addr*>(obj));
        if (!info) return;
        AddressEvent e{type == RTM_DELADDR, std::move(*info)};
        for (auto& [id, s] : self->snapshot()) {
          if (self->subscribers_.contains(id) && s.on_address) s.on_address(e);
        }
      }
    } catch (const std::exception& e) {
      spdlog::error("netlink: an event handler failed: {}", e.what());
    }
  }

  Sock request_;
  Sock events_;
  boost::asio::posix::stream_descriptor descriptor_;
  std::map<SubscriptionId, Subscriber> subscribers_;
  SubscriptionId next_id_ = 0;
  int current_type_ = 0;
};

}  // namespace

bool is_unsupported_kind(const std::error_code& e) {
  return e.category() == libnl_category() && e.value() == NLE_OPNOTSUPP;
}

const std::error_category& libnl_category() {
  static const LibnlCategory category;
  return category;
}

std::unique_ptr<Netlink> make_libnl_netlink(boost::asio::io_context& io) {
  return std::make_unique<LibnlNetlink>(io);
}

}  // namespace pairgate
