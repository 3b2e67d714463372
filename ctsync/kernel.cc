#include "ctsync/kernel.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_conntrack_tcp.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "conf/config.h"

namespace pairgate::ctsync {

namespace {

// The status bits a new entry may be given (ctnetlink refuses to set
// CONFIRMED, EXPECTED, DYING and the NAT bits by hand).
constexpr std::uint32_t kStatusKept = IPS_SEEN_REPLY | IPS_ASSURED;
// Events come in bursts (a port scan through the router, a dump's worth of
// NEWs); a bigger receive buffer loses fewer (ENOBUFS is counted and
// answered with a full refresh).
constexpr unsigned kEventBuffer = 4 * 1024 * 1024;

struct Handle {
  nfct_handle* h;
  explicit Handle(unsigned groups) : h(nfct_open(CONNTRACK, groups)) {}
  ~Handle() {
    if (h) nfct_close(h);
  }
};

struct Conntrack {
  nf_conntrack* ct = nfct_new();
  ~Conntrack() {
    if (ct) nfct_destroy(ct);
  }
};

}  // namespace

std::optional<Entry> from_kernel(const nf_conntrack* ct) {
  if (!nfct_attr_is_set(ct, ATTR_L3PROTO) || nfct_get_attr_u8(ct, ATTR_L3PROTO) != AF_INET) return std::nullopt;
  if (!nfct_attr_is_set(ct, ATTR_MARK) || (nfct_get_attr_u32(ct, ATTR_MARK) & conf::kStateSyncMark) == 0) {
    return std::nullopt;
  }
  const std::uint8_t l4 = nfct_get_attr_u8(ct, ATTR_L4PROTO);
  if (!valid_l4(l4)) return std::nullopt;
  Entry e;
  e.key.l4 = static_cast<L4>(l4);
  e.key.orig.src = ntohl(nfct_get_attr_u32(ct, ATTR_IPV4_SRC));
  e.key.orig.dst = ntohl(nfct_get_attr_u32(ct, ATTR_IPV4_DST));
  e.reply.src = ntohl(nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC));
  e.reply.dst = ntohl(nfct_get_attr_u32(ct, ATTR_REPL_IPV4_DST));
  if (e.key.l4 == L4::icmp) {
    // A NATed echo: the identifier NAT chose (a MAP-E CE maps it into its
    // port sets) is in the reply tuple, which libnetfilter_conntrack does
    // not expose; committed without it the entry would translate the echo
    // with the LAN's identifier. Not synced: the next echo request makes a
    // new entry through the NAT rules at the new master.
    if (e.reply.dst != e.key.orig.src) return std::nullopt;
    e.key.orig.sport = ntohs(nfct_get_attr_u16(ct, ATTR_ICMP_ID));
    e.key.orig.dport = static_cast<std::uint16_t>(nfct_get_attr_u8(ct, ATTR_ICMP_TYPE) << 8 |
                                                  nfct_get_attr_u8(ct, ATTR_ICMP_CODE));
  } else {
    e.key.orig.sport = ntohs(nfct_get_attr_u16(ct, ATTR_PORT_SRC));
    e.key.orig.dport = ntohs(nfct_get_attr_u16(ct, ATTR_PORT_DST));
    e.reply.sport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
    e.reply.dport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_DST));
  }
  if (e.key.l4 == L4::tcp && nfct_attr_is_set(ct, ATTR_TCP_STATE)) {
    e.tcp_state = std::min<std::uint8_t>(nfct_get_attr_u8(ct, ATTR_TCP_STATE), kMaxTcpState);
  }
  if (nfct_attr_is_set(ct, ATTR_TIMEOUT)) {
    e.timeout_s = std::min(nfct_get_attr_u32(ct, ATTR_TIMEOUT), kMaxTimeoutSeconds);
  }
  e.mark = nfct_get_attr_u32(ct, ATTR_MARK);
  if (nfct_attr_is_set(ct, ATTR_STATUS)) e.status = nfct_get_attr_u32(ct, ATTR_STATUS) & kStatusKept;
  return e;
}

