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

enum class Command { status, leases, reload };

struct Request {
  Command command = Command::status;
};

std::string_view to_string(Command c);

// `line` without its newline. The error is a message for the client.
std::expected<Request, std::string> parse_request(std::string_view line);
std::string encode_request(Command c);  // with the newline

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
