// Control commands, registered by whoever owns them.
//
// The daemon registers `status` and `reload`, each module its own (`leases`
// is the DHCP module's), so a new module adds commands without touching the
// daemon or the control server. The control server hands every parsed
// request to CommandRegistry::dispatch(), which answers unknown commands and
// refused ones itself.
//
// A command answers through a CommandReply: at once, later (a reload parsed
// off the loop), or as a stream of lines until the client goes away (events).
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/control_protocol.h"

namespace pairgate {

// Who is asking, from SO_PEERCRED.
struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
};

// The channel back to one client for one request.
class CommandReply {
 public:
  virtual ~CommandReply() = default;
  // Queues one line (with its newline) for the client. False when the client
  // is gone or was cut loose for not reading; the command should stop writing.
  virtual bool write(std::string line) = 0;
  // The command is complete; the client may send its next request. Lines
  // written after this are dropped.
  virtual void finish() = 0;
  // True once the client has gone (or finish() was called).
  virtual bool closed() const = 0;
  // Runs once when the client goes away before finish(); a stream
  // unsubscribes here. Runs at once if that has already happened.
  virtual void on_close(std::function<void()> f) = 0;

  void ok(const nlohmann::json& result) {
    write(control::ok_response(result));
    finish();
  }
  void error(std::string_view message, std::string_view code, const nlohmann::json& details = nullptr) {
    write(control::error_response(message, code, details));
    finish();
  }
};
using ReplyPtr = std::shared_ptr<CommandReply>;

// Thrown by a synchronous command for an answer {"ok": false, ...}.
class CommandError : public std::runtime_error {
 public:
  CommandError(const std::string& message, std::string_view code, nlohmann::json details = nullptr)
      : std::runtime_error(message), code_(code), details_(std::move(details)) {}
  std::string_view code() const { return code_; }
  const nlohmann::json& details() const { return details_; }

 private:
  std::string code_;
  nlohmann::json details_;
};

struct Command {
  std::string name{};
  std::string summary{};   // one line
  bool root_only = false;  // others get permission_denied
  // Exactly one of these. `run` answers at once with its result (or throws
  // CommandError); `run_async` answers through the reply, now or later.
  // `args` is the request object ({} for a bare word).
  std::function<nlohmann::json(const nlohmann::json& args, const PeerCredentials& peer)> run = nullptr;
  std::function<void(const nlohmann::json& args, const PeerCredentials& peer, ReplyPtr reply)> run_async = nullptr;
};

struct CommandCounters {
  std::uint64_t unknown = 0;  // no such command
  std::uint64_t denied = 0;   // root_only and the client is not root
  std::uint64_t failed = 0;   // the command threw
};

class CommandRegistry {
 public:
  // Throws std::logic_error for a name that is taken or a Command without
  // exactly one handler: both are programming errors.
  void add(Command command);
  void remove(std::string_view name);
  bool contains(std::string_view name) const { return commands_.contains(std::string(name)); }
  std::vector<std::string> names() const;

  // Runs the command `request.command` for `peer`, answering through `reply`.
  // Never throws: an unknown command, a refusal or a failure is answered.
  void dispatch(const control::Request& request, const PeerCredentials& peer, const ReplyPtr& reply);

  const CommandCounters& counters() const { return counters_; }

 private:
  std::map<std::string, Command, std::less<>> commands_;
  CommandCounters counters_;
};

// Runs a command from inside the daemon (the HTTP endpoint, the pair view)
// as a client that is not root would: `done` gets its one answer line, now
// or later. A streaming command's first line only.
void run_local(CommandRegistry& commands, std::string name, nlohmann::json args,
               std::function<void(std::string line)> done);

}  // namespace pairgate