namespace {

// The entry as ctnetlink wants it for a create: the original tuple, the
// reply tuple as it was before NAT (the original inverted), and the NAT the
// old master's reply tuple shows as SNAT/DNAT attributes: the kernel's NAT
// setup then rewrites the reply tuple itself and marks the entry as NATed
// (IPS_SRC_NAT/IPS_DST_NAT), which is what makes it translate packets. A
// reply tuple given already translated leaves nothing for the setup to do,
// so the entry lists the mapping but no packet is translated.
// The original tuple: what identifies the entry (create, get, destroy).
void set_original(const Entry& e, nf_conntrack* ct) {
  nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
  nfct_set_attr_u8(ct, ATTR_L4PROTO, static_cast<std::uint8_t>(e.key.l4));
  nfct_set_attr_u32(ct, ATTR_IPV4_SRC, htonl(e.key.orig.src));
  nfct_set_attr_u32(ct, ATTR_IPV4_DST, htonl(e.key.orig.dst));
  if (e.key.l4 == L4::icmp) {
    nfct_set_attr_u8(ct, ATTR_ICMP_TYPE, static_cast<std::uint8_t>(e.key.orig.dport >> 8));
    nfct_set_attr_u8(ct, ATTR_ICMP_CODE, static_cast<std::uint8_t>(e.key.orig.dport & 0xff));
    nfct_set_attr_u16(ct, ATTR_ICMP_ID, htons(e.key.orig.sport));
  } else {
    nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons(e.key.orig.sport));
    nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(e.key.orig.dport));
  }
}

void to_kernel(const Entry& e, nf_conntrack* ct) {
  set_original(e, ct);
  nfct_setobjopt(ct, NFCT_SOPT_SETUP_REPLY);
  if (e.reply.dst != e.key.orig.src) nfct_set_attr_u32(ct, ATTR_SNAT_IPV4, htonl(e.reply.dst));
  if (e.reply.src != e.key.orig.dst) nfct_set_attr_u32(ct, ATTR_DNAT_IPV4, htonl(e.reply.src));
  if (e.key.l4 != L4::icmp) {
    if (e.reply.dport != e.key.orig.sport) nfct_set_attr_u16(ct, ATTR_SNAT_PORT, htons(e.reply.dport));
    if (e.reply.sport != e.key.orig.dport) nfct_set_attr_u16(ct, ATTR_DNAT_PORT, htons(e.reply.sport));
  }
  if (e.key.l4 == L4::tcp) {
    nfct_set_attr_u8(ct, ATTR_TCP_STATE, e.tcp_state);
    // The windows were not synced: the new master must not judge the first
    // segments by windows it never saw (conntrackd does the same).
    nfct_set_attr_u8(ct, ATTR_TCP_FLAGS_ORIG, IP_CT_TCP_FLAG_BE_LIBERAL);
    nfct_set_attr_u8(ct, ATTR_TCP_MASK_ORIG, IP_CT_TCP_FLAG_BE_LIBERAL);
    nfct_set_attr_u8(ct, ATTR_TCP_FLAGS_REPL, IP_CT_TCP_FLAG_BE_LIBERAL);
    nfct_set_attr_u8(ct, ATTR_TCP_MASK_REPL, IP_CT_TCP_FLAG_BE_LIBERAL);
  }
  nfct_set_attr_u32(ct, ATTR_TIMEOUT, e.timeout_s);
  nfct_set_attr_u32(ct, ATTR_MARK, e.mark);
  nfct_set_attr_u32(ct, ATTR_STATUS, e.status & kStatusKept);
}

}  // namespace

namespace {
int on_event(enum nf_conntrack_msg_type type, nf_conntrack* ct, void* self);
}  // namespace

EventSocket::EventSocket(boost::asio::io_context& io, OnChange on_change, OnOverflow on_overflow)
    : io_(io), on_change_(std::move(on_change)), on_overflow_(std::move(on_overflow)) {}

