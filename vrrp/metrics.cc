#include "vrrp/metrics.h"

#include <iterator>
#include <string_view>

#include "vrrp/notify.h"

namespace pairgate::vrrp {

namespace {

struct DropName {
  std::string_view metric;  // keepalived-exporter's name; empty: pairgate_vrrp_drops_total only
  std::string_view help;
};

// Indexed by Drop. keepalived counts these (vrrp_stats) and keepalived-exporter
// exports them under these names.
constexpr DropName kDropNames[] = {
    {"keepalived_packet_length_errors_total", "Packet length errors."},       // packet_len_err
    {{}, {}},                                                                 // ip_header_err
    {"keepalived_ip_ttl_errors_total", "TTL errors."},                        // ip_ttl_err
    {{}, {}},                                                                 // invalid_protocol
    {{}, {}},                                                                 // version_err
    {"keepalived_invalid_type_received_total", "Invalid type errors."},       // invalid_type_rcvd
    {{}, {}},                                                                 // checksum_err
    {{}, {}},                                                                 // vrid_err
    {"keepalived_authentication_invalid_total", "Authentication invalid."},   // invalid_authtype
    {"keepalived_authentication_mismatch_total", "Authentication mismatch."}, // authtype_mismatch
    {"keepalived_authentication_failure_total", "Authentication failure."},   // auth_failure
    {"keepalived_advertisements_interval_errors_total", "Advertisement interval errors."},  // advert_interval_err
    {"keepalived_address_list_errors_total", "Address list errors."},         // addr_list_err
    {{}, {}},                                                                 // own_advert
    {{}, {}},                                                                 // owner_advert_rcvd
    {{}, {}},                                                                 // unicast_src_err
};
static_assert(std::size(kDropNames) == kDropKinds, "one entry per Drop, in its order");

double d(std::uint64_t v) { return static_cast<double>(v); }

}  // namespace

int keepalived_state(State s) {
  switch (s) {
    case State::initialize: return 0;
    case State::backup: return 1;
    case State::master: return 2;
    case State::fault: return 3;
  }
  return 0;
}

void add_instance_metrics(MetricSet& out, const InstanceMetrics& m) {
  const Labels l = {{"iname", m.name}, {"intf", m.interface}, {"vrid", std::to_string(m.vrid)}};
  const auto& c = m.counters;
  out.gauge("keepalived_vrrp_state", "State of vrrp: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.", l, keepalived_state(m.state));
  out.counter("keepalived_advertisements_received_total", "Advertisements received.", l, d(c.advert_rcvd));
  out.counter("keepalived_advertisements_sent_total", "Advertisements sent.", l, d(c.advert_sent));
  out.counter("keepalived_become_master_total", "Became master.", l, d(c.become_master));
  out.counter("keepalived_release_master_total", "Released master.", l, d(c.release_master));
  out.counter("keepalived_priority_zero_received_total", "Priority zero received.", l, d(c.pri_zero_rcvd));
  out.counter("keepalived_priority_zero_sent_total", "Priority zero sent.", l, d(c.pri_zero_sent));
  for (std::size_t i = 0; i < kDropKinds; ++i) {
    if (!kDropNames[i].metric.empty()) out.counter(kDropNames[i].metric, kDropNames[i].help, l, d(c.drops[i]));
    Labels r = l;
    r.emplace_back("reason", std::string(to_string(static_cast<Drop>(i))));
    out.counter("pairgate_vrrp_drops_total", "Adverts dropped, by reason (RFC 3768 section 7.1 checks and more).",
                std::move(r), d(c.drops[i]));
  }
  out.gauge("pairgate_vrrp_priority", "Effective priority, after tracking.", l, m.effective_priority);
  out.gauge("pairgate_vrrp_configured_priority", "Configured priority.", l, m.priority);
  out.counter("pairgate_vrrp_advert_send_errors_total", "Adverts the kernel refused to send.", l, d(c.advert_send_err));
  out.counter("pairgate_vrrp_repair_suppressed_total",
              "Lower-priority adverts left unanswered by the repair ration (RFC 9568).", l, d(c.repair_suppressed));
  out.counter("pairgate_vrrp_transitions_total", "State transitions.", l, d(c.transitions));
  out.counter("pairgate_vrrp_gratuitous_arp_sent_total", "Gratuitous ARP and unsolicited NA sent.", l, d(m.garp_sent));
  out.counter("pairgate_vrrp_addresses_restored_total", "Virtual addresses put back after someone removed them.", l,
              d(m.addresses_restored));
}

void add_interface_metrics(MetricSet& out, std::uint64_t unknown_vrid) {
  out.gauge("keepalived_up", "Whether the VRRP service runs (pairgated's VRRP module: 1).", {}, 1);
  out.counter("pairgate_vrrp_unknown_vrid_total", "Adverts for a VRID no instance here has.", {}, d(unknown_vrid));
}

void add_notify_metrics(MetricSet& out, const Notifier& n) {
  out.counter("pairgate_notify_programs_started_total", "notify.exec programs started.", {}, d(n.exec_started()));
  out.counter("pairgate_notify_programs_failed_total", "notify.exec programs that failed or could not start.", {},
              d(n.exec_failed()));
  out.counter("pairgate_notify_programs_dropped_total", "notify.exec programs dropped (queue full, or at stop).", {},
              d(n.exec_dropped()));
  out.gauge("pairgate_notify_programs_running", "notify.exec programs running now.", {}, d(n.exec_running()));
  out.gauge("pairgate_notify_programs_waiting", "notify.exec programs waiting for their instance's previous one.", {},
            d(n.exec_waiting()));
  out.counter("pairgate_notify_mail_sent_total", "Alert mails sent.", {}, d(n.mail_sent()));
  out.counter("pairgate_notify_mail_failed_total", "Alert mails that could not be sent.", {}, d(n.mail_failed()));
}

}  // namespace pairgate::vrrp
