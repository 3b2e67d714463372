// The peer section and dhcp.subnets[].server_identifier: parsing, defaults
// and the cross-checks --check makes (conf/parse_peer.cc, conf/validate.cc).
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "conf/diff.h"
#include "conf/key_file.h"
#include "conf/parser.h"
#include "conf/print.h"
#include "tests/conf/print.h"

namespace pairgate::conf {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A key file of `content` with `mode`, removed with the fixture.
class KeyFiles : public ::testing::Test {
 protected:
  std::string make(std::string_view content, mode_t mode = 0600) {
    auto path = dir_ / ("key" + std::to_string(n_++));
    std::ofstream(path, std::ios::binary) << content;
    ::chmod(path.c_str(), mode);
    return path.string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_ = [] {
    auto d = std::filesystem::temp_directory_path() / ("pairgate-key-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  int n_ = 0;
};

const std::string kSecret = "tZ3uY1qYVh1n3Vb7m0C0wq1ZrS3H0kq8m6Vq2vGm3bE=";  // 44 bytes of base64

std::string file(const std::string& peer, const std::string& dhcp_extra = "") {
  return R"(node: beagle
vrrp:
  instances:
    - name: VRRP2
      interface: eth1
      vrid: 2
      virtual_addresses: [198.51.100.1/24]
    - name: VRRP1
      interface: eth0
      vrid: 1
      virtual_addresses: [192.0.2.1/24]
dhcp:
  subnets:
    - interface: eth1
      subnet: 198.51.100.0/24
      pools: [198.51.100.20-198.51.100.99]
)" + dhcp_extra + peer;
}

std::vector<std::string> errors(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.errors) out.push_back(std::to_string(d.line) + ": " + d.message);
  return out;
}

TEST_F(KeyFiles, TheSectionWithItsDefaults) {
  auto key = make(kSecret + "\n");
  auto r = parse(file("peer:\n  address: 198.51.100.3\n  key_file: " + key + "\n"), "t.yaml");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  ASSERT_TRUE(r.config->peer);
  EXPECT_EQ(r.config->peer->address, *IpAddress::parse("198.51.100.3"));
  EXPECT_FALSE(r.config->peer->local);
  EXPECT_EQ(r.config->peer->port, 6470);
  EXPECT_EQ(r.config->peer->key_file, key);
}

TEST_F(KeyFiles, EveryKey) {
  auto key = make(kSecret);
  auto r = parse(file("peer:\n  address: 2001:db8::3\n  local: 2001:db8::2\n  port: 7000\n  key_file: " + key + "\n"),
                 "t.yaml");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  EXPECT_EQ(r.config->peer->local, IpAddress::parse("2001:db8::2"));
  EXPECT_EQ(r.config->peer->port, 7000);
}

TEST_F(KeyFiles, ParseErrors) {
  auto key = make(kSecret);
  struct Case {
    std::string peer;
    std::string error;
  } cases[] = {
      {"peer:\n  key_file: " + key + "\n", "18: peer: missing required key 'address'"},
      {"peer:\n  address: 198.51.100.256\n  key_file: " + key + "\n", "18: peer.address: expected an IPv4 or IPv6"},
      {"peer:\n  address: 224.0.0.18\n  key_file: " + key + "\n", "18: peer.address: 224.0.0.18 is not a unicast"},
      {"peer:\n  address: 198.51.100.3\n  port: 0\n  key_file: " + key + "\n", "19: peer.port: 0 is out of range"},
      {"peer:\n  address: 198.51.100.3\n  key_file: peer.key\n", "19: peer.key_file: must be an absolute file path"},
      {"peer:\n  address: 198.51.100.3\n", "18: peer: missing required key 'key_file'"},
      {"peer:\n  address: 198.51.100.3\n  key_file: " + key + "\n  adress: 1.2.3.4\n", "20: peer: unknown key 'adress' (did you mean 'address'?)"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.peer);
    auto r = parse(file(c.peer), "t.yaml");
    ASSERT_FALSE(r.errors.empty());
    EXPECT_THAT(errors(r).front(), HasSubstr(c.error));
  }
}

TEST_F(KeyFiles, CheckRefusesAMissingShortOrOpenKeyFile) {
  struct Case {
    std::string path;
    std::string error;
  } cases[] = {
      {"/nonexistent/peer.key", "cannot open it: No such file or directory"},
      {make(kSecret, 0640), "mode 0640 lets group or others read or write it (chmod 600)"},
      {make(kSecret, 0604), "mode 0604"},
      {make(kSecret, 0620), "mode 0620"},
      {make("0123456789abcdef0123456789abcde\n"), "it holds 31 bytes; the secret needs at least 32"},
      {make(std::string(5000, 'k')), "it holds more than 4096 bytes"},
      {dir_.string(), "it is not a regular file"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    auto r = parse(file("peer:\n  address: 198.51.100.3\n  key_file: " + c.path + "\n"), "t.yaml");
    ASSERT_EQ(r.errors.size(), 1u) << r.report();
    EXPECT_EQ(r.errors[0].line, 19);
    EXPECT_THAT(r.errors[0].message, HasSubstr("peer.key_file: " + c.path + ": " + c.error));
  }
}

TEST_F(KeyFiles, TheSecretIsTheFileWithoutItsLineEnd) {
  auto a = read_key_file(make(kSecret + "\n"));
  auto b = read_key_file(make(kSecret + "\r\n"));
  auto c = read_key_file(make(kSecret));
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(*a, *c);
  EXPECT_EQ(*b, *c);
  EXPECT_EQ(c->size(), kSecret.size());
  auto ro = read_key_file(make(kSecret, 0400));
  EXPECT_TRUE(ro);
}

TEST_F(KeyFiles, CrossChecks) {
  auto key = make(kSecret);
  struct Case {
    std::string peer;
    std::string error;
  } cases[] = {
      {"peer:\n  address: 198.51.100.1\n  key_file: " + key + "\n",
       "18: peer.address: 198.51.100.1 is a virtual address of VRRP2; name the other router's own address"},
      {"peer:\n  address: 198.51.100.3\n  local: 192.0.2.1\n  key_file: " + key + "\n",
       "19: peer.local: 192.0.2.1 is a virtual address of VRRP1; name this host's own address"},
      {"peer:\n  address: 198.51.100.3\n  local: 2001:db8::2\n  key_file: " + key + "\n",
       "19: peer.local: 2001:db8::2 and peer.address 198.51.100.3 are of different families"},
      {"peer:\n  address: 198.51.100.3\n  local: 198.51.100.3\n  key_file: " + key + "\n",
       "19: peer.local: the same address as peer.address"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.peer);
    auto r = parse(file(c.peer), "t.yaml");
    EXPECT_THAT(errors(r), ElementsAre(c.error)) << r.report();
  }
}

TEST(ServerIdentifier, AVirtualAddressOfAnInstanceOnTheSubnetsInterface) {
  auto r = parse(file("", "      server_identifier: 198.51.100.1\n"), "t.yaml");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  EXPECT_EQ(r.config->dhcp->subnets[0].server_identifier, Ipv4Address::parse("198.51.100.1"));
  auto none = parse(file(""), "t.yaml");
  EXPECT_FALSE(none.config->dhcp->subnets[0].server_identifier);
}

TEST(ServerIdentifier, CheckRefusesAnAddressNoInstanceOnTheInterfaceCarries) {
  auto own = parse(file("", "      server_identifier: 198.51.100.2\n"), "t.yaml");
  EXPECT_THAT(errors(own),
              ElementsAre("17: dhcp subnet 198.51.100.0/24: server_identifier 198.51.100.2 is not a virtual address of "
                          "any VRRP instance on eth1 (leave it out to use this host's own address)"));
  auto other = parse(file("", "      server_identifier: 192.0.2.1\n"), "t.yaml");
  EXPECT_THAT(errors(other),
              ElementsAre("17: dhcp subnet 198.51.100.0/24: server_identifier 192.0.2.1 belongs to VRRP instance "
                          "VRRP1 on eth0, not to eth1 (leave it out to use this host's own address)"));
  auto bad = parse(file("", "      server_identifier: vip\n"), "t.yaml");
  EXPECT_THAT(errors(bad), ElementsAre("17: server_identifier: expected an IPv4 address, got 'vip'"));
}

TEST_F(KeyFiles, DiffSeesThePeerSectionAndTheServerIdentifier) {
  auto key = make(kSecret);
  const std::string peer = "peer:\n  address: 198.51.100.3\n  key_file: " + key + "\n";
  auto a = parse(file(peer), "t.yaml");
  auto b = parse(file("peer:\n  address: 198.51.100.4\n  key_file: " + key + "\n"), "t.yaml");
  auto c = parse(file(peer, "      server_identifier: 198.51.100.1\n"), "t.yaml");
  ASSERT_TRUE(a.config && b.config && c.config);
  auto d = diff(*a.config, *b.config);
  EXPECT_TRUE(d.peer);
  EXPECT_EQ(d.summary(), "peer");
  auto e = diff(*a.config, *c.config);
  EXPECT_FALSE(e.peer);
  EXPECT_EQ(e.summary(), "dhcp changed [198.51.100.0/24]");
  EXPECT_TRUE(diff(*a.config, *a.config).empty());
  // The key file rewritten (a new secret): the peer section changed.
  std::filesystem::last_write_time(key, std::filesystem::last_write_time(key) + std::chrono::seconds(1));
  auto rewritten = parse(file(peer), "t.yaml");
  ASSERT_TRUE(rewritten.config);
  EXPECT_TRUE(diff(*a.config, *rewritten.config).peer);
}

TEST_F(KeyFiles, PrintConfigWritesThePeerSectionAndTheServerIdentifierBack) {
  auto key = make(kSecret);
  auto r = parse(file("peer:\n  address: 198.51.100.3\n  local: 198.51.100.2\n  key_file: " + key + "\n",
                      "      server_identifier: 198.51.100.1\n"),
                 "t.yaml");
  ASSERT_TRUE(r.config) << r.report();
  for (bool defaults : {true, false}) {
    PrintOptions o;
    o.defaults = defaults;
    const std::string text = print(*r.config, o);
    EXPECT_THAT(text, HasSubstr("server_identifier: 198.51.100.1"));
    EXPECT_THAT(text, HasSubstr("peer:\n  address: 198.51.100.3\n  local: 198.51.100.2\n"));
    EXPECT_EQ(text.find("port: 6470") != std::string::npos, defaults) << text;
    auto again = parse(text, "printed.yaml");
    ASSERT_TRUE(again.config) << again.report() << text;
    EXPECT_EQ(*again.config, *r.config) << text;
  }
}

}  // namespace
}  // namespace pairgate::conf
