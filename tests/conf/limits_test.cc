// The loader's limits (conf/limits.h) on generated files: what a file of
// errors, a huge or endless file, a FIFO, long lists and multiplying aliases
// give. Time is never asserted here (scripts/bench/config-scale measures it);
// counts and refusals are.
#include "conf/limits.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "conf/parser.h"
#include "tests/conf/print.h"

namespace pairgate::conf {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::vector<std::string> headlines(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.errors) out.push_back(headline(d));
  return out;
}

std::string repeat(std::size_t n, const std::function<std::string(std::size_t)>& one) {
  std::string out;
  for (std::size_t i = 0; i < n; ++i) out += one(i);
  return out;
}

class LimitsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("pairgate-limits-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(std::string_view name) const { return (dir_ / name).string(); }
  std::string write(std::string_view name, std::string_view text) const {
    std::ofstream(path(name), std::ios::binary) << text;
    return path(name);
  }

  std::filesystem::path dir_;
};

TEST(Limits, AnUnknownKeyIsComparedOnlyWithTheKeysItsSectionKnows) {
  // Before, each unknown key joined the known ones: 'color2' was offered as
  // the fix of 'color1', and every key cost a comparison with all before it.
  const LoadResult r = parse("node: n\ncolor2: 1\ncolor1: 1\nnodes: 2\n", "u.yaml");
  EXPECT_THAT(headlines(r), ElementsAre("u.yaml:2:1: error: configuration: unknown key 'color2'",
                                        "u.yaml:3:1: error: configuration: unknown key 'color1'",
                                        "u.yaml:4:1: error: configuration: unknown key 'nodes' (did you mean 'node'?)"));
  EXPECT_EQ(r.error_count, 3u);
}

