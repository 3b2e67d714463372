#include "import/text.h"

#include <cctype>
#include <charconv>

namespace pairgate::import {

std::vector<std::string_view> lines(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    const std::size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

std::optional<long long> integer(std::string_view s, long long min, long long max) {
  long long v = 0;
  if (s.empty() || !(std::isdigit(static_cast<unsigned char>(s.front())) || s.front() == '-')) return std::nullopt;
  auto [next, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || next != s.data() + s.size() || v < min || v > max) return std::nullopt;
  return v;
}

std::optional<conf::Duration> seconds(std::string_view s, long long max_s) {
  const auto dot = s.find('.');
  auto whole = integer(s.substr(0, dot), 0, max_s);
  if (!whole) return std::nullopt;
  long long ms = *whole * 1000;
  if (dot != std::string_view::npos) {
    std::string_view frac = s.substr(dot + 1);
    if (frac.empty() || frac.size() > 6) return std::nullopt;
    long long scale = 100;
    for (char c : frac) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      ms += (c - '0') * scale;
      scale /= 10;
    }
    if (ms > max_s * 1000) return std::nullopt;
  }
  return conf::Duration(ms);
}

bool interface_name(std::string_view name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == ':' || c == '\0' || c == '"' || c == '\\' || std::isspace(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

bool email_address(std::string_view a) {
  const auto at = a.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < a.size() &&
         a.find('@', at + 1) == std::string_view::npos && a.find_first_of(" \t\r\n<>\"") == std::string_view::npos;
}

bool object_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && s.find_first_of(" \t/") == std::string_view::npos;
}

std::vector<std::string> comma_list(std::string_view s) {
  std::vector<std::string> out;
  while (true) {
    const auto comma = s.find(',');
    auto item = trim(s.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace pairgate::import
