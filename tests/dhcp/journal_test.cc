// dhcp/journal_format and dhcp/journal: records, torn and damaged files,
// group commit, compaction and recovery after a failed batch.
#include "dhcp/journal.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <filesystem>
#include <fstream>

namespace pairgate::dhcp {
namespace {

Lease sample(std::uint32_t n, std::string hostname = "host one%") {
  std::array<std::uint8_t, 6> mac{0x52, 0x54, 0, 0, static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  return Lease{Ipv4Address(0xc0000200u + n), LeaseState::leased, LeaseOrigin::local, 1800000000 + n, MacAddress(mac),
               ClientKey::from_hardware(1, mac), std::move(hostname)};
}

std::string encoded(const Lease& l) {
  std::string s;
  encode_record(l, s);
  return s;
}

TEST(JournalFormat, RoundTripsEveryField) {
  Lease l = sample(7);
  l.origin = LeaseOrigin::peer;
  auto back = decode_record(std::string_view(encoded(l)).substr(0, encoded(l).size() - 1));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, l);
  Lease declined{Ipv4Address(0xc0000209u), LeaseState::declined, LeaseOrigin::local, 5, std::nullopt, {}, {}};
  auto line = encoded(declined);
  EXPECT_EQ(line.substr(0, 39), "lease 192.0.2.9 declined 5 - - - local ");
  EXPECT_EQ(decode_record(std::string_view(line).substr(0, line.size() - 1)), declined);
  Lease dash = sample(8, "-");
  line = encoded(dash);
  EXPECT_EQ(decode_record(std::string_view(line).substr(0, line.size() - 1))->hostname, "-");
}

TEST(JournalFormat, EveryFlippedByteIsCaught) {
  const std::string line = encoded(sample(1));
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    std::string bad = line.substr(0, line.size() - 1);
    bad[i] = static_cast<char>(bad[i] ^ 0x04);
    EXPECT_FALSE(decode_record(bad)) << "byte " << i;
  }
}

TEST(JournalFormat, ReplayKeepsTheLastRecordAndDropsATornTail) {
  std::string file = encoded(sample(1)) + encoded(sample(2));
  Lease renewed = sample(1);
  renewed.expires += 600;
  file += encoded(renewed);
  const std::size_t good = file.size();
  std::string damaged = encoded(sample(3));
  damaged[10] = 'x';
  file += damaged + encoded(sample(4));
  const std::size_t before_torn = file.size();
  file += encoded(sample(5)).substr(0, 20);
  Replay r = replay(file);
  EXPECT_EQ(r.records, 4u);
  EXPECT_EQ(r.damaged, 1u);
  EXPECT_TRUE(r.torn_tail);
  ASSERT_EQ(r.leases.size(), 3u);
  EXPECT_EQ(r.leases[0], renewed);
  EXPECT_EQ(r.leases[2], sample(4));
  EXPECT_EQ(r.good_bytes, before_torn);
  EXPECT_GT(r.good_bytes, good);
  // Every prefix of the file replays: only its complete lines count, a cut
  // line is a torn tail (never a damaged record, never a misread one), and
  // nothing is lost that a longer prefix keeps.
  std::size_t records = 0;
  for (std::size_t n = 0; n <= file.size(); ++n) {
    Replay p = replay(std::string_view(file).substr(0, n));
    EXPECT_EQ(p.torn_tail, n > 0 && file[n - 1] != '\n') << n;
    EXPECT_LE(p.good_bytes, n) << n;
    EXPECT_LE(p.damaged, 1u) << n;
    EXPECT_GE(p.records, records) << n;
    records = p.records;
    for (const auto& l : p.leases) {
      EXPECT_TRUE(l == sample(1) || l == sample(2) || l == renewed || l == sample(4)) << n;
    }
  }
  EXPECT_EQ(records, 4u);
}

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() / ("pairgate-journal-" + std::to_string(::getpid()) + "-" +
                                                    ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    path = (dir / "sub" / "dhcp4.leases").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  void run_until_idle(Journal& j) {
    bool idle = false;
    j.when_idle([&] { idle = true; });
    io.restart();  // a previous run ran out of work
    while (!idle && io.run_one() > 0) {
    }
    ASSERT_TRUE(idle);
  }

  std::filesystem::path dir;
  std::string path;
  boost::asio::io_context io;
  std::string live;
  std::vector<std::pair<std::uint64_t, std::error_code>> done;
};

TEST_F(JournalTest, OneTurnIsOneBatchAndReportsOnlyWhenDurable) {
  Journal j(io, path, [&] { return live; }, [&](std::uint64_t b, std::error_code ec) { done.emplace_back(b, ec); }, true);
  const auto b1 = j.append(sample(1));
  const auto b2 = j.append(sample(2));
  EXPECT_EQ(b1, b2) << "appends of one turn share a batch";
  EXPECT_TRUE(done.empty());
  run_until_idle(j);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].first, b1);
  EXPECT_FALSE(done[0].second);
  auto loaded = Journal::load(path);
  EXPECT_TRUE(loaded.existed);
  EXPECT_EQ(loaded.leases.size(), 2u);
  EXPECT_EQ(j.append(sample(3)), b1 + 1);
  run_until_idle(j);
  EXPECT_EQ(Journal::load(path).leases.size(), 3u);
}

