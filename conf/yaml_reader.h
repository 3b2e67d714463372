// Reading yaml-cpp nodes into typed values while collecting every error with
// its position. Internal to conf/.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "conf/config.h"
#include "conf/diagnostics.h"

namespace pairgate::conf {

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  static Mark mark(const YAML::Node& n);
  // Records an error. The first kMaxErrors are kept; later ones are only
  // counted, so a file of errors costs no more than a file of keys.
  void error(const YAML::Node& at, std::string message);
  void error(Mark at, std::string message);
  // The kept errors, sorted by position.
  std::vector<Diagnostic> take_errors();
  // Every error recorded, kept or not.
  std::size_t error_count() const { return error_count_; }
  // yaml-cpp places an empty value ("priority:") at the next token; MapReader
  // tells where the key of such a value stood so errors about it point there.
  void set_null_key(const YAML::Node& value, Mark key);
  // mark(n), or the key's position when n is an empty value.
  Mark where(const YAML::Node& n) const;

  // Accounts for visiting `entries` elements or entries of `n` (a list or a
  // mapping). False, after one error for the whole file, once the file has
  // asked for more than kMaxEntries: the caller then skips `n`.
  bool visit(const YAML::Node& n, std::size_t entries);

  // Each returns nullopt after recording an error naming `what`. An undefined
  // node (an absent key) gives nullopt without an error: required() has
  // already reported a missing key.
  std::optional<std::string> string(const YAML::Node& n, std::string_view what);
  std::optional<long long> integer(const YAML::Node& n, std::string_view what, long long min,
                                   long long max);
  std::optional<bool> boolean(const YAML::Node& n, std::string_view what);
  std::optional<Duration> duration(const YAML::Node& n, std::string_view what, Duration min,
                                   Duration max);
  std::optional<Ipv4Address> ipv4(const YAML::Node& n, std::string_view what);
  std::optional<IpAddress> ip(const YAML::Node& n, std::string_view what);
  // "ADDR/LEN"; bare "ADDR" only with allow_bare.
  std::optional<IpPrefix> prefix(const YAML::Node& n, std::string_view what, bool allow_bare = false);
  // One of `choices`; returns its index.
  std::optional<std::size_t> choice(const YAML::Node& n, std::string_view what,
                                    std::initializer_list<std::string_view> choices);
  // Hex bytes, "01:52:54:00" or "01525400".
  std::optional<std::vector<std::uint8_t>> hex(const YAML::Node& n, std::string_view what);

  // Calls each(element) for every element of a sequence; a missing node is an
  // empty list, an empty element ("-" alone, "~") an error. Returns false
  // (after an error) when n is not a sequence, or has more elements than
  // list_limit(what) allows (then no element is looked at).
  bool for_each(const YAML::Node& n, std::string_view what,
                const std::function<void(const YAML::Node&)>& each);

  template <class T, class F>
  std::vector<T> list(const YAML::Node& n, std::string_view what, F parse_one) {
    std::vector<T> out;
    for_each(n, what, [&](const YAML::Node& e) {
      if (std::optional<T> v = parse_one(e)) out.push_back(std::move(*v));
    });
    return out;
  }

 private:
  std::optional<std::string> scalar(const YAML::Node& n, std::string_view what);

  std::string file_;
  std::vector<Diagnostic> errors_;
  std::size_t error_count_ = 0;
  std::size_t entries_ = 0;
  struct NullKey {
    YAML::Node value;
    Mark key;
  };
  // By the empty value's own position; a position rarely holds more than one.
  std::unordered_map<std::uint64_t, std::vector<NullKey>> null_keys_;
};

// A mapping whose keys must all be known. Every key taken with get() or
// required() is known; the destructor reports the rest, with a suggestion for
// near misses among the known keys, and duplicates are reported as they are
// found. Linear in the number of keys.
class MapReader {
 public:
  MapReader(Reader& r, const YAML::Node& node, std::string_view what);
  ~MapReader();
  MapReader(const MapReader&) = delete;
  MapReader& operator=(const MapReader&) = delete;

  bool ok() const { return ok_; }
  Mark mark() const { return r_.where(node_); }
  // Asking about a key makes it known: it is not reported as unknown, and is
  // offered as the suggestion for a near miss.
  bool has(std::string_view key);
  YAML::Node get(std::string_view key);       // undefined node when absent
  YAML::Node required(std::string_view key);  // error when absent

  // Convenience: read key into `out` when present.
  void read(std::string_view key, std::string& out);
  void read(std::string_view key, bool& out);
  void read(std::string_view key, unsigned& out, long long min, long long max);
  void read(std::string_view key, Duration& out, Duration min, Duration max);

 private:
  Reader& r_;
  YAML::Node node_;
  std::string what_;
  bool ok_ = false;
  struct Entry {
    std::string key;
    YAML::Node value;
    Mark key_mark;
  };
  std::vector<Entry> entries_;                         // file order, first of each key
  std::unordered_map<std::string, std::size_t> index_;  // key -> entries_
  std::vector<std::string> known_;
};

}  // namespace pairgate::conf
