#include "conf/yaml_reader.h"

#include <algorithm>
#include <charconv>

#include "conf/duration.h"
#include "conf/limits.h"

namespace pairgate::conf {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

std::uint64_t position_key(Mark m) {
  return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(m.line)) << 32) |
         static_cast<std::uint32_t>(m.column);
}

// Keys longer than this get no suggestion: the distance costs the product of
// the lengths, and no known key is that long.
constexpr std::size_t kMaxSuggestedKey = 64;

}  // namespace

Mark Reader::mark(const YAML::Node& n) {
  if (!n.IsDefined()) return {};
  const YAML::Mark m = n.Mark();
  if (m.line < 0) return {};
  return {m.line + 1, m.column + 1};
}

void Reader::set_null_key(const YAML::Node& value, Mark key) {
  null_keys_[position_key(mark(value))].push_back({value, key});
}

Mark Reader::where(const YAML::Node& n) const {
  const Mark own = mark(n);
  if (n.IsDefined() && n.IsNull()) {
    if (auto it = null_keys_.find(position_key(own)); it != null_keys_.end()) {
      for (const auto& k : it->second) {
        if (k.value.is(n)) return k.key;
      }
    }
  }
  return own;
}

void Reader::error(const YAML::Node& at, std::string message) {
  if (errors_.size() >= kMaxErrors) {
    ++error_count_;
    return;
  }
  error(where(at), std::move(message));
}

void Reader::error(Mark at, std::string message) {
  ++error_count_;
  if (errors_.size() < kMaxErrors) errors_.push_back({file_, at.line, at.column, std::move(message)});
}

bool Reader::visit(const YAML::Node& n, std::size_t entries) {
  const bool over_before = entries_ > kMaxEntries;
  entries_ += entries;
  if (entries_ <= kMaxEntries) return true;
  if (!over_before) {
    error(n, "the file expands to more than " + std::to_string(kMaxEntries) +
                 " list and mapping entries (an alias counts at each use); the rest is not read");
  }
  return false;
}

std::vector<Diagnostic> Reader::take_errors() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const auto& a, const auto& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  return std::move(errors_);
}

std::optional<std::string> Reader::scalar(const YAML::Node& n, std::string_view what) {
  if (!n.IsDefined()) return std::nullopt;
  if (n.IsNull()) {
    error(n, std::string(what) + ": expected a value");
    return std::nullopt;
  }
  if (!n.IsScalar()) {
    error(n, std::string(what) + ": expected a single value, not a " +
                 (n.IsSequence() ? "list" : "mapping"));
    return std::nullopt;
  }
  return n.Scalar();
}

std::optional<std::string> Reader::string(const YAML::Node& n, std::string_view what) {
  return scalar(n, what);
}

