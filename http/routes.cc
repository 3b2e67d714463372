#include "http/routes.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "core/commands.h"
#include "core/events.h"
#include "core/metrics.h"
#include "core/prometheus.h"
#include "http/page.h"

namespace pairgate::http {

namespace {

constexpr std::string_view kJson = "application/json";

// The page may load nothing from anywhere, and talk only to its own origin.
constexpr std::string_view kPagePolicy =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'; "
    "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// A CommandReply that hands the command's one answer line to `done`.
class CollectReply final : public CommandReply {
 public:
  explicit CollectReply(std::function<void(std::string)> done) : done_(std::move(done)) {}
  bool write(std::string line) override {
    if (closed_) return false;
    last_ = std::move(line);
    return true;
  }
  void finish() override {
    if (closed_) return;
    closed_ = true;
    if (auto d = std::exchange(done_, nullptr)) d(std::move(last_));
  }
  bool closed() const override { return closed_; }
  void on_close(std::function<void()>) override {}

 private:
  std::function<void(std::string)> done_;
  std::string last_;
  bool closed_ = false;
};

unsigned status_for(std::string_view code) {
  if (code == control::code::bad_request) return 400;
  if (code == control::code::denied) return 403;
  if (code == control::code::busy) return 503;
  return 500;
}

// The control protocol's answer line as an HTTP response: its JSON is the body.
Response from_control(std::string line) {
  Response r;
  r.content_type = kJson;
  // ok_response writes {"ok":true,"result":...} (an object's keys are sorted):
  // only an error needs parsing, for its code.
  if (!line.starts_with(R"({"ok":true,)")) {
    auto parsed = control::parse_response(line);
    r.status = parsed ? status_for(parsed->code) : 500;
  }
  r.body = std::move(line);
  return r;
}

void run_command(CommandRegistry& commands, std::string name, nlohmann::json args,
                 std::function<void(std::string)> done) {
  // Not root: a root_only command is refused, whatever the route asks.
  const PeerCredentials nobody{};
  auto reply = std::make_shared<CollectReply>(std::move(done));
  commands.dispatch(control::Request{std::move(name), std::move(args)}, nobody, reply);
}

Response bad_param(std::string_view what) { return text_response(400, std::string(what)); }

}  // namespace

Response text_response(unsigned status, std::string_view message) {
  Response r;
  r.status = status;
  r.body = std::to_string(status) + " " + std::string(message) + "\n";
  return r;
}

void Routes::add(std::string path, Handler handler) {
  if (!handlers_.emplace(path, std::move(handler)).second) throw std::logic_error("route " + path + " added twice");
  stats_.emplace(std::move(path), RouteStats{});
}

void Routes::handle(std::string_view method, std::string_view raw_target, Done done) {
  const bool head = method == "HEAD";
  auto answer = [this, head, done = std::move(done)](Response r) mutable {
    ++responses_[r.status];
    if (head) {
      // Content-Length stays that of the body a GET would get.
      r.headers.emplace_back("Content-Length", std::to_string(r.body.size()));
      r.body.clear();
    }
    if (done) std::exchange(done, nullptr)(std::move(r));
  };
  if (method != "GET" && !head) {
    Response r = text_response(405, "method not allowed: only GET and HEAD");
    r.headers.emplace_back("Allow", "GET, HEAD");
    answer(std::move(r));
    return;
  }
  auto target = parse_target(raw_target);
  if (!target) {
    answer(text_response(target.error() == TargetError::too_long ? 414 : 400, to_string(target.error())));
    return;
  }
  auto it = handlers_.find(target->path);
  if (it == handlers_.end()) {
    answer(text_response(404, "not found"));
    return;
  }
  RouteStats& stats = stats_.find(target->path)->second;
  const auto start = std::chrono::steady_clock::now();
  it->second(*target, std::move(answer));
  stats.seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

void add_standard_routes(Routes& routes, CommandRegistry& commands, const MetricsRegistry& metrics,
                         const EventBus& events) {
  routes.add("/", [](const Target&, Routes::Done done) {
    Response r;
    r.content_type = "text/html; charset=utf-8";
    r.body = std::string(status_page());
    r.headers.emplace_back("Content-Security-Policy", std::string(kPagePolicy));
    done(std::move(r));
  });

  routes.add("/metrics", [&metrics](const Target&, Routes::Done done) {
    Response r;
    r.content_type = prometheus::kContentType;
    r.body = prometheus::render(metrics.collect()).text;
    done(std::move(r));
  });

  routes.add("/api/status", [&commands](const Target&, Routes::Done done) {
    run_command(commands, "status", nlohmann::json::object(),
                [done = std::move(done)](std::string line) mutable { done(from_control(std::move(line))); });
  });

  // The other router's status, as the peer channel last brought it (the
  // command is registered by whoever carries it; without it, 400).
  routes.add("/api/peer", [&commands](const Target&, Routes::Done done) {
    run_command(commands, "peer-status", nlohmann::json::object(),
                [done = std::move(done)](std::string line) mutable { done(from_control(std::move(line))); });
  });

  routes.add("/api/leases", [&commands](const Target& t, Routes::Done done) {
    const auto offset = number_param(t, "offset", 0, 0, 1'000'000'000);
    const auto limit = number_param(t, "limit", kDefaultLeasePage, 1, kMaxLeasePage);
    if (!offset) return done(bad_param("offset: expected a number 0..1000000000"));
    if (!limit) return done(bad_param("limit: expected a number 1..1000"));
    const std::string q(t.param("q").value_or(""));
    nlohmann::json args = {{"offset", *offset}, {"limit", *limit}, {"q", q}};
    // The DHCP module pages and searches ({"total","offset","limit","leases"}):
    // its answer line is the body as it is, not parsed again.
    run_command(commands, "leases", std::move(args),
                [done = std::move(done)](std::string line) mutable { done(from_control(std::move(line))); });
  });

  routes.add("/api/events", [&events](const Target& t, Routes::Done done) {
    const auto limit = number_param(t, "limit", kDefaultEvents, 1, kMaxEvents);
    if (!limit) return done(bad_param("limit: expected a number 1..1000"));
    const auto last = events.last_seq();
    // Without `since`: the last `limit` events.
    const auto since = number_param(t, "since", last > *limit ? last - *limit : 0, 0, UINT64_MAX);
    if (!since) return done(bad_param("since: expected a sequence number"));
    auto backlog = events.since(*since);
    std::uint64_t missed = backlog.missed;
    std::size_t skip = 0;
    if (backlog.events.size() > *limit) {
      // Too many to send: the oldest are the ones missed.
      skip = backlog.events.size() - *limit;
      missed += skip;
    }
    auto list = nlohmann::json::array();
    for (std::size_t i = skip; i < backlog.events.size(); ++i) list.push_back(to_json(backlog.events[i]));
    Response r;
    r.content_type = kJson;
    r.body = control::ok_response({{"last_seq", last}, {"missed", missed}, {"events", std::move(list)}});
    done(std::move(r));
  });
}

}  // namespace pairgate::http
