#include "core/control_protocol.h"

namespace pairgate::control {

namespace {

std::expected<std::string, std::string> command_name(std::string_view name) {
  const bool valid = !name.empty() && name.size() <= kMaxCommandName &&
                     name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string_view::npos;
  if (!valid) return std::unexpected("malformed command name '" + std::string(name.substr(0, kMaxCommandName)) + "'");
  return std::string(name);
}

}  // namespace

std::expected<Request, std::string> parse_request(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > kMaxRequestBytes) return std::unexpected("request longer than 4096 bytes");
  auto first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos) return std::unexpected("empty request");
  line.remove_prefix(first);
  if (line.front() != '{') {
    auto end = line.find_last_not_of(" \t");
    auto c = command_name(line.substr(0, end + 1));
    if (!c) return std::unexpected(c.error());
    return Request{std::move(*c)};
  }
  auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::unexpected("request is not valid JSON");
  if (!j.is_object()) return std::unexpected("request must be a JSON object");
  auto it = j.find("command");
  if (it == j.end() || !it->is_string()) return std::unexpected("request needs a string \"command\"");
  auto c = command_name(it->get_ref<const std::string&>());
  if (!c) return std::unexpected(c.error());
  j.erase("command");
  return Request{std::move(*c), std::move(j)};
}

std::string encode_request(std::string_view command, const nlohmann::json& args) {
  nlohmann::json j = args.is_object() ? args : nlohmann::json::object();
  j["command"] = command;
  return j.dump() + "\n";
}

std::string ok_response(const nlohmann::json& result) {
  nlohmann::json j{{"ok", true}, {"result", result}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string error_response(std::string_view message, std::string_view code, const nlohmann::json& details) {
  nlohmann::json j{{"ok", false}, {"error", message}, {"code", code}};
  if (!details.is_null()) j["details"] = details;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::expected<Response, std::string> parse_response(std::string_view line) {
  auto j = nlohmann::json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::unexpected("the daemon sent a malformed response");
  auto ok = j.find("ok");
  if (ok == j.end() || !ok->is_boolean()) return std::unexpected("the daemon's response has no \"ok\"");
  Response r;
  r.ok = ok->get<bool>();
  if (r.ok) {
    r.result = j.value("result", nlohmann::json());
  } else {
    auto e = j.find("error");
    r.error = e != j.end() && e->is_string() ? e->get<std::string>() : "unknown error";
    auto c = j.find("code");
    r.code = c != j.end() && c->is_string() ? c->get<std::string>() : "";
    r.details = j.value("details", nlohmann::json());
  }
  return r;
}

}  // namespace pairgate::control
