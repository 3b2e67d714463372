#include "core/commands.h"

#include <spdlog/spdlog.h>

#include <memory>
#include <utility>

namespace pairgate {

void CommandRegistry::add(Command command) {
  if (static_cast<bool>(command.run) == static_cast<bool>(command.run_async)) {
    throw std::logic_error("command '" + command.name + "' needs exactly one of run and run_async");
  }
  const std::string name = command.name;
  if (!commands_.emplace(name, std::move(command)).second) {
    throw std::logic_error("command '" + name + "' is registered twice");
  }
}

void CommandRegistry::remove(std::string_view name) {
  if (auto it = commands_.find(name); it != commands_.end()) commands_.erase(it);
}

std::vector<std::string> CommandRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [name, c] : commands_) out.push_back(name);
  return out;
}

void CommandRegistry::dispatch(const control::Request& request, const PeerCredentials& peer, const ReplyPtr& reply) {
  auto it = commands_.find(request.command);
  if (it == commands_.end()) {
    ++counters_.unknown;
    std::string known;
    for (const auto& [name, c] : commands_) known += (known.empty() ? "" : ", ") + name;
    reply->error("unknown command '" + request.command + "' (" + known + ")", control::code::bad_request);
    return;
  }
  const Command& c = it->second;
  if (c.root_only && peer.uid != 0) {
    ++counters_.denied;
    spdlog::warn("control: {} refused for uid {} (pid {})", c.name, peer.uid, peer.pid);
    reply->error(c.name + " needs root", control::code::denied);
    return;
  }
  try {
    if (c.run) {
      reply->ok(c.run(request.args, peer));
    } else {
      c.run_async(request.args, peer, reply);
    }
  } catch (const CommandError& e) {
    reply->error(e.what(), e.code(), e.details());
  } catch (const std::exception& e) {
    ++counters_.failed;
    spdlog::error("control: {} failed: {}", c.name, e.what());
    if (!reply->closed()) reply->error(e.what(), control::code::internal);
  }
}

namespace {

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

}  // namespace

void run_local(CommandRegistry& commands, std::string name, nlohmann::json args,
               std::function<void(std::string line)> done) {
  const PeerCredentials nobody{};  // not root: a root_only command is refused
  auto reply = std::make_shared<CollectReply>(std::move(done));
  commands.dispatch(control::Request{std::move(name), std::move(args)}, nobody, reply);
}

}  // namespace pairgate