EventSocket::~EventSocket() {
  *alive_ = false;
  if (fd_) {
    fd_->cancel();
    fd_->release();  // nfct_close closes it
  }
  if (handle_) nfct_close(handle_);
}

void EventSocket::open() {
  handle_ = nfct_open(CONNTRACK, NF_NETLINK_CONNTRACK_NEW | NF_NETLINK_CONNTRACK_UPDATE | NF_NETLINK_CONNTRACK_DESTROY);
  if (!handle_) throw std::runtime_error(std::string("conntrack event socket: ") + std::strerror(errno));
  nfnl_rcvbufsiz(nfct_nfnlh(handle_), kEventBuffer);
  nfct_callback_register(handle_, NFCT_T_ALL, &on_event, this);
  const int fd = nfct_fd(handle_);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  fd_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, fd);
  wait();
}

void EventSocket::wait() {
  fd_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                  [this, alive = std::weak_ptr<bool>(alive_)](boost::system::error_code ec) {
                    if (ec || !alive.lock()) return;
                    drain();
                    wait();
                  });
}

void EventSocket::drain() {
  // nfct_catch reads until the socket is empty (EAGAIN) or an error.
  if (nfct_catch(handle_) < 0 && errno == ENOBUFS) {
    ++overflows_;
    if (on_overflow_) on_overflow_();
  }
}

void EventSocket::deliver(bool destroyed, const nf_conntrack* ct) {
  if (auto e = from_kernel(ct)) {
    ++events_;
    on_change_(Change{destroyed ? Op::destroy : Op::update, *e});
  }
}

namespace {
int on_event(enum nf_conntrack_msg_type type, nf_conntrack* ct, void* self) {
  static_cast<EventSocket*>(self)->deliver(type == NFCT_T_DESTROY, ct);
  return NFCT_CB_CONTINUE;
}
}  // namespace

namespace {
int on_dump(const nlmsghdr* message, enum nf_conntrack_msg_type, nf_conntrack* ct, void* data) {
  (*static_cast<const Visit*>(data))(message, ct);
  return NFCT_CB_CONTINUE;
}
}  // namespace

std::expected<void, std::string> for_each_entry(const Visit& visit) {
  Handle h(0);
  if (!h.h) return std::unexpected(std::string("conntrack: ") + std::strerror(errno));
  nfct_callback_register2(h.h, NFCT_T_ALL, &on_dump, const_cast<Visit*>(&visit));
  std::uint32_t family = AF_INET;
  if (nfct_query(h.h, NFCT_Q_DUMP, &family) < 0) {
    return std::unexpected(std::string("conntrack dump: ") + std::strerror(errno));
  }
  return {};
}

std::expected<std::vector<Entry>, std::string> dump_table(std::size_t max_entries) {
  std::vector<Entry> out;
  auto done = for_each_entry([&](const nlmsghdr*, const nf_conntrack* ct) {
    if (out.size() >= max_entries) return;
    if (auto e = from_kernel(ct)) out.push_back(*e);
  });
  if (!done) return std::unexpected(done.error());
  return out;
}

namespace {

int on_get(enum nf_conntrack_msg_type, nf_conntrack* ct, void* data) {
  auto& out = *static_cast<std::optional<Tuple>*>(data);
  Tuple t;
  t.src = ntohl(nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC));
  t.dst = ntohl(nfct_get_attr_u32(ct, ATTR_REPL_IPV4_DST));
  if (nfct_attr_is_set(ct, ATTR_REPL_PORT_SRC)) t.sport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
  if (nfct_attr_is_set(ct, ATTR_REPL_PORT_DST)) t.dport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_DST));
  out = t;
  return NFCT_CB_STOP;
}

// The reply tuple of the kernel's entry with e's original tuple (nullopt
// when there is none, or it could not be read).
std::optional<Tuple> kernel_reply(const Entry& e) {
  Handle h(0);
  Conntrack q;
  if (!h.h || !q.ct) return std::nullopt;
  set_original(e, q.ct);
  std::optional<Tuple> out;
  nfct_callback_register(h.h, NFCT_T_ALL, &on_get, &out);
  if (nfct_query(h.h, NFCT_Q_GET, q.ct) < 0) return std::nullopt;
  return out;
}