TEST(Limits, AfterAHundredErrorsTheRestAreCountedNotKept) {
  const std::string text =
      "node: n\n" + repeat(20'000, [](std::size_t i) { return "key_number_" + std::to_string(i) + ": 1\n"; });
  const LoadResult r = parse(text, "many.yaml");
  EXPECT_FALSE(r.config.has_value());
  ASSERT_EQ(r.errors.size(), kMaxErrors);
  EXPECT_EQ(r.error_count, 20'000u);
  // The first hundred, in file order.
  EXPECT_EQ(headline(r.errors.front()), "many.yaml:2:1: error: configuration: unknown key 'key_number_0'");
  EXPECT_EQ(headline(r.errors.back()), "many.yaml:101:1: error: configuration: unknown key 'key_number_99'");
  EXPECT_EQ(r.more(), "... and 19900 more errors not shown");
  EXPECT_THAT(r.report(), ::testing::EndsWith("\n ^\n... and 19900 more errors not shown\n"));
  EXPECT_EQ(r.summary("many.yaml"), "20000 errors in many.yaml");
}

TEST(Limits, AFewErrorsAreAllShown) {
  const LoadResult r = parse("node: n\nx: 1\n", "one.yaml");
  EXPECT_EQ(r.error_count, 1u);
  EXPECT_EQ(r.more(), "");
  EXPECT_EQ(r.summary("one.yaml"), "1 error in one.yaml");
  EXPECT_EQ(r.report(), "one.yaml:2:1: error: configuration: unknown key 'x'\n x: 1\n ^\n");
}

TEST(Limits, ATextOverTheSizeLimitIsNotParsed) {
  const std::string text = "node: n\n" + std::string(kMaxFileBytes, '#');
  const LoadResult r = parse(text, "big.yaml");
  EXPECT_THAT(r.errors, ElementsAre(Diagnostic{"big.yaml", 0, 0,
                                               "configuration: 1048584 bytes; a configuration may have at most 1048576"}));
  EXPECT_TRUE(r.source.empty());
}

TEST_F(LimitsFiles, AFileOverTheSizeLimitIsRefusedBeforeItIsRead) {
  std::string text = "node: n\n#";
  text += std::string(kMaxFileBytes + 1 - text.size(), 'x');
  const std::string file = write("big.yaml", text);
  const LoadResult r = load(file);
  EXPECT_THAT(r.errors, ElementsAre(Diagnostic{file, 0, 0,
                                               "cannot read the file: it has 1048577 bytes; a configuration file may "
                                               "have at most 1048576"}));
  EXPECT_EQ(r.error_count, 1u);
}

TEST_F(LimitsFiles, AFileOfExactlyTheSizeLimitIsRead) {
  std::string text = "node: n\n#";
  text += std::string(kMaxFileBytes - text.size(), 'x');
  const LoadResult r = load(write("full.yaml", text));
  EXPECT_THAT(r.errors, IsEmpty()) << r.report();
  EXPECT_EQ(r.source.size(), kMaxFileBytes);
}

TEST_F(LimitsFiles, AFifoIsRefusedWithoutWaitingForAWriter) {
  // Before, load() opened it for reading and waited for a writer forever.
  const std::string fifo = path("fifo.yaml");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const LoadResult r = load(fifo);
  EXPECT_THAT(r.errors, ElementsAre(Diagnostic{fifo, 0, 0,
                                               "cannot read the file: it is a FIFO (named pipe); the configuration "
                                               "must be a regular file"}));
}

TEST_F(LimitsFiles, AnEndlessDeviceIsRefusedDirectlyOrThroughALink) {
  // Before, /dev/zero was read until memory ran out.
  const std::string link = path("zero.yaml");
  std::filesystem::create_symlink("/dev/zero", link);
  for (const std::string& p : {std::string("/dev/zero"), link}) {
    SCOPED_TRACE(p);
    const LoadResult r = load(p);
    EXPECT_THAT(r.errors, ElementsAre(Diagnostic{p, 0, 0,
                                                 "cannot read the file: it is a character device; the "
                                                 "configuration must be a regular file"}));
  }
}

TEST_F(LimitsFiles, ALinkToARegularFileIsFollowed) {
  const std::string target = write("real.yaml", "node: linked\n");
  const std::string link = path("link.yaml");
  std::filesystem::create_symlink(target, link);
  const LoadResult r = load(link);
  ASSERT_TRUE(r.config.has_value()) << r.report();
  EXPECT_EQ(r.config->node, "linked");
}

TEST(Limits, TooManyNodesStopTheParseBeforeTheTreeIsBuilt) {
  // 2 million notify.exec entries once took 7.5 s and 1 GB, and were accepted.
  std::string text = "node: n\nnotify:\n  exec: [";
  for (std::size_t i = 0; i < kMaxNodes; ++i) text += "a,";
  text += "a]\n";
  const LoadResult r = parse(text, "nodes.yaml");
  ASSERT_EQ(r.errors.size(), 1u) << r.report();
  EXPECT_EQ(r.errors[0].line, 3);
  EXPECT_EQ(r.errors[0].message,
            "configuration: more than 100000 YAML nodes (values, lists and mappings); the rest is not read");
}

TEST(Limits, DeepNestingIsAnErrorNotACrash) {
  for (const std::string& text : {"node: n\nx: " + std::string(3000, '['), "node: n\nx:\n  " + repeat(600, [](std::size_t) { return "- "; }) + "x\n"}) {
    const LoadResult r = parse(text, "deep.yaml");
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].message, "YAML syntax: nested too deeply");
  }
}

TEST(Limits, AliasesThatMultiplyAreStoppedByTheEntryBudget) {
  // 256 subnets that are one subnet, whose 4096 reservations are one
  // reservation: 16 KiB of text and a few thousand nodes, but millions of
  // entries to walk.
  std::string text =
      "node: n\ndhcp:\n  subnets:\n    - &s\n      interface: eth0\n      subnet: 198.18.0.0/16\n"
      "      reservations: [&r {hw_address: \"52:54:00:00:00:01\", address: 198.18.1.1}";
  text += repeat(4095, [](std::size_t) { return ", *r"; }) + "]\n";
  text += repeat(255, [](std::size_t) { return "    - *s\n"; });
  ASSERT_LT(text.size(), 32u * 1024);
  const LoadResult r = parse(text, "aliases.yaml");
  EXPECT_FALSE(r.config.has_value());
  std::vector<std::string> messages;
  for (const auto& d : r.errors) messages.push_back(d.message);
  EXPECT_THAT(messages, ::testing::Contains(
                            "the file expands to more than 200000 list and mapping entries (an alias counts at "
                            "each use); the rest is not read"));
}

