// core/control_server: the lock beside the control socket. A stale socket
// is replaced only by the one daemon holding the lock, so two daemons
// started at once cannot both find it stale and both run.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include "core/control_server.h"

namespace pairgate {
namespace {

class ControlLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("pairgate-lock-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "control.sock").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A socket file nobody accepts on, as a SIGKILLed daemon leaves it.
  void stale_socket() {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof a.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ::close(fd);
  }
  ControlServer::Options options() {
    ControlServer::Options o;
    o.path = path_;
    return o;
  }
  static void answer(const control::Request&, const PeerCredentials&, ReplyPtr) {}

  boost::asio::io_context io_;
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(ControlLockTest, AStaleSocketIsLeftAloneWhileAnotherHoldsTheLock) {
  stale_socket();
  const int other = ::open((path_ + ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  ASSERT_GE(other, 0);
  ASSERT_EQ(::flock(other, LOCK_EX | LOCK_NB), 0);
  struct stat before {};
  ASSERT_EQ(::lstat(path_.c_str(), &before), 0);
  ControlServer server(io_, options(), answer);
  try {
    server.open();
    FAIL() << "opened while another held the lock";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "another pairgated is running on " + path_ + " (it holds " + path_ + ".lock)");
  }
  struct stat after {};
  ASSERT_EQ(::lstat(path_.c_str(), &after), 0);
  EXPECT_EQ(before.st_ino, after.st_ino) << "the other daemon's socket file was replaced";
  ::close(other);
  // Once the lock is free, the stale socket is replaced.
  ControlServer again(io_, options(), answer);
  EXPECT_NO_THROW(again.open());
}

TEST_F(ControlLockTest, TheLockIsHeldUntilTheServerGoesEvenAfterClose) {
  auto first = std::make_unique<ControlServer>(io_, options(), answer);
  first->open();
  first->close();  // stopping: the socket file is gone, the daemon not yet
  EXPECT_FALSE(std::filesystem::exists(path_));
  ControlServer second(io_, options(), answer);
  EXPECT_THROW(second.open(), std::runtime_error);
  first.reset();
  ControlServer third(io_, options(), answer);
  EXPECT_NO_THROW(third.open());
  const int fd = ::open((path_ + ".lock").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  EXPECT_NE(::flock(fd, LOCK_EX | LOCK_NB), 0) << "the lock is held while the server lives";
  ::close(fd);
}

}  // namespace
}  // namespace pairgate