std::optional<long long> Reader::integer(const YAML::Node& n, std::string_view what, long long min,
                                         long long max) {
  auto s = scalar(n, what);
  if (!s) return std::nullopt;
  long long v = 0;
  auto [next, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (next != s->data() + s->size() || (ec != std::errc{} && ec != std::errc::result_out_of_range)) {
    error(n, std::string(what) + ": expected a whole number, got " + quoted(*s));
    return std::nullopt;
  }
  if (ec == std::errc::result_out_of_range || v < min || v > max) {
    error(n, std::string(what) + ": " + *s + " is out of range " + std::to_string(min) + ".." +
                 std::to_string(max));
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Reader::boolean(const YAML::Node& n, std::string_view what) {
  auto s = scalar(n, what);
  if (!s) return std::nullopt;
  // YAML 1.2's core schema, and YAML 1.1's lower-case words.
  for (std::string_view t : {"true", "True", "TRUE", "yes", "on"}) {
    if (*s == t) return true;
  }
  for (std::string_view f : {"false", "False", "FALSE", "no", "off"}) {
    if (*s == f) return false;
  }
  error(n, std::string(what) + ": expected true or false, got " + quoted(*s));
  return std::nullopt;
}

std::optional<Duration> Reader::duration(const YAML::Node& n, std::string_view what, Duration min,
                                         Duration max) {
  auto s = scalar(n, what);
  if (!s) return std::nullopt;
  auto d = parse_duration(*s);
  if (!d) {
    bool bare = !s->empty() && std::all_of(s->begin(), s->end(), [](char c) { return c >= '0' && c <= '9'; });
    error(n, std::string(what) + ": " +
                 (bare ? "a duration needs a unit (" + *s + "s, " + *s + "ms, ...)"
                       : "expected a duration such as 500ms, 1s, 2m or 1h, got " + quoted(*s)));
    return std::nullopt;
  }
  if (*d < min || *d > max) {
    error(n, std::string(what) + ": " + *s + " is out of range " + format_duration(min) + ".." +
                 format_duration(max));
    return std::nullopt;
  }
  return d;
}

std::optional<Ipv4Address> Reader::ipv4(const YAML::Node& n, std::string_view what) {
  auto s = scalar(n, what);
  if (!s) return std::nullopt;
  auto a = Ipv4Address::parse(*s);
  if (!a) error(n, std::string(what) + ": expected an IPv4 address, got " + quoted(*s));
  return a;
}

std::optional<IpAddress> Reader::ip(const YAML::Node& n, std::string_view what) {
  auto s = scalar(n, what);
  if (!s) return std::nullopt;
  auto a = IpAddress::parse(*s);
  if (!a) error(n, std::string(what) + ": expected an IPv4 or IPv6 address, got " + quoted(*s));
  return a;
}

std::optional<IpPrefix> Reader::prefix(const YAML::Node& n, std::string_view what, bool allow_bare) {
  auto s = scalar(n, what);
  if (!s) return std::nullopt;
  auto p = IpPrefix::parse(*s, allow_bare);
  if (!p) {
    bool missing_len = s->find('/') == std::string::npos && IpAddress::parse(*s);
    error(n, std::string(what) + ": " +
                 (missing_len ? quoted(*s) + " needs a prefix length (ADDRESS/LENGTH)"
                              : "expected ADDRESS/LENGTH, got " + quoted(*s)));
  }
  return p;
}

std::optional<std::size_t> Reader::choice(const YAML::Node& n, std::string_view what,
                                          std::initializer_list<std::string_view> choices) {
  auto s = scalar(n, what);
  if (!s) return std::nullopt;
  std::size_t i = 0;
  std::string list;
  for (auto c : choices) {
    if (*s == c) return i;
    list += (i++ ? ", " : "") + std::string(c);
  }
  error(n, std::string(what) + ": " + quoted(*s) + " is not one of " + list);
  return std::nullopt;
}

std::optional<std::vector<std::uint8_t>> Reader::hex(const YAML::Node& n, std::string_view what) {
  auto s = scalar(n, what);
  if (!s) return std::nullopt;
  std::string digits;
  for (char c : *s) {
    if (c != ':') digits += c;
  }
  std::vector<std::uint8_t> out;
  bool ok = !digits.empty() && digits.size() % 2 == 0;
  for (std::size_t i = 0; ok && i < digits.size(); i += 2) {
    unsigned v = 0;
    auto [next, ec] = std::from_chars(digits.data() + i, digits.data() + i + 2, v, 16);
    ok = ec == std::errc{} && next == digits.data() + i + 2;
    out.push_back(static_cast<std::uint8_t>(v));
  }
  if (!ok) {
    error(n, std::string(what) + ": expected hex bytes such as 01:52:54:00, got " + quoted(*s));
    return std::nullopt;
  }
  return out;
}

bool Reader::for_each(const YAML::Node& n, std::string_view what,
                      const std::function<void(const YAML::Node&)>& each) {
  if (!n.IsDefined() || n.IsNull()) return true;
  if (!n.IsSequence()) {
    error(n, std::string(what) + ": expected a list");
    return false;
  }
  const std::size_t size = n.size();
  if (const ListLimit limit = list_limit(what); size > limit.max) {
    error(n, std::string(what) + ": " + std::to_string(size) + " entries; at most " + std::to_string(limit.max) +
                 (limit.why.empty() ? std::string() : " (" + std::string(limit.why) + ")"));
    return false;
  }
  if (!visit(n, size)) return false;
  for (const auto& e : n) {
    // No list takes empty entries; without this, an empty entry in a list of
    // mappings reads as a mapping with every required key missing.
    if (e.IsNull()) {
      error(e, std::string(what) + ": an empty entry");
      continue;
    }
    each(e);
  }
  return true;
}

MapReader::MapReader(Reader& r, const YAML::Node& node, std::string_view what)
    : r_(r), node_(node), what_(what) {
  if (!node.IsDefined() || node.IsNull()) {
    ok_ = true;  // an empty section: every key takes its default
    return;
  }
  if (!node.IsMap()) {
    r_.error(node, what_ + ": expected a mapping of keys");
    return;
  }
  const std::size_t size = node.size();
  if (!r_.visit(node, size)) return;
  ok_ = true;
  entries_.reserve(size);
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      r_.error(it->first, what_ + ": keys must be plain words");
      continue;
    }
    const Mark key_mark = Reader::mark(it->first);
    auto [at, fresh] = index_.emplace(it->first.Scalar(), entries_.size());
    if (!fresh) {
      r_.error(key_mark, what_ + ": duplicate key " + quoted(at->first) + " (first at line " +
                             std::to_string(entries_[at->second].key_mark.line) + ")");
      continue;
    }
    entries_.push_back({at->first, it->second, key_mark});
  }
}

MapReader::~MapReader() {
  if (!ok_) return;
  for (const auto& e : entries_) {
    if (std::find(known_.begin(), known_.end(), e.key) != known_.end()) continue;
    std::string msg = what_ + ": unknown key " + quoted(e.key);
    // Suggest a key this mapping understands when the typo is small; never
    // another unknown key.
    std::string_view best;
    std::size_t best_d = 3;
    for (const auto& k : known_) {
      if (e.key.size() > kMaxSuggestedKey) break;
      std::size_t d = edit_distance(e.key, k);
      if (d < best_d) {
        best_d = d;
        best = k;
      }
    }
    if (!best.empty()) msg += " (did you mean " + quoted(best) + "?)";
    r_.error(e.key_mark, std::move(msg));
  }
}

bool MapReader::has(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  return index_.contains(std::string(key));
}

YAML::Node MapReader::get(std::string_view key) {
  if (!has(key)) return YAML::Node(YAML::NodeType::Undefined);
  Entry& e = entries_[index_.at(std::string(key))];
  if (e.value.IsNull()) r_.set_null_key(e.value, e.key_mark);
  return e.value;
}

YAML::Node MapReader::required(std::string_view key) {
  if (!has(key) && ok_) {
    r_.error(mark().line ? mark() : Mark{}, what_ + ": missing required key " + quoted(key));
  }
  return get(key);
}

void MapReader::read(std::string_view key, std::string& out) {
  if (auto n = get(key); n.IsDefined()) {
    if (auto v = r_.string(n, key)) out = *v;
  }
}

void MapReader::read(std::string_view key, bool& out) {
  if (auto n = get(key); n.IsDefined()) {
    if (auto v = r_.boolean(n, key)) out = *v;
  }
}

void MapReader::read(std::string_view key, unsigned& out, long long min, long long max) {
  if (auto n = get(key); n.IsDefined()) {
    if (auto v = r_.integer(n, key, min, max)) out = static_cast<unsigned>(*v);
  }
}

void MapReader::read(std::string_view key, Duration& out, Duration min, Duration max) {
  if (auto n = get(key); n.IsDefined()) {
    if (auto v = r_.duration(n, key, min, max)) out = *v;
  }
}

}  // namespace pairgate::conf