// A file with `n` entries in one list; `at` is the list's line and column.
struct ListCase {
  std::string what;
  std::size_t limit;
  std::function<std::string(std::size_t n)> file;
  int line;
  int column;
  std::string why;  // the bound's reason in the error, if any
  bool valid_at_limit;
};

std::string ip(std::size_t i, std::string_view base = "198.18.") {
  return std::string(base) + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
}

const std::vector<ListCase>& list_cases() {
  static const std::vector<ListCase> cases = {
      {"notify.exec", 16,
       [](std::size_t n) { return "node: n\nnotify:\n  exec: [" + repeat(n, [](std::size_t i) { return i ? ", /bin/true" : "/bin/true"; }) + "]\n"; },
       3, 9, "each runs at every VRRP state change", true},
      {"notify.email.to", 16,
       [](std::size_t n) {
         return "node: n\nnotify:\n  email:\n    from: a@example.com\n    to: [" +
                repeat(n, [](std::size_t i) { return (i ? ", u" : "u") + std::to_string(i) + "@example.com"; }) + "]\n";
       },
       5, 9, "", true},
      {"vrrp.instances", 256,
       [](std::size_t n) {
         return "node: n\nvrrp:\n  instances:\n" + repeat(n, [](std::size_t i) {
                  return "    - {name: V" + std::to_string(i) + ", interface: eth" + std::to_string(i / 200) +
                         ", vrid: " + std::to_string(i % 200 + 1) + ", virtual_addresses: [" + ip(i) + "/16]}\n";
                });
       },
       4, 5, "", true},
      {"virtual_addresses", 255,
       [](std::size_t n) {
         return "node: n\nvrrp:\n  instances:\n    - name: V\n      interface: eth0\n      vrid: 1\n"
                "      virtual_addresses: [" +
                repeat(n, [](std::size_t i) { return (i ? ", " : "") + ip(i) + "/16"; }) + "]\n";
       },
       7, 26, "the advert's Count IP Addrs", true},
      {"dhcp.subnets", 256,
       [](std::size_t n) {
         return "node: n\ndhcp:\n  subnets:\n" + repeat(n, [](std::size_t i) {
                  const std::string net = "198." + std::to_string(18 + i / 256) + "." + std::to_string(i % 256);
                  return "    - {interface: eth0, subnet: " + net + ".0/24, pools: [" + net + ".10-" + net + ".99]}\n";
                });
       },
       4, 5, "", true},
      {"reservations", 4096,
       [](std::size_t n) {
         return "node: n\ndhcp:\n  subnets:\n    - interface: eth0\n      subnet: 198.18.0.0/16\n"
                "      reservations:\n" +
                repeat(n, [](std::size_t i) {
                  char mac[32];
                  std::snprintf(mac, sizeof mac, "52:54:00:00:%02zx:%02zx", i / 256, i % 256);
                  return std::string("        - {hw_address: \"") + mac + "\", address: " + ip(i) + "}\n";
                });
       },
       7, 9, "per subnet", true},
      {"firewall.input", 1024,
       [](std::size_t n) {
         return "node: n\nfirewall:\n  wan_interfaces: [eth0]\n  input:\n" +
                repeat(n, [](std::size_t i) { return "    - {proto: tcp, dport: " + std::to_string(i + 1) + "}\n"; });
       },
       5, 5, "", true},
      {"firewall.forward", 1024,
       [](std::size_t n) {
         return "node: n\nfirewall:\n  wan_interfaces: [eth0]\n  forward:\n" +
                repeat(n, [](std::size_t i) { return "    - {proto: udp, dport: " + std::to_string(i + 1) + "}\n"; });
       },
       5, 5, "", true},
      {"tunnels", 256,
       [](std::size_t n) {
         return "node: n\ntunnels:\n" + repeat(n, [](std::size_t i) {
                  return "  - {name: t" + std::to_string(i) + ", wan_interface: eth0, aftr: \"2001:db8::1\", default_route: false}\n";
                });
       },
       3, 3, "", true},
      {"pools", 256,
       [](std::size_t n) {
         return "node: n\ndhcp:\n  subnets:\n    - interface: eth0\n      subnet: 198.18.0.0/16\n      pools: [" +
                repeat(n, [](std::size_t i) { return (i ? ", " : "") + ip(2 * i) + "-" + ip(2 * i); }) + "]\n";
       },
       6, 14, "", true},
  };
  return cases;
}

