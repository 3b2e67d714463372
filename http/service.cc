#include "http/service.h"

#include <boost/asio/ip/address.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "conf/diff.h"
#include "core/metrics.h"

namespace pairgate::http {

namespace asio = boost::asio;

namespace {

void add(ServerCounters& a, const ServerCounters& b) {
  a.connections += b.connections;
  a.requests += b.requests;
  a.rejected_busy += b.rejected_busy;
  a.denied += b.denied;
  a.timeouts += b.timeouts;
  a.header_too_large += b.header_too_large;
  a.bad_requests += b.bad_requests;
  a.accept_errors += b.accept_errors;
}

}  // namespace

Service::Service(ModuleContext ctx, LoopClock* clock) : ctx_(ctx), clock_(clock) {
  add_standard_routes(routes_, ctx_.commands, ctx_.metrics, ctx_.events);
  metrics_id_ = ctx_.metrics.add([this](MetricSet& out) { collect(out); });
}

Service::~Service() {
  ctx_.metrics.remove(metrics_id_);
  if (server_) server_->close();
}

void Service::open(const conf::Http& http) {
  Server::Options o;
  for (const auto& l : http.listen) {
    o.listen.emplace_back(asio::ip::make_address(l.address.to_string()), l.port);
  }
  o.allow = http.effective_allow();
  o.clock = clock_;
  auto server = std::make_unique<Server>(ctx_.io, std::move(o), [this](std::string_view method, std::string_view target, Routes::Done done) {
    routes_.handle(method, target, std::move(done));
  });
  server->open();
  server_ = std::move(server);
  std::string where;
  for (const auto& l : http.listen) where += (where.empty() ? "" : ", ") + l.to_string();
  std::string who;
  for (const auto& p : http.effective_allow()) who += (who.empty() ? "" : ", ") + p.to_string();
  spdlog::info("http: listening on {} (allowed: {})", where, who);
}

void Service::start(const conf::Config& config) {
  config_ = config.http;
  if (config_) open(*config_);
}

void Service::reload(const conf::Config& config, const conf::ConfigDiff& diff) {
  if (!diff.http) return;
  auto previous = config_;
  if (server_) {
    add(closed_counters_, server_->counters());
    server_->close();
    server_.reset();
  }
  config_ = config.http;
  if (!config_) {
    spdlog::info("http: endpoint off");
    return;
  }
  try {
    open(*config_);
  } catch (const std::exception& e) {
    spdlog::error("{}; keeping the previous http section", e.what());
    config_ = previous;
    if (config_) {
      try {
        open(*config_);
      } catch (const std::exception& again) {
        spdlog::error("{}; the endpoint is off", again.what());
      }
    }
  }
}

void Service::stop(std::function<void()> done) {
  if (server_) {
    add(closed_counters_, server_->counters());
    server_->close();
    server_.reset();
  }
  done();
}

void Service::status(nlohmann::json& out) const {
  if (!config_) {
    out["http"] = nullptr;
    return;
  }
  ServerCounters c = closed_counters_;
  if (server_) add(c, server_->counters());
  auto listen = nlohmann::json::array();
  for (const auto& l : config_->listen) listen.push_back(l.to_string());
  auto allow = nlohmann::json::array();
  for (const auto& p : config_->effective_allow()) allow.push_back(p.to_string());
  out["http"] = {{"listen", std::move(listen)},
                 {"allow", std::move(allow)},
                 {"serving", server_ != nullptr},
                 {"connections", server_ ? server_->connections() : 0},
                 {"counters",
                  {{"connections", c.connections},
                   {"requests", c.requests},
                   {"rejected_busy", c.rejected_busy},
                   {"denied", c.denied},
                   {"timeouts", c.timeouts},
                   {"header_too_large", c.header_too_large},
                   {"bad_requests", c.bad_requests},
                   {"accept_errors", c.accept_errors}}}};
}

void Service::collect(MetricSet& out) const {
  if (!config_) return;
  ServerCounters c = closed_counters_;
  if (server_) add(c, server_->counters());
  out.gauge("pairgate_http_connections", "Open connections to the HTTP endpoint.", {},
            static_cast<double>(server_ ? server_->connections() : 0));
  out.counter("pairgate_http_connections_total", "Connections the HTTP endpoint accepted and served.", {},
              static_cast<double>(c.connections));
  const char* kRejected = "Connections or requests the HTTP endpoint refused, by reason.";
  out.counter("pairgate_http_rejected_total", kRejected, {{"reason", "busy"}}, static_cast<double>(c.rejected_busy));
  out.counter("pairgate_http_rejected_total", kRejected, {{"reason", "denied"}}, static_cast<double>(c.denied));
  out.counter("pairgate_http_rejected_total", kRejected, {{"reason", "timeout"}}, static_cast<double>(c.timeouts));
  out.counter("pairgate_http_rejected_total", kRejected, {{"reason", "header_too_large"}},
              static_cast<double>(c.header_too_large));
  out.counter("pairgate_http_rejected_total", kRejected, {{"reason", "bad_request"}},
              static_cast<double>(c.bad_requests));
  out.counter("pairgate_http_accept_errors_total", "Failed accepts (out of file descriptors and the like).", {},
              static_cast<double>(c.accept_errors));
  for (const auto& [code, n] : routes_.responses()) {
    out.counter("pairgate_http_responses_total", "HTTP responses by status code.", {{"code", std::to_string(code)}},
                static_cast<double>(n));
  }
  for (const auto& [path, s] : routes_.stats()) {
    out.histogram("pairgate_http_handler_seconds",
                  "Event-loop time spent answering each route (for /metrics: collecting and rendering).",
                  {{"path", path}}, s.seconds.value());
  }
}

}  // namespace pairgate::http
