// pairgatectl import on the seed's own files (tests/import/fixtures): the
// warnings are exactly the directives not carried over, and the result loads.
// The comparison by meaning with ../shared/design/<host>.yaml, through
// pairgated --print-config, is tests/import/seed_cli_test.sh.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "conf/parser.h"
#include "import/command.h"

namespace pairgate::import {
namespace {

using ::testing::ElementsAre;

const std::string kFixtures = PAIRGATE_SOURCE_DIR "/tests/import/fixtures/";

struct Imported {
  int status;
  std::string out;
  std::vector<std::string> warnings;  // with the fixture root cut off
};

Imported import_host(const std::string& host) {
  Options o;
  o.root = kFixtures + host;
  std::ostringstream out, err;
  Imported r;
  r.status = run(o, out, err);
  r.out = out.str();
  std::istringstream lines(err.str());
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(o.root)) line.erase(0, o.root.size());
    r.warnings.push_back(line);
  }
  return r;
}

TEST(Seed, BeagleImportsWithTheWarningsItShould) {
  Imported r = import_host("beagle");
  EXPECT_EQ(r.status, 0);
  EXPECT_THAT(r.warnings,
              ElementsAre("/etc/keepalived/keepalived.conf:8: warning: router_id 1: not carried over (global_defs): "
                          "pairgate names this host by `node`",
                          "/etc/iptables/rules.v4:6: warning: 11 rules and the chains of Docker are left to Docker, "
                          "which makes them itself",
                          "/etc/iptables/rules.v4:12: warning: 10 rules and the chains of LXD are left to LXD, "
                          "which makes them itself",
                          "/etc/iptables/rules.v6:7: warning: 9 rules and the chains of LXD are left to LXD, "
                          "which makes them itself"));
  auto loaded = conf::parse(r.out, "imported.yaml");
  ASSERT_TRUE(loaded.config) << loaded.report() << r.out;
  const conf::Config& c = *loaded.config;
  EXPECT_EQ(c.node, "beagle");
  EXPECT_EQ(c.vrrp->instances.at(0).interface, "enp3s0");
  EXPECT_EQ(c.vrrp->instances.at(1).interface, "enp4s0");
  EXPECT_EQ(c.dhcp->subnets.at(0).interface, "enp4s0");
  EXPECT_EQ(c.tunnels.at(0).wan_interface, "enp3s0");
  EXPECT_THAT(c.firewall->wan_interfaces, ElementsAre("enp3s0"));
}

TEST(Seed, PrimergyImportsToo) {
  Imported r = import_host("primergy");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.warnings.size(), 4u);
  auto loaded = conf::parse(r.out, "imported.yaml");
  ASSERT_TRUE(loaded.config) << loaded.report() << r.out;
  EXPECT_EQ(loaded.config->node, "primergy");
  EXPECT_EQ(loaded.config->vrrp->instances.at(0).priority, 100u);
  EXPECT_EQ(loaded.config->dhcp->subnets.at(0).interface, "enp2s0");
  EXPECT_EQ(loaded.config->dhcp->subnets.at(0).pools.at(0).range, *Ipv4Range::parse("192.168.2.100-192.168.2.189"));
}

TEST(Seed, NothingToImportExitsOne) {
  Options o;
  o.root = kFixtures + "beagle/usr";  // no /etc there
  o.node = "x";
  std::ostringstream out, err;
  EXPECT_EQ(run(o, out, err), 1);
  EXPECT_EQ(out.str(), "");
  EXPECT_THAT(err.str(), ::testing::HasSubstr("nothing to import"));
}

TEST(Seed, AnExplicitFileThatCannotBeReadExitsOne) {
  Options o;
  o.root = kFixtures + "beagle";
  o.keepalived = "/nonexistent/keepalived.conf";
  std::ostringstream out, err;
  EXPECT_EQ(run(o, out, err), 1);
  EXPECT_THAT(err.str(), ::testing::HasSubstr("cannot read /nonexistent/keepalived.conf"));
}

}  // namespace
}  // namespace pairgate::import
