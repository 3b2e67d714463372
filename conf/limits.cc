#include "conf/limits.h"

#include <array>

namespace pairgate::conf {

namespace {

struct NamedLimit {
  std::string_view what;
  ListLimit limit;
};

// Lists with a bound of their own; every other list has kDefaultListLimit.
// `what` is the name the list's errors carry (Reader::for_each's argument).
constexpr std::array kLimits{
    NamedLimit{"notify.exec", {16, "each runs at every VRRP state change"}},
    NamedLimit{"notify.email.to", {16, {}}},
    // RFC 3768 §5.3.5: Count IP Addrs is one octet.
    NamedLimit{"virtual_addresses", {255, "the advert's Count IP Addrs"}},
    NamedLimit{"reservations", {4096, "per subnet"}},
    NamedLimit{"firewall.input", {1024, {}}},
    NamedLimit{"firewall.forward", {1024, {}}},
    NamedLimit{"http.listen", {16, {}}},
};

}  // namespace

ListLimit list_limit(std::string_view what) {
  for (const auto& l : kLimits) {
    if (l.what == what) return l.limit;
  }
  return {kDefaultListLimit, {}};
}

}  // namespace pairgate::conf