// The synced entry translates (its reply tuple is not the original's
// inverse). ICMP entries that translate are not synced (from_kernel).
bool translates(const Entry& e) {
  return e.reply.dst != e.key.orig.src || e.reply.src != e.key.orig.dst ||
         (e.key.l4 != L4::icmp && (e.reply.dport != e.key.orig.sport || e.reply.sport != e.key.orig.dport));
}

}  // namespace

std::expected<DestroyResult, std::string> destroy_entries(const Pick& pick) {
  DestroyResult r;
  std::vector<std::unique_ptr<nf_conntrack, void (*)(nf_conntrack*)>> picked;
  auto done = for_each_entry([&](const nlmsghdr* message, const nf_conntrack* ct) {
    if (!pick(message, ct)) return;
    if (picked.size() >= kMaxDestroy) {
      r.truncated = true;
      return;
    }
    if (nf_conntrack* copy = nfct_clone(ct)) picked.emplace_back(copy, &nfct_destroy);
  });
  if (!done) return std::unexpected(done.error());
  Handle h(0);
  if (!h.h) return std::unexpected(std::string("conntrack: ") + std::strerror(errno));
  for (const auto& ct : picked) {
    if (nfct_query(h.h, NFCT_Q_DESTROY, ct.get()) == 0 || errno == ENOENT) {
      ++r.deleted;
    } else {
      if (r.first_error.empty()) r.first_error = std::strerror(errno);
      ++r.failed;
    }
  }
  return r;
}

CommitResult commit_entries(std::span<const Entry> entries) {
  CommitResult r;
  const auto start = std::chrono::steady_clock::now();
  Handle h(0);
  if (!h.h) {
    r.failed = entries.size();
    r.first_error = std::string("conntrack: ") + std::strerror(errno);
    return r;
  }
  for (const auto& e : entries) {
    Conntrack c;
    if (!c.ct) {
      ++r.failed;
      continue;
    }
    to_kernel(e, c.ct);
    int rc = nfct_query(h.h, NFCT_Q_CREATE, c.ct);
    if (rc < 0 && errno == EEXIST && translates(e)) {
      // The flow's next packet got here first and made an entry of its own
      // (a TCP pickup from the LAN in the moments between the takeover and
      // this commit), through this router's NAT: a mapping of its own
      // choosing (a MAP-E CE: another port of the sets), or none at all
      // (the route still went elsewhere). NAT cannot change on an existing
      // entry, and the server knows only the old master's mapping: put
      // that one in its place. The packets the pickup sent went out with a
      // port the server does not know; what it answers them finds no entry.
      if (auto reply = kernel_reply(e); reply && *reply != e.reply) {
        Conntrack d;
        if (d.ct) {
          set_original(e, d.ct);
          nfct_query(h.h, NFCT_Q_DESTROY, d.ct);
        }
        rc = nfct_query(h.h, NFCT_Q_CREATE, c.ct);
        if (rc == 0) ++r.replaced;
      } else {
        errno = EEXIST;  // the look-up's own calls may have set it
      }
    }
    if (rc < 0 && errno == EEXIST) {
      // The flow's next packet got here first and made an entry of its own
      // (a TCP pickup) with the same mapping: bring it up to what the old
      // master knew. NAT and the status bits cannot change on an existing
      // entry (ctnetlink answers EBUSY): the timeout, mark and TCP state can.
      for (auto a : {ATTR_SNAT_IPV4, ATTR_DNAT_IPV4, ATTR_SNAT_PORT, ATTR_DNAT_PORT, ATTR_STATUS}) {
        nfct_attr_unset(c.ct, a);
      }
      rc = nfct_query(h.h, NFCT_Q_UPDATE, c.ct);
    }
    if (rc < 0) {
      if (r.first_error.empty()) r.first_error = std::strerror(errno);
      ++r.failed;
    } else {
      ++r.ok;
    }
  }
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  return r;
}

}  // namespace pairgate::ctsync