TEST(Limits, EveryListHasABoundCheckedBeforeItsEntries) {
  for (const ListCase& c : list_cases()) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(list_limit(c.what).max, c.limit);
    const LoadResult at_limit = parse(c.file(c.limit), "list.yaml");
    if (c.valid_at_limit) {
      EXPECT_THAT(at_limit.errors, IsEmpty()) << at_limit.report().substr(0, 2000);
    }
    const LoadResult over = parse(c.file(c.limit + 1), "list.yaml");
    ASSERT_FALSE(over.errors.empty());
    std::string message = c.what + ": " + std::to_string(c.limit + 1) + " entries; at most " + std::to_string(c.limit);
    if (!c.why.empty()) message += " (" + c.why + ")";
    EXPECT_THAT(over.errors, ::testing::Contains(Diagnostic{"list.yaml", c.line, c.column, message}))
        << over.report().substr(0, 2000);
  }
}

TEST(Limits, AListWithoutABoundOfItsOwnHasTheDefault) {
  EXPECT_EQ(list_limit("vrrp.sync_groups").max, kDefaultListLimit);
  EXPECT_EQ(list_limit("a list added later").max, kDefaultListLimit);
}

TEST(Limits, SysctlHasABoundToo) {
  auto file = [](std::size_t n) {
    return "node: n\nsysctl:\n" + repeat(n, [](std::size_t i) { return "  net.ipv4.k" + std::to_string(i) + ": 1\n"; });
  };
  const LoadResult over = parse(file(kMaxSysctlKeys + 1), "s.yaml");
  EXPECT_THAT(over.errors, ElementsAre(Diagnostic{"s.yaml", 3, 3, "sysctl: 257 keys; at most 256"}));
  const LoadResult at = parse(file(kMaxSysctlKeys), "s.yaml");
  for (const auto& d : at.errors) EXPECT_THAT(d.message, ::testing::Not(HasSubstr("at most")));
}

TEST(Limits, OverlappingPoolsAreFoundAmongManySubnets) {
  // Found by sorting, not by comparing each pool with every other.
  std::string text = "node: n\ndhcp:\n  subnets:\n";
  for (int i = 0; i < 200; ++i) {
    const std::string net = "198.18." + std::to_string(i);
    text += "    - {interface: eth0, subnet: " + net + ".0/24, pools: [" + net + ".10-" + net + ".99]}\n";
  }
  text += "    - {interface: eth1, subnet: 198.19.0.0/24, pools: [198.19.0.10-198.19.0.99, 198.19.0.50-198.19.0.60]}\n";
  const LoadResult r = parse(text, "p.yaml");
  EXPECT_THAT(headlines(r),
              ElementsAre("p.yaml:204:81: error: dhcp subnet 198.19.0.0/24: pool 198.19.0.50-198.19.0.60 overlaps "
                          "pool 198.19.0.10-198.19.0.99 (line 204)"));
}

}  // namespace
}  // namespace pairgate::conf
