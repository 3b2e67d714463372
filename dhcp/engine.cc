#include "dhcp/engine.h"

#include "core/lease_sync.h"
#include "dhcp/lease_record.h"

#include <algorithm>

namespace pairgate::dhcp {

namespace {

constexpr std::array<std::string_view, kDropCount> kDropNames = {
    "parse-error",   "not-request",     "no-message-type", "unknown-subnet",  "no-server-address", "other-server",
    "no-record",     "bad-request",     "pool-exhausted",  "probe-pending",   "client-mismatch", "not-in-pools",
    "relay-not-unicast", "relay-hops", "relay-interface", "relay-unknown"};

const Ipv4Address kBroadcast{0xffffffffu};

std::vector<std::uint8_t> text_bytes(std::string_view s) { return {s.begin(), s.end()}; }

}  // namespace


std::string_view to_string(Drop d) { return kDropNames[static_cast<std::size_t>(d)]; }

Engine::Engine(conf::Dhcp config) { configure(std::move(config)); }

void Engine::configure(conf::Dhcp config) {
  std::vector<std::optional<Ipv4Address>> servers;
  for (std::size_t i = 0; i < config.subnets.size(); ++i) {
    // A subnet that stays (same interface and prefix) keeps its address.
    std::optional<Ipv4Address> keep;
    for (std::size_t j = 0; j < config_.subnets.size(); ++j) {
      if (config_.subnets[j].interface == config.subnets[i].interface &&
          config_.subnets[j].subnet == config.subnets[i].subnet) {
        keep = subnets_[j].server;
      }
    }
    servers.push_back(keep);
  }
  config_ = std::move(config);
  subnets_.assign(config_.subnets.size(), Subnet{});
  for (std::size_t i = 0; i < subnets_.size(); ++i) {
    subnets_[i].server = servers[i];
    for (const auto& p : config_.subnets[i].pools) subnets_[i].pool_size += p.range.size();
  }
  probes_.clear();  // their subnets may be gone; the clients retransmit
}

void Engine::set_server_address(std::size_t subnet, std::optional<Ipv4Address> address) {
  if (subnet < subnets_.size()) subnets_[subnet].server = address;
}

std::optional<Ipv4Address> Engine::server_address(std::size_t subnet) const {
  return subnet < subnets_.size() ? subnets_[subnet].server : std::nullopt;
}

Outcome Engine::dropped(Drop d, std::string note) {
  ++counters_.drops[static_cast<std::size_t>(d)];
  Outcome o;
  o.drop = d;
  o.note = std::move(note);
  return o;
}

std::optional<std::size_t> Engine::select_subnet(const Inbound& in) const {
  const Message& m = in.message;
  // RFC 2131 §4.3.1: a relayed message's subnet is the one giaddr is on.
  if (m.giaddr != Ipv4Address{}) {
    for (std::size_t i = 0; i < config_.subnets.size(); ++i) {
      if (config_.subnets[i].subnet.contains(m.giaddr)) return i;
    }
    return std::nullopt;
  }
  // Directly attached: a subnet of the arrival interface that this host has
  // an address in (a relayed subnet may name the same interface).
  std::optional<std::size_t> first, unaddressed;
  for (std::size_t i = 0; i < config_.subnets.size(); ++i) {
    const auto& s = config_.subnets[i];
    if (s.interface != in.interface) continue;
    if (!subnets_[i].server) {
      if (!unaddressed) unaddressed = i;
      continue;
    }
    if (!s.subnet.contains(*subnets_[i].server)) continue;
    if (m.ciaddr != Ipv4Address{} && s.subnet.contains(m.ciaddr)) return i;
    if (!first) first = i;
  }
  return first ? first : unaddressed;
}

ClientKey Engine::client_key(const Message& m) const {
  if (auto it = m.options.find(option::client_id); it != m.options.end() && !it->second.empty()) {
    return ClientKey::from_client_id(it->second);
  }
  return ClientKey::from_hardware(m.htype, std::span(m.chaddr).first(std::min<std::size_t>(m.hlen, 16)));
}

const conf::Reservation* Engine::reservation_for(std::size_t subnet, const Message& m) const {
  auto mac = m.mac();
  auto id = m.options.find(option::client_id);
  for (const auto& r : config_.subnets[subnet].reservations) {
    if (!r.client_id.empty()) {
      if (id != m.options.end() && id->second == r.client_id) return &r;
    } else if (r.hw_address && mac && *r.hw_address == *mac) {
      return &r;
    }
  }
  return nullptr;
}

bool Engine::reserved_for_other(std::size_t subnet, Ipv4Address a, const Message& m) const {
  const auto* mine = reservation_for(subnet, m);
  for (const auto& r : config_.subnets[subnet].reservations) {
    if (r.address == a && &r != mine) return true;
  }
  return false;
}

bool Engine::probing(Ipv4Address a) const {
  return std::ranges::any_of(probes_, [&](const auto& p) { return p.second.address == a; });
}

bool Engine::in_pools(std::size_t subnet, Ipv4Address a) const {
  return std::ranges::any_of(config_.subnets[subnet].pools, [&](const conf::Pool& p) { return p.range.contains(a); });
}

bool Engine::is_ours(Ipv4Address server_id) const {
  return std::ranges::any_of(subnets_, [&](const Subnet& s) { return s.server == server_id; });
}

bool Engine::taken(Ipv4Address a, const ClientKey& client, Time now) const {
  if (const auto* h = holds_.find(a, now.steady); h && (h->kind == Holds::Kind::quarantine || !(h->client == client))) {
    return true;
  }
  auto g = store_.glance(a, client);
  return g && g->state == LeaseState::leased && g->expires > now.wall && !g->same_client;
}

bool Engine::free_for(std::size_t subnet, Ipv4Address a, const ClientKey& client, const Message& m, Time now) const {
  const auto& prefix = config_.subnets[subnet].subnet;
  const auto network = prefix.network().address().v4();
  if (!prefix.contains(a) || a == network || (prefix.length() < 31 && a == prefix.v4_last())) return false;
  if (subnets_[subnet].server == a) return false;
  if (taken(a, client, now)) return false;
  return !reserved_for_other(subnet, a, m);
}

std::optional<Ipv4Address> Engine::choose_address(std::size_t subnet, const ClientKey& client, const Message& m,
                                                  Time now) const {
  if (const auto* r = reservation_for(subnet, m); r && free_for(subnet, r->address, client, m, now)) return r->address;
  // The address it had, the one offered to it, the one it asks for, then its hash's.
  if (std::optional<Lease> own = store_.find(client, config_.subnets[subnet].subnet);
      own && own->state != LeaseState::declined && in_pools(subnet, own->address) &&
      free_for(subnet, own->address, client, m, now)) {
    return own->address;
  }
  // Lease sync: its live binding, even from the peer's pool (not a new address).
  if (std::optional<Lease> own = store_.find(client, config_.subnets[subnet].subnet);
      lease_sync_ && own && own->state == LeaseState::leased && own->expires > now.wall &&
      free_for(subnet, own->address, client, m, now)) {
    return own->address;
  }
  if (auto offered = holds_.offer_of(client, now.steady);
      offered && in_pools(subnet, *offered) && free_for(subnet, *offered, client, m, now)) {
    return *offered;
  }
  if (auto want = m.address_option(option::requested_address);
      want && in_pools(subnet, *want) && free_for(subnet, *want, client, m, now)) {
    return *want;
  }
  const std::uint64_t size = subnets_[subnet].pool_size;
  if (size == 0) return std::nullopt;
  auto at = [&](std::uint64_t index) {
    for (const auto& p : config_.subnets[subnet].pools) {
      if (index < p.range.size()) return Ipv4Address(p.range.first.to_uint() + static_cast<std::uint32_t>(index));
      index -= p.range.size();
    }
    return Ipv4Address{};
  };
  const std::uint64_t start = client.hash() % size;
  // First an address nobody has had, so that a client coming back finds its
  // own still free; then one whose last holder's lease has run out.
  // Last, an address offered to another client more than kOfferStale ago
  // (and not being probed): in a burst both servers of a pair offer to every
  // client, and offers their clients never took must not exhaust the pool
  // for long. A fresh offer is never taken: its client may still REQUEST it.
  std::optional<Ipv4Address> reusable, offered;
  for (std::uint64_t i = 0; i < size; ++i) {
    const Ipv4Address a = at((start + i) % size);
    if (!free_for(subnet, a, client, m, now)) {
      if (offered) continue;
      const auto* h = holds_.find(a, now.steady);
      if (h && h->kind == Holds::Kind::offer && h->since + kOfferStale <= now.steady && !probing(a) &&
          !reserved_for_other(subnet, a, m) && !taken_by_lease(a, client, now)) {
        offered = a;
      }
      continue;
    }
    if (!store_.glance(a, client)) return a;
    if (!reusable) reusable = a;
  }
  return reusable ? reusable : offered;
}

bool Engine::taken_by_lease(Ipv4Address a, const ClientKey& client, Time now) const {
  auto g = store_.glance(a, client);
  return g && g->state == LeaseState::leased && g->expires > now.wall && !g->same_client;
}

void Engine::quarantine(Ipv4Address a, Time now) {
  // Persisted (a restart keeps it out of use), timed on the steady clock.
  store_.put(Lease{a, LeaseState::declined, LeaseOrigin::local, now.wall + kQuarantine.count(), std::nullopt, {}, {},
                   now.wall});
  holds_.quarantine(a, now.steady, kQuarantine);
}

void Engine::adopt(const Lease& l, Time now) {
  if (l.state == LeaseState::offered) return;  // never persisted; an old file's
  store_.put(l);
  if (l.state == LeaseState::declined && l.expires > now.wall) {
    holds_.quarantine(l.address, now.steady, std::min<std::chrono::seconds>(std::chrono::seconds(l.expires - now.wall), kQuarantine));
  }
}

std::optional<Lease> Engine::apply_peer(const Lease& lease, Time now) {
  auto incoming = to_record(lease);
  if (!incoming) return std::nullopt;
  if (std::optional<Lease> current = store_.find(lease.address)) {
    auto mine = to_record(*current);
    if (mine && !supersedes(*incoming, *mine)) return std::nullopt;
  }
  Lease l = lease;
  l.origin = LeaseOrigin::peer;
  // A quarantine of ours ends when the peer's later record says otherwise.
  if (l.state != LeaseState::declined && holds_.quarantined(l.address, now.steady)) holds_.release(l.address);
  adopt(l, now);
  return l;
}

Outcome Engine::handle(const Inbound& in, Time now) {
  ++counters_.received;
  const Message& m = in.message;
  if (m.op != 1) return dropped(Drop::not_request);
  auto type = m.type();
  if (!type) return dropped(Drop::no_message_type);
  switch (*type) {
    case MessageType::discover: ++counters_.discover; break;
    case MessageType::request: ++counters_.request; break;
    case MessageType::decline: ++counters_.decline; break;
    case MessageType::release: ++counters_.release; break;
    case MessageType::inform: ++counters_.inform; break;
    default: return dropped(Drop::no_message_type, std::string(to_string(*type)) + " sent to a server");
  }
  if (auto id = m.options.find(option::client_id); id != m.options.end() && ClientKey::truncated(id->second)) {
    ++counters_.client_id_truncated;  // known by its first kMaxClientId bytes (dhcp/lease.h)
  }
  const bool relayed = m.giaddr != Ipv4Address{};
  // RFC 1542 §4.1.1: more than 16 hops is a loop.
  if (relayed && m.hops > 16) return dropped(Drop::relay_hops, std::to_string(m.hops) + " hops");
  auto subnet = select_subnet(in);
  if (!subnet) return dropped(Drop::unknown_subnet, "from " + in.interface + " giaddr " + m.giaddr.to_string());
  if (relayed) {
    const auto& s = config_.subnets[*subnet];
    if (s.interface != in.interface) {
      return dropped(Drop::relay_interface, "giaddr " + m.giaddr.to_string() + " on " + in.interface + ", served on " + s.interface);
    }
    // A relay agent sends to the server's address (RFC 1542 §4.1.1, RFC
    // 2131 §4.1). A broadcast with giaddr set is served only when giaddr is
    // on this host's own LAN of that interface (a relay there, or perfdhcp,
    // gets what a client there would): a host on the LAN that names a
    // relayed subnet's giaddr and broadcasts would otherwise take that pool
    // while the replies go to the relay.
    const bool own_lan = subnets_[*subnet].server && s.subnet.contains(*subnets_[*subnet].server);
    if (!in.to_us && !own_lan) {
      return dropped(Drop::relay_not_unicast, "giaddr " + m.giaddr.to_string() + " from " + in.source.to_string());
    }
    if (!s.relays.empty() && std::ranges::find(s.relays, in.source) == s.relays.end()) {
      return dropped(Drop::relay_unknown, "relay " + in.source.to_string() + " is not one of " + s.subnet.to_string() + "'s");
    }
  }
  if (server_for(in, *subnet) == Ipv4Address{}) {
    return dropped(Drop::no_server_address, "no address of our own on " + config_.subnets[*subnet].interface);
  }
  switch (*type) {
    case MessageType::discover: return discover(in, *subnet, now);
    case MessageType::request: return request(in, *subnet, now);
    case MessageType::decline: return decline(in, *subnet, now);
    case MessageType::release: return release(in, *subnet, now);
    default: return inform(in, *subnet);
  }
}

Outcome Engine::discover(const Inbound& in, std::size_t subnet, Time now, int attempts) {
  const Message& m = in.message;
  const ClientKey client = client_key(m);
  for (auto& [id, p] : probes_) {
    if (p.client == client) {
      p.in = in;  // answer the latest transaction when the probe ends
      return dropped(Drop::probe_pending);
    }
  }
  auto address = choose_address(subnet, client, m, now);
  if (!address) return dropped(Drop::pool_exhausted, "no free address in " + config_.subnets[subnet].subnet.to_string());

  const bool relayed = m.giaddr != Ipv4Address{};
  auto method = config_.subnets[subnet].conflict_check;
  if (method == conf::ConflictCheck::automatic) method = relayed ? conf::ConflictCheck::none : conf::ConflictCheck::arp;
  if (method == conf::ConflictCheck::arp && relayed) method = conf::ConflictCheck::none;  // ARP cannot reach it
  std::optional<Lease> held = store_.find(*address);
  const bool already_its = (held && held->client == client && held->state != LeaseState::declined) ||
                           holds_.offered_to(*address, client, now.steady);
  if (method == conf::ConflictCheck::none || already_its) return offer(in, subnet, client, *address, now);

  // Hold the address while it is probed, so no other client is offered it.
  holds_.offer(*address, client, now.steady, kOfferHold);
  Probe probe{next_probe_++, *address, method, config_.subnets[subnet].interface, server_for(in, subnet)};
  probes_[probe.id] = PendingProbe{in, subnet, client, *address, attempts};
  Outcome o;
  o.probe = probe;
  if (notes_) o.note = "probing " + address->to_string() + " for " + client.to_string();
  return o;
}

Outcome Engine::probe_result(std::uint64_t id, bool conflict, Time now) {
  auto it = probes_.find(id);
  if (it == probes_.end()) return {};
  PendingProbe p = std::move(it->second);
  probes_.erase(it);
  if (!holds_.offered_to(p.address, p.client, now.steady)) {
    return dropped(Drop::probe_pending, p.address.to_string() + " is no longer held for " + p.client.to_string());
  }
  if (!conflict) return offer(p.in, p.subnet, p.client, p.address, now);
  // Someone answers for it: quarantined, and the next address is probed.
  ++counters_.conflicts;
  quarantine(p.address, now);
  if (p.attempts >= kMaxProbes) {
    return dropped(Drop::pool_exhausted, std::to_string(p.attempts) + " probed addresses in use");
  }
  Outcome o = discover(p.in, p.subnet, now, p.attempts + 1);
  if (notes_) o.note = p.address.to_string() + " is in use; " + o.note;
  return o;
}

Outcome Engine::offer(const Inbound& in, std::size_t subnet, const ClientKey& client, Ipv4Address a, Time now) {
  const Message& m = in.message;
  std::optional<Lease> held = store_.find(a);
  // A client that still holds a lease keeps it; anyone else gets a hold.
  if (!(held && held->client == client && held->state == LeaseState::leased && held->expires > now.wall)) {
    holds_.offer(a, client, now.steady, kOfferHold);
  }
  const Ipv4Address server = server_for(in, subnet);
  Message r = reply_to(m, MessageType::offer, server);
  r.yiaddr = a;
  const auto* res = reservation_for(subnet, m);
  add_options(r, m, subnet, lease_seconds(subnet, m), res ? res->hostname : std::string());
  ++counters_.offer_sent;
  Outcome o;
  o.reply = deliver(in, std::move(r), server);
  if (notes_) o.note = "offer " + a.to_string() + " to " + client.to_string();
  return o;
}

Outcome Engine::ack(const Inbound& in, std::size_t subnet, const ClientKey& client, Ipv4Address a, Time now) {
  const Message& m = in.message;
  const std::uint32_t secs = lease_seconds(subnet, m);
  const auto* res = reservation_for(subnet, m);
  std::string hostname = res ? res->hostname : std::string();
  if (hostname.empty()) {
    if (auto it = m.options.find(option::host_name); it != m.options.end()) {
      // RFC 3396 concatenation makes this up to 64 KiB; a DNS name is 255.
      hostname.assign(it->second.begin(), it->second.begin() + std::min(it->second.size(), kMaxHostname + 1));
    }
  }
  if (cap_hostname(hostname)) ++counters_.hostname_truncated;
  Lease lease{a, LeaseState::leased, LeaseOrigin::local, now.wall + secs, m.mac(), client, hostname, now.wall};
  std::optional<Lease> previous = store_.find(a);
  store_.put(lease);
  holds_.release(a);  // the offer became the lease
  // One lease per client per subnet (as Kea): an address it had before in
  // this subnet is retired, in the same batch.
  std::vector<Outcome::Change> retired;
  for (const Lease& old : store_.find_all(client, config_.subnets[subnet].subnet)) {
    if (old.address == a) continue;
    Lease gone{old.address, LeaseState::expired, LeaseOrigin::local, std::min(old.expires, now.wall), std::nullopt, {}, {},
               now.wall};
    store_.put(gone);
    retired.push_back({std::move(gone), old});
  }
  const Ipv4Address server = server_for(in, subnet);
  Message r = reply_to(m, MessageType::ack, server);
  r.yiaddr = a;
  r.ciaddr = m.ciaddr;
  add_options(r, m, subnet, secs, res ? res->hostname : std::string());
  ++counters_.ack_sent;
  Outcome o;
  o.reply = deliver(in, std::move(r), server);
  o.commit = std::move(lease);
  o.previous = std::move(previous);
  if (notes_) {
    o.note = "ack " + a.to_string() + " for " + std::to_string(secs) + " s";
    for (const auto& r : retired) o.note += "; " + r.lease.address.to_string() + " retired";
  }
  o.retired = std::move(retired);
  return o;
}

Outcome Engine::ack_unextended(const Inbound& in, std::size_t subnet, const Lease& lease, Time now) {
  const Message& m = in.message;
  const auto left = static_cast<std::uint32_t>(std::min<std::int64_t>(lease.expires - now.wall, 0xffffffffLL));
  const Ipv4Address server = server_for(in, subnet);
  Message r = reply_to(m, MessageType::ack, server);
  r.yiaddr = lease.address;
  r.ciaddr = m.ciaddr;
  add_options(r, m, subnet, left, lease.hostname);
  ++counters_.ack_sent;
  ++counters_.ack_unextended;
  Outcome o;
  o.reply = deliver(in, std::move(r), server);
  if (notes_) {
    o.note = "ack " + lease.address.to_string() + " unextended (outside our pools), " + std::to_string(left) + " s left";
  }
  return o;
}

Outcome Engine::nak(const Inbound& in, std::size_t subnet, std::string_view why) {
  const Message& m = in.message;
  const Ipv4Address server = server_for(in, subnet);
  Message r = reply_to(m, MessageType::nak, server);
  r.set(option::message, text_bytes(why));
  if (auto it = m.options.find(option::client_id); it != m.options.end()) r.set(option::client_id, it->second);
  // RFC 3046 §2.2: the relay agent information comes back in every reply.
  if (auto it = m.options.find(option::relay_agent_information); it != m.options.end()) {
    r.set(option::relay_agent_information, it->second);
  }
  // RFC 2131 §4.3.2: through a relay, the NAK asks for a broadcast.
  if (m.giaddr != Ipv4Address{}) r.flags |= Message::kBroadcast;
  ++counters_.nak_sent;
  Outcome o;
  o.reply = deliver(in, std::move(r), server);
  if (notes_) o.note = "nak: " + std::string(why);
  return o;
}

Outcome Engine::request(const Inbound& in, std::size_t subnet, Time now) {
  std::string_view state;
  Outcome o = request_in(in, subnet, now, state);
  if (notes_) o.note = std::string(state) + ": " + o.note;
  return o;
}

// RFC 2131 §4.3.2 and Table 4: which state the client is in decides.
Outcome Engine::request_in(const Inbound& in, std::size_t subnet, Time now, std::string_view& state) {
  const Message& m = in.message;
  const ClientKey client = client_key(m);
  const auto& prefix = config_.subnets[subnet].subnet;
  const auto* res = reservation_for(subnet, m);
  auto mine = [&](Ipv4Address a) { return in_pools(subnet, a) || (res && res->address == a); };

  if (auto sid = m.address_option(option::server_id)) {
    state = "SELECTING";
    if (!is_ours(*sid) && *sid != server_for(in, subnet)) {
      // It chose another server: our offer is free again, and we are silent.
      holds_.end_offer_of(client);
      std::erase_if(probes_, [&](const auto& p) { return p.second.client == client; });
      return dropped(Drop::other_server, "chose " + sid->to_string());
    }
    auto want = m.address_option(option::requested_address);
    if (!want) return dropped(Drop::bad_request, "SELECTING without a requested address");
    if (!prefix.contains(*want)) return nak(in, subnet, "requested address is not on this network");
    // We offer only from our pools and reservations; an offer that a reload
    // has taken out of them is not acknowledged (the client starts over).
    if (!mine(*want)) {
      // With lease sync we offer a client its live binding wherever it is.
      if (std::optional<Lease> l = store_.find(*want); lease_sync_ && l && l->client == client &&
                                                        l->state == LeaseState::leased && l->expires > now.wall) {
        return ack(in, subnet, client, *want, now);
      }
      // A server identifier both routers give (a VRRP address): the other
      // router's offer, from its pool. Not ours to refuse.
      if (config_.subnets[subnet].server_identifier && *sid == *config_.subnets[subnet].server_identifier) {
        holds_.end_offer_of(client);
        return dropped(Drop::other_server, "chose the other router's offer of " + want->to_string());
      }
      return nak(in, subnet, want->to_string() + " is no longer leased by this server");
    }
    if (holds_.offered_to(*want, client, now.steady)) return ack(in, subnet, client, *want, now);
    if (std::optional<Lease> l = store_.find(*want); l && l->client == client && l->state != LeaseState::declined &&
                                                      free_for(subnet, *want, client, m, now)) {
      return ack(in, subnet, client, *want, now);
    }
    if (free_for(subnet, *want, client, m, now)) return ack(in, subnet, client, *want, now);
    return nak(in, subnet, want->to_string() + " is not available");
  }

  const bool init_reboot = m.ciaddr == Ipv4Address{};
  const auto requested = init_reboot ? m.address_option(option::requested_address) : std::optional(m.ciaddr);
  if (!requested) {
    state = "REQUEST";
    return dropped(Drop::bad_request, "neither server id, requested address nor ciaddr");
  }
  const Ipv4Address a = *requested;
  state = init_reboot ? "INIT-REBOOT" : (in.destination == kBroadcast ? "REBINDING" : "RENEWING");

  // "On the wrong network": we know that as well as anyone.
  if (!prefix.contains(a)) return nak(in, subnet, "address is not on this network");
  std::optional<Lease> l = store_.find(a);
  if (l && l->client == client && l->state != LeaseState::declined && !mine(a)) {
    // Our record, but no longer in our pools (a reload moved the split):
    // RFC 2131 §4.3.2, "the server may choose not to extend the lease ...
    // but should return a DHCPACK message regardless". What is left of it
    // runs out; then silence (with lease sync the address may be the peer's
    // client's: never a NAK). Its next DISCOVER gets one of our pools.
    if (l->state == LeaseState::leased && l->expires > now.wall) {
      // With lease sync, the peer's client (or ours of a moved split): the
      // binding is known to both routers, so it is renewed in full.
      if (lease_sync_) return ack(in, subnet, client, a, now);
      return ack_unextended(in, subnet, *l, now);
    }
    return dropped(Drop::not_in_pools, a.to_string() + " is outside this host's pools and its lease has run out");
  }
  if (l && l->client == client && l->state != LeaseState::declined) {
    if (free_for(subnet, a, client, m, now)) return ack(in, subnet, client, a, now);
  }
  if (taken(a, client, now)) return nak(in, subnet, "address is leased to another client");
  if (init_reboot) {
    if (std::optional<Lease> own = store_.find(client, prefix);
        own && own->state == LeaseState::leased && own->expires > now.wall && mine(a)) {
      return nak(in, subnet, "client's lease is " + own->address.to_string());
    }
  }
  if (res && res->address == a && free_for(subnet, a, client, m, now)) return ack(in, subnet, client, a, now);
  // RENEWING is unicast to us: the client's lease was ours even if the
  // record is gone, and the address is free: keep it bound.
  if (state == "RENEWING" && in_pools(subnet, a) && free_for(subnet, a, client, m, now)) {
    return ack(in, subnet, client, a, now);
  }
  // No record: the peer's client, or one that the peer will answer. Silence.
  return dropped(Drop::no_record, "no record of " + a.to_string());
}

Outcome Engine::decline(const Inbound& in, std::size_t subnet, Time now) {
  const Message& m = in.message;
  auto sid = m.address_option(option::server_id);
  if (!sid || (!is_ours(*sid) && *sid != server_for(in, subnet))) return dropped(Drop::other_server);
  auto a = m.address_option(option::requested_address);
  std::optional<Lease> l = a ? store_.find(*a) : std::nullopt;
  // A client DECLINEs an address it was just acknowledged (RFC 2131 §4.4.1):
  // honoured only from the client that holds that address bound (as Kea).
  // Anyone else — a DECLINE of an offer, of another client's address, of a
  // lease that has ended — is counted and ignored: ten forged DECLINEs
  // would otherwise keep ten addresses out of use for an hour.
  if (!l || !(l->client == client_key(m)) || l->state != LeaseState::leased || l->expires <= now.wall) {
    return dropped(Drop::client_mismatch, "DECLINE of an address the client does not hold bound");
  }
  // RFC 2131 §4.3.3: the address is marked not available.
  Outcome o;
  o.previous = *l;
  quarantine(*a, now);
  ++counters_.declined_addresses;
  o.commit = store_.find(*a);
  if (notes_) o.note = "declined " + a->to_string();
  return o;
}

Outcome Engine::release(const Inbound& in, std::size_t subnet, Time now) {
  const Message& m = in.message;
  if (auto sid = m.address_option(option::server_id); sid && !is_ours(*sid) && *sid != server_for(in, subnet)) {
    return dropped(Drop::other_server);
  }
  std::optional<Lease> l = store_.find(m.ciaddr);
  if (!l || !(l->client == client_key(m)) || l->state != LeaseState::leased) {
    return dropped(Drop::client_mismatch, "RELEASE of an address not its");
  }
  // RFC 2131 §4.3.4: the lease ends; the client keeps its claim while free.
  Lease r = *l;
  r.state = LeaseState::released;
  r.origin = LeaseOrigin::local;
  r.expires = now.wall;
  r.cltt = now.wall;
  Outcome o;
  o.previous = *l;
  store_.put(r);
  o.commit = r;
  if (notes_) o.note = "released " + m.ciaddr.to_string();
  return o;
}

Outcome Engine::inform(const Inbound& in, std::size_t subnet) {
  // RFC 2131 §4.3.5: configuration only; no lease, no lease time.
  const Message& m = in.message;
  const Ipv4Address server = server_for(in, subnet);
  Message r = reply_to(m, MessageType::ack, server);
  r.ciaddr = m.ciaddr;
  const auto* res = reservation_for(subnet, m);
  add_options(r, m, subnet, std::nullopt, res ? res->hostname : std::string());
  ++counters_.ack_sent;
  Outcome o;
  o.reply = deliver(in, std::move(r), server);
  if (notes_) o.note = "inform";
  return o;
}

void Engine::undo(const Lease& commit, const std::optional<Lease>& previous, Time now) {
  if (commit.state == LeaseState::declined) holds_.release(commit.address);
  if (previous) {
    store_.put(*previous);
    return;
  }
  // The address had no record: it has none again, and its client a short
  // hold, as after an offer (it will ask again).
  store_.erase(commit.address);
  if (!commit.client.empty()) holds_.offer(commit.address, commit.client, now.steady, kOfferHold);
}

std::size_t Engine::reclaim(Time now) {
  holds_.expire(now.steady);
  std::size_t n = 0;
  store_.update_each([&](Lease& l) {
    switch (l.state) {
      case LeaseState::leased:
        if (l.expires > now.wall) return;
        l.state = LeaseState::expired;
        ++counters_.reclaimed;
        ++n;
        break;
      case LeaseState::offered:  // an old file's
        l.state = LeaseState::expired;
        break;
      case LeaseState::declined:
        // The quarantine runs on the steady clock (dhcp/holds.h).
        if (holds_.quarantined(l.address, now.steady)) return;
        l.state = LeaseState::expired;
        ++counters_.reclaimed_declined;
        break;
      default:
        break;
    }
  });
  return n;
}

std::vector<std::size_t> Engine::pool_usage(std::size_t subnet, Time now) const {
  const auto& pools = config_.subnets[subnet].pools;
  std::vector<std::size_t> used(pools.size(), 0);
  auto count = [&](Ipv4Address a) {
    for (std::size_t i = 0; i < pools.size(); ++i) {
      if (pools[i].range.contains(a)) ++used[i];
    }
  };
  holds_.for_each(now.steady, [&](Ipv4Address a, const Holds::Hold&) { count(a); });
  store_.for_each_view([&](const LeaseStore::View& l) {
    if (l.state == LeaseState::leased && l.expires > now.wall && !holds_.find(l.address, now.steady)) count(l.address);
  });
  return used;
}

std::size_t Engine::active_leases(std::int64_t wall) const {
  std::size_t n = 0;
  store_.for_each_view([&](const LeaseStore::View& l) { n += l.state == LeaseState::leased && l.expires > wall; });
  return n;
}

}  // namespace pairgate::dhcp
