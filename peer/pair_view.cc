#include "peer/pair_view.h"

#include <spdlog/spdlog.h>

#include <cstring>

namespace pairgate {

PairView::PairView(boost::asio::io_context& io, CommandRegistry& commands, PeerChannel& channel, LoopClock* clock,
                   std::chrono::milliseconds every)
    : commands_(commands),
      channel_(channel),
      own_clock_(clock ? nullptr : make_steady_clock(io)),
      clock_(clock ? *clock : *own_clock_),
      every_(every),
      timer_(clock_.make_timer()) {
  channel_.attach(peer_types::pair_view_first, "pair_view", *this);
  commands_.add({.name = "peer-status",
                 .summary = "the other router's status, as the peer channel last brought it",
                 .run = [this](const nlohmann::json&, const PeerCredentials&) { return peer_status(); }});
}

void PairView::start(const conf::Config&) {
  running_ = true;
  tick();
}

void PairView::stop(std::function<void()> done) {
  running_ = false;
  timer_->cancel();
  done();
}

void PairView::status(nlohmann::json& out) const {
  auto& s = out["pair_view"];
  s["peer_node"] = node_;
  s["peer_status_age_s"] = last_ ? nlohmann::json(std::chrono::duration<double>(clock_.now() - last_at_).count())
                                 : nlohmann::json(nullptr);
  s["counters"] = counters_json();
}

PairView::~PairView() {
  *alive_ = false;
  commands_.remove("peer-status");
  channel_.detach(*this);
}

nlohmann::json PairView::peer_status() const {
  nlohmann::json out;
  out["node"] = node_;
  out["channel"] = up_ ? "up" : "down";
  if (last_) {
    out["age_s"] = std::chrono::duration<double>(clock_.now() - last_at_).count();
    out["status"] = *last_;
  } else {
    out["age_s"] = nullptr;
    out["status"] = nullptr;
  }
  out["counters"] = counters_json();
  return out;
}

nlohmann::json PairView::counters_json() const {
  return {{"sent", counters_.sent},
          {"received", counters_.received},
          {"too_large", counters_.too_large},
          {"send_refused", counters_.send_refused},
          {"rejected", counters_.rejected}};
}

void PairView::tick() {
  if (!running_) return;
  if (up_) send_now();
  clock_.arm_after(*timer_, every_, [this] { tick(); });
}

// Our own status, as a client would get it; sent when it comes (status
// answers at once, but the command could become asynchronous).
void PairView::send_now() {
  run_local(commands_, "status", nlohmann::json::object(), [this, alive = alive_](std::string line) {
    if (!*alive || !up_) return;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.value("ok", false) || !j.contains("result")) return;
    const std::string body = j["result"].dump();
    if (body.size() > kMaxStatus) {
      ++counters_.too_large;
      return;
    }
    if (channel_.send(kStatus, std::as_bytes(std::span(body.data(), body.size())))) {
      ++counters_.sent;
    } else {
      ++counters_.send_refused;
    }
  });
}

void PairView::up(const PeerHello& peer) {
  up_ = true;
  node_ = peer.node;
  if (running_) send_now();
}

void PairView::down(std::string_view) { up_ = false; }

// The peer's status: authenticated by the channel, still untrusted in shape.
// Only a JSON object of at most kMaxStatus bytes is kept.
void PairView::message(PeerMessageType type, std::span<const std::byte> payload) {
  if (type != kStatus || payload.size() > kMaxStatus) {
    ++counters_.rejected;
    return;
  }
  const auto* p = reinterpret_cast<const char*>(payload.data());
  auto j = nlohmann::json::parse(p, p + payload.size(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    ++counters_.rejected;
    return;
  }
  ++counters_.received;
  last_ = std::move(j);
  last_at_ = clock_.now();
}

}  // namespace pairgate
