#include "tunnel/local_address.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

namespace pairgate::tunnel {

namespace {

int rank(const AddressInfo& a) {
  const bool ula = (a.prefix.address().v6().bytes()[0] & 0xfe) == 0xfc;
  int r = (a.flags & IFA_F_MANAGETEMPADDR) != 0 ? 0 : (a.flags & IFA_F_PERMANENT) != 0 ? 1 : 2;
  return ula ? r + 3 : r;
}

}  // namespace

bool usable_local(const AddressInfo& a) {
  constexpr std::uint32_t unusable =
      IFA_F_TEMPORARY | IFA_F_TENTATIVE | IFA_F_OPTIMISTIC | IFA_F_DEPRECATED | IFA_F_DADFAILED;
  if (a.prefix.family() != Family::ipv6 || a.scope != RT_SCOPE_UNIVERSE || (a.flags & unusable) != 0) return false;
  const auto& v6 = a.prefix.address().v6();
  return !v6.is_link_local() && !v6.is_multicast() && v6 != Ipv6Address{};
}

std::optional<Ipv6Address> choose_local(const std::vector<AddressInfo>& addresses, int ifindex,
                                        std::optional<Ipv6Address> current) {
  const AddressInfo* best = nullptr;
  std::optional<int> current_rank;
  for (const auto& a : addresses) {
    if (a.ifindex != ifindex || !usable_local(a)) continue;
    const auto& v6 = a.prefix.address().v6();
    if (current && v6 == *current) current_rank = rank(a);
    if (best == nullptr || rank(a) < rank(*best) || (rank(a) == rank(*best) && v6 < best->prefix.address().v6())) {
      best = &a;
    }
  }
  if (best == nullptr) return std::nullopt;
  if (current_rank && *current_rank == rank(*best)) return current;
  return best->prefix.address().v6();
}

}  // namespace pairgate::tunnel
