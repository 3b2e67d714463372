#include "firewall/service.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/events.h"

#include "firewall/render.h"

namespace pairgate::firewall {

// A table that cannot be applied at start-up stops the daemon: forwarding
// without the firewall the file asks for is worse than not starting.
void Service::start(const conf::Config& config) {
  apply(config);
  if (enabled_ && applied_.empty()) throw std::runtime_error("firewall: " + error_);
  watch();
}

bool Service::table_present() {
  return nft_ && nft_->run("list table inet " + applied_table_, true).has_value();
}

// Another program may delete the table (`nft flush ruleset`): put it back
// and count it, as VRRP does with its addresses.
void Service::watch() {
  if (check_every_.count() == 0) return;
  timer_.expires_after(check_every_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    if (!applied_.empty() && !table_present()) {
      ++restored_;
      spdlog::warn("firewall: table inet {} was removed by someone else; applying it again", applied_table_);
      restoring_ = true;
      forget();
      apply(last_);
      restoring_ = false;
    }
    watch();
  });
}

// The table depends on more than the firewall section (tunnels, VRRP
// interfaces, the node name); rendering is cheap, so compare the text.
void Service::reload(const conf::Config& config, const conf::ConfigDiff&) {
  if (!applied_.empty() && !table_present()) forget();
  apply(config);
}

void Service::apply(const conf::Config& config) {
  last_ = config;
  configured_ = config.firewall.has_value();
  enabled_ = configured_ && config.firewall->enabled;
  if (configured_) table_ = config.firewall->table;
  if (!enabled_) {
    if (!applied_.empty()) remove();
    return;
  }
  const std::string text = render_table(config);
  if (text == applied_) return;  // unchanged: leave the kernel alone
  // libnftables is loaded only when a table is wanted: it costs memory.
  if (!nft_) {
    try {
      nft_ = make_libnftables();
    } catch (const std::exception& e) {
      ++failures_;
      error_ = e.what();
      spdlog::error("firewall: {}", error_);
      return;
    }
  }
  auto r = nft_->run(render_apply_script(config, applied_table_));
  if (!r) {
    ++failures_;
    error_ = r.error();
    const std::string outcome = applied_.empty() ? "no pairgate table is in force" : "the previous table stays in force";
    spdlog::error("firewall: nft refused table inet {}: {}; {}", config.firewall->table, error_, outcome);
    publish("refused", "firewall: nft refused table inet " + config.firewall->table + ": " + error_ + "; " + outcome);
    return;
  }
  ++applies_;
  error_.clear();
  const std::string what = restoring_ ? "re-applied" : applied_.empty() ? "applied" : "replaced";
  spdlog::info("firewall: table inet {} {}", config.firewall->table, what);
  publish(what, "firewall: table inet " + config.firewall->table + " " + what +
                    (restoring_ ? " (someone else had removed it)" : ""));
  applied_ = text;
  applied_table_ = config.firewall->table;
}

void Service::remove() {
  auto r = nft_->run(render_delete_script(applied_table_));
  if (!r) {
    error_ = r.error();
    spdlog::error("firewall: cannot remove table inet {}: {}", applied_table_, error_);
    return;
  }
  spdlog::info("firewall: table inet {} removed", applied_table_);
  publish("removed", "firewall: table inet " + applied_table_ + " removed");
  forget();
}

void Service::forget() {
  applied_.clear();
  applied_table_.clear();
}

void Service::stop(std::function<void()> done) {
  timer_.cancel();
  if (!applied_.empty()) remove();
  done();
}

std::optional<std::uint64_t> Service::drops(const std::string& counter) const {
  auto r = nft_->run("list counter inet " + applied_table_ + " " + counter, true);
  if (!r) return std::nullopt;
  auto j = nlohmann::json::parse(*r, nullptr, false);
  if (j.is_discarded() || !j.contains("nftables")) return std::nullopt;
  for (const auto& item : j["nftables"]) {
    if (item.contains("counter")) return item["counter"].value("packets", std::uint64_t{0});
  }
  return std::nullopt;
}

void Service::status(nlohmann::json& out) const {
  if (!configured_) {
    out["firewall"] = nullptr;
    return;
  }
  nlohmann::json f = {{"applied", !applied_.empty()}, {"enabled", enabled_}, {"table", table_},
                      {"applies", applies_}, {"failures", failures_}, {"restored", restored_}};
  if (!error_.empty()) f["error"] = error_;
  if (!applied_.empty()) {
    f["drops"] = {{"input", drops("input_drops").value_or(0)}, {"forward", drops("forward_drops").value_or(0)}};
  }
  out["firewall"] = std::move(f);
}

void Service::publish(const std::string& what, const std::string& message) {
  ctx_.events.publish("firewall", applied_table_.empty() ? table_ : applied_table_, message,
                      {{"action", what}, {"table", table_}, {"applies", applies_}, {"failures", failures_}});
}

void Service::collect(MetricSet& out) const {
  if (!configured_) return;
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  out.gauge("pairgate_firewall_applied", "Whether pairgate's nftables table is in force (1) or not (0).", {},
            applied_.empty() ? 0 : 1);
  out.counter("pairgate_firewall_applies_total", "Times the table was applied or replaced.", {}, d(applies_));
  out.counter("pairgate_firewall_failures_total", "Times nft refused the table.", {}, d(failures_));
  out.counter("pairgate_firewall_restored_total", "Times the table was put back after someone else removed it.", {},
              d(restored_));
  if (applied_.empty()) return;
  for (const char* chain : {"input", "forward"}) {
    if (auto n = drops(std::string(chain) + "_drops")) {
      out.counter("pairgate_firewall_drops_total", "Packets the table dropped, by chain.", {{"chain", chain}}, d(*n));
    }
  }
}

}  // namespace pairgate::firewall
