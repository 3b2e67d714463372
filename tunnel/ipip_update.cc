#include "tunnel/ipip_update.h"

#include <boost/asio/post.hpp>
#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <dlfcn.h>

#include <ctime>

#include "conf/key_file.h"

namespace pairgate::tunnel {

namespace {

constexpr long kConnectTimeoutS = 10;
constexpr long kTimeoutS = 30;
constexpr std::size_t kMaxBody = 64 * 1024;  // read and dropped; more aborts the call

// libcurl is loaded when the first update URL is called, not linked: with
// its TLS, HTTP/2, LDAP, SSH and Kerberos libraries it added 5.8 MiB to
// every pairgated's resident memory, and only a type ipip tunnel with an
// update_url uses it. The headers still come from libcurl4-openssl-dev, so
// the signatures are libcurl's own; the package depends on libcurl4.
struct CurlApi {
  std::string error;  // non-empty: not loaded, and why
  CURLcode (*global_init)(long) = nullptr;
  CURL* (*easy_init)() = nullptr;
  CURLcode (*easy_setopt)(CURL*, CURLoption, ...) = nullptr;
  CURLcode (*easy_perform)(CURL*) = nullptr;
  CURLcode (*easy_getinfo)(CURL*, CURLINFO, ...) = nullptr;
  const char* (*easy_strerror)(CURLcode) = nullptr;
  void (*easy_cleanup)(CURL*) = nullptr;
};

template <class F>
bool resolve(void* lib, const char* name, F& out, std::string& error) {
  out = reinterpret_cast<F>(::dlsym(lib, name));
  if (out == nullptr && error.empty()) error = std::string("libcurl.so.4 lacks ") + name;
  return out != nullptr;
}

const CurlApi& curl_api() {
  static const CurlApi api = [] {
    CurlApi a;
    void* lib = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* e = ::dlerror();
      a.error = std::string("libcurl.so.4 could not be loaded (install libcurl4): ") + (e ? e : "unknown error");
      return a;
    }
    resolve(lib, "curl_global_init", a.global_init, a.error);
    resolve(lib, "curl_easy_init", a.easy_init, a.error);
    resolve(lib, "curl_easy_setopt", a.easy_setopt, a.error);
    resolve(lib, "curl_easy_perform", a.easy_perform, a.error);
    resolve(lib, "curl_easy_getinfo", a.easy_getinfo, a.error);
    resolve(lib, "curl_easy_strerror", a.easy_strerror, a.error);
    resolve(lib, "curl_easy_cleanup", a.easy_cleanup, a.error);
    if (a.error.empty() && a.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) a.error = "curl_global_init failed";
    return a;  // the library stays loaded for the process's life
  }();
  return api;
}

struct Transfer {
  const std::atomic<bool>* quit;
  std::size_t body = 0;
};

std::size_t discard(char*, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  t->body += size * n;
  return t->body > kMaxBody ? 0 : size * n;
}

int progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<Transfer*>(user)->quit->load() ? 1 : 0;
}

// One GET; blocking, so only on the helper thread.
UpdateResult perform(const std::string& url, const std::string& userpwd, const std::atomic<bool>& quit) {
  UpdateResult r;
  const CurlApi& curl = curl_api();
  if (!curl.error.empty()) {
    r.error = curl.error;
    return r;
  }
  CURL* c = curl.easy_init();
  if (c == nullptr) {
    r.error = "curl_easy_init failed";
    return r;
  }
  char error[CURL_ERROR_SIZE] = {};
  Transfer t{&quit};
  curl.easy_setopt(c, CURLOPT_URL, url.c_str());
  curl.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect is a failure: credentials go nowhere else
  curl.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, kConnectTimeoutS);
  curl.easy_setopt(c, CURLOPT_TIMEOUT, kTimeoutS);
  curl.easy_setopt(c, CURLOPT_USERAGENT, "pairgate");
  curl.easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl.easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
  curl.easy_setopt(c, CURLOPT_WRITEDATA, &t);
  curl.easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl.easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress);
  curl.easy_setopt(c, CURLOPT_XFERINFODATA, &t);
  if (!userpwd.empty()) {
    curl.easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl.easy_setopt(c, CURLOPT_USERPWD, userpwd.c_str());
  }
  const CURLcode rc = curl.easy_perform(c);
  curl.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.http_status);
  if (rc != CURLE_OK) {
    r.error = error[0] != '\0' ? error : curl.easy_strerror(rc);
  } else if (r.http_status < 200 || r.http_status > 299) {
    r.error = "HTTP status " + std::to_string(r.http_status);
  } else {
    r.ok = true;
  }
  curl.easy_cleanup(c);
  return r;
}

}  // namespace

std::string expand_url(std::string_view url, const Ipv6Address& ipv6, std::optional<Ipv4Address> ipv4) {
  std::string out;
  for (std::size_t i = 0; i < url.size();) {
    if (url.substr(i).starts_with("{ipv6}")) {
      out += ipv6.to_string();
      i += 6;
    } else if (ipv4 && url.substr(i).starts_with("{ipv4}")) {
      out += ipv4->to_string();
      i += 6;
    } else {
      out += url[i++];
    }
  }
  return out;
}

std::string redact_url(std::string_view url) {
  const auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const auto start = scheme + 3;
  const auto end = url.find_first_of("/?#", start);
  const auto at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < start) return std::string(url);
  return std::string(url.substr(0, start)) + "***@" + std::string(url.substr(at + 1));
}

