// A CommandReply that keeps what a command wrote, for tests that call
// commands without a socket.
#pragma once

#include <string>
#include <vector>

#include "core/commands.h"

namespace pairgate::testing {

class CaptureReply final : public CommandReply {
 public:
  bool write(std::string line) override {
    if (closed_) return false;
    lines.push_back(std::move(line));
    return true;
  }
  void finish() override { finished = closed_ = true; }
  bool closed() const override { return closed_; }
  void on_close(std::function<void()> f) override {
    if (closed_) f();
    else on_close_ = std::move(f);
  }
  // The client goes away.
  void hang_up() {
    closed_ = true;
    if (auto f = std::move(on_close_)) f();
  }

  // The last line as a parsed response.
  control::Response response() const {
    auto line = lines.empty() ? std::string() : lines.back();
    if (!line.empty() && line.back() == '\n') line.pop_back();
    auto r = control::parse_response(line);
    return r ? *r : control::Response{};
  }

  std::vector<std::string> lines;
  bool finished = false;

 private:
  bool closed_ = false;
  std::function<void()> on_close_;
};

}  // namespace pairgate::testing
