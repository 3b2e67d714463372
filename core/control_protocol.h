// The control protocol: one JSON object per line in each direction.
//
//   request:  {"command": "status"}            (a bare word "status" also works)
//   response: {"ok": true, "result": ...}  or  {"ok": false, "error": "...", "code": "..."}
//
// Pure functions, shared by pairgated and pairgatectl; no I/O here.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

namespace pairgate::control {

inline constexpr std::size_t kMaxRequestBytes = 4096;
inline constexpr std::string_view kDefaultSocket = "/run/pairgate/control.sock";

inline constexpr std::size_t kMaxCommandName = 64;

// A request names a command (what commands exist is the daemon's
// CommandRegistry's business, not the protocol's) and carries the request
// object itself as its arguments: {"command": "leases", "offset": 100}.
struct Request {
  std::string command;
  nlohmann::json args = nlohmann::json::object();
};

// `line` without its newline. The error is a message for the client.
// Command names are 1..64 characters of [a-z0-9_-].
std::expected<Request, std::string> parse_request(std::string_view line);
// With the newline; `args` (an object) may be empty.
std::string encode_request(std::string_view command, const nlohmann::json& args = nlohmann::json::object());

// Error codes clients can act on.
namespace code {
inline constexpr std::string_view bad_request = "bad_request";
inline constexpr std::string_view denied = "permission_denied";
inline constexpr std::string_view invalid_config = "invalid_config";
inline constexpr std::string_view busy = "busy";
inline constexpr std::string_view internal = "internal";
}  // namespace code

std::string ok_response(const nlohmann::json& result);  // with the newline
std::string error_response(std::string_view message, std::string_view code,
                           const nlohmann::json& details = nullptr);

struct Response {
  bool ok = false;
  nlohmann::json result;   // when ok
  std::string error;       // when !ok
  std::string code;        // when !ok
  nlohmann::json details;  // when !ok, e.g. the list of config errors
};
std::expected<Response, std::string> parse_response(std::string_view line);

}  // namespace pairgate::control