IpipUpdater::IpipUpdater(boost::asio::io_context& io, LoopClock& clock, std::string tunnel, const conf::Ipip& config,
                         std::optional<Ipv4Address> ipv4, std::function<void(const UpdateResult&)> report)
    : io_(io),
      clock_(clock),
      tunnel_(std::move(tunnel)),
      url_(config.update_url),
      ipv4_(ipv4),
      report_(std::move(report)),
      timer_(clock.make_timer()) {
  if (!config.update_credentials.empty()) {
    // Read now (start or reload), checked as the peer's key file is.
    if (auto k = conf::read_key_file(config.update_credentials, 3); !k) {
      credentials_error_ = "update_credentials " + config.update_credentials + ": " + k.error();
      spdlog::error("tunnel {}: {}", tunnel_, credentials_error_);
    } else {
      userpwd_.assign(k->begin(), k->end());
      conf::wipe(*k);
    }
  }
  thread_ = std::thread([this] { run(); });
}

IpipUpdater::~IpipUpdater() {
  *alive_ = false;
  abort_ = true;
  {
    std::lock_guard lock(mutex_);
    quit_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  volatile char* p = userpwd_.data();
  for (std::size_t i = 0; i < userpwd_.size(); ++i) p[i] = 0;
}

void IpipUpdater::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return quit_ || job_.has_value(); });
      if (quit_) return;
      job = std::move(*job_);
      job_.reset();
    }
    // The destructor's abort_ reaches a call in flight through its progress callback.
    UpdateResult r = perform(job.url, job.userpwd, abort_);
    boost::asio::post(io_, [this, alive = alive_, r = std::move(r)]() mutable {
      if (*alive) on_done(std::move(r));
    });
  }
}

void IpipUpdater::want(const Ipv6Address& local) {
  local_ = local;
  if (schedule_.want(clock_.now())) start_call();
  arm();
}

void IpipUpdater::cancel() {
  schedule_.cancel();
  timer_->cancel();
}

void IpipUpdater::start_call() {
  last_attempt_ = std::chrono::system_clock::now();
  const std::string url = expand_url(url_, *local_, ipv4_);
  if (!credentials_error_.empty()) {
    boost::asio::post(io_, [this, alive = alive_, shown = redact_url(url)] {
      if (*alive) on_done({false, 0, credentials_error_, shown});
    });
    return;
  }
  {
    std::lock_guard lock(mutex_);
    job_ = Job{url, userpwd_};
  }
  wake_.notify_all();
}

void IpipUpdater::on_done(UpdateResult r) {
  if (r.url.empty()) r.url = redact_url(expand_url(url_, *local_, ipv4_));
  const bool again = schedule_.on_result(clock_.now(), r.ok);
  if (r.ok) {
    last_success_ = std::chrono::system_clock::now();
    told_ = local_;
    spdlog::info("tunnel {}: update URL {} answered HTTP {}", tunnel_, r.url, r.http_status);
  } else if (auto d = schedule_.deadline()) {
    spdlog::warn("tunnel {}: update URL {} failed: {}; retrying in {} s", tunnel_, r.url, r.error,
                 std::chrono::ceil<std::chrono::seconds>(*d - clock_.now()).count());
  } else {
    spdlog::warn("tunnel {}: update URL {} failed: {}", tunnel_, r.url, r.error);
  }
  last_ = r;
  if (report_) report_(r);
  if (again) start_call();
  arm();
}

void IpipUpdater::arm() {
  auto when = schedule_.deadline();
  if (!when) {
    timer_->cancel();
    return;
  }
  timer_->arm(*when, [this] {
    if (schedule_.on_timer(clock_.now())) start_call();
    arm();
  });
}

void IpipUpdater::status(nlohmann::json& out) const {
  auto when = [](const auto& t) { return t ? nlohmann::json(utc_text(*t)) : nlohmann::json(nullptr); };
  out = {{"url", redact_url(url_)},
         {"last_attempt", when(last_attempt_)},
         {"last_success", when(last_success_)},
         {"http_status", last_ && last_->http_status != 0 ? nlohmann::json(last_->http_status) : nlohmann::json(nullptr)},
         {"error", last_ && !last_->ok ? nlohmann::json(last_->error) : nlohmann::json(nullptr)},
         {"address", told_ ? nlohmann::json(told_->to_string()) : nlohmann::json(nullptr)},
         {"in_flight", schedule_.in_flight()},
         {"retry_in_s", schedule_.deadline() ? nlohmann::json(std::chrono::ceil<std::chrono::seconds>(
                                                                   *schedule_.deadline() - clock_.now())
                                                                   .count())
                                             : nlohmann::json(nullptr)},
         {"attempts", schedule_.attempts()},
         {"successes", schedule_.successes()},
         {"failures", schedule_.failures()}};
}

void IpipUpdater::metrics(MetricSet& out) const {
  const char* help = "Calls of a tunnel's update URL (type ipip), by result.";
  out.counter("pairgate_tunnel_update_total", help, {{"tunnel", tunnel_}, {"result", "success"}},
              static_cast<double>(schedule_.successes()));
  out.counter("pairgate_tunnel_update_total", help, {{"tunnel", tunnel_}, {"result", "failure"}},
              static_cast<double>(schedule_.failures()));
}

}  // namespace pairgate::tunnel