TEST_F(JournalTest, EachDurableBatchTimesItsSync) {
  Journal j(io, path, [&] { return live; }, [&](std::uint64_t b, std::error_code ec) { done.emplace_back(b, ec); }, true);
  EXPECT_EQ(j.sync_latency()->count(), 0u);
  j.append(sample(1));
  run_until_idle(j);
  j.append(sample(2));
  run_until_idle(j);
  EXPECT_EQ(j.sync_latency()->count(), 2u);
  EXPECT_GE(j.sync_latency()->sum(), 0.0);
  EXPECT_EQ(j.sync_latency()->value().cumulative.back(), 2u) << "a sync took over 10 s";
}

TEST_F(JournalTest, AMissingFileIsAnEmptyStore) {
  auto loaded = Journal::load(path);
  EXPECT_FALSE(loaded.existed);
  EXPECT_TRUE(loaded.leases.empty());
}

TEST_F(JournalTest, ADamagedFileIsRewrittenFromTheSnapshotFirst) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  { std::ofstream(path) << encoded(sample(1)) << "lease torn"; }
  auto loaded = Journal::load(path);
  EXPECT_TRUE(loaded.stats.torn_tail);
  live = encoded(sample(1));
  Journal j(io, path, [&] { return live; }, [&](std::uint64_t b, std::error_code ec) { done.emplace_back(b, ec); }, false);
  j.append(sample(2));
  live += encoded(sample(2));
  run_until_idle(j);
  auto again = Journal::load(path);
  EXPECT_FALSE(again.stats.torn_tail);
  EXPECT_EQ(again.stats.damaged, 0u);
  EXPECT_EQ(again.leases.size(), 2u);
  EXPECT_EQ(j.compactions(), 1u);
}

TEST_F(JournalTest, ItCompactsWhenTheFileOutgrowsItsLiveSize) {
  Journal j(io, path, [&] { return live; }, [&](std::uint64_t b, std::error_code ec) { done.emplace_back(b, ec); }, true);
  live = encoded(sample(1));
  // One lease renewed many times: the file grows, the live size does not.
  for (int i = 0; i < 20000; ++i) {
    j.append(sample(1));
    if (i % 1000 == 0) run_until_idle(j);
  }
  run_until_idle(j);
  EXPECT_GE(j.compactions(), 1u);
  EXPECT_LT(std::filesystem::file_size(path), 1500000u);
  EXPECT_EQ(Journal::load(path).leases.size(), 1u);
}

TEST_F(JournalTest, AnUnopenableFileFailsAtConstruction) {
  std::filesystem::create_directories(path);  // a directory where the file should be
  EXPECT_THROW(Journal(io, path, [&] { return live; }, [](std::uint64_t, std::error_code) {}, true), std::runtime_error);
}

}  // namespace
}  // namespace pairgate::dhcp

namespace pairgate::dhcp {
namespace {

// A lease file written before the bounds (or by hand) may hold a record with
// a 64 KiB hostname or client identifier: it loads, cut to the bounds and
// counted, rather than crashing the daemon at every start or being lost.
TEST(JournalFormat, AnOversizeRecordLoadsCutToTheBounds) {
  const std::string body = "lease 192.0.2.20 leased 1800000000 02:00:00:00:00:01 63" + std::string(600, 'a') + " " +
                           std::string(70000, 'h') + " local";
  char crc[9];
  std::snprintf(crc, sizeof crc, "%08x", crc32(body));
  Replay r = replay(body + " " + crc + "\n" + encoded(sample(1)));
  EXPECT_EQ(r.damaged, 0u);
  EXPECT_EQ(r.truncated, 1u);
  ASSERT_EQ(r.leases.size(), 2u);
  EXPECT_EQ(r.leases[0].hostname.size(), kMaxHostname);
  EXPECT_TRUE(r.leases[0].hostname == std::string(kMaxHostname, 'h'));
  EXPECT_EQ(r.leases[0].client.client_id().size(), kMaxClientId);
  EXPECT_TRUE(r.leases[0].client.client_id() == std::string(kMaxClientId, '\xaa'));
  EXPECT_EQ(r.leases[1], sample(1));
}

}  // namespace
}  // namespace pairgate::dhcp
