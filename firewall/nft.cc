#include "firewall/nft.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <nftables/libnftables.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace pairgate::firewall {

namespace {

// libnftables and what it pulls in (libnftnl, libmnl, libjansson, libgmp,
// libxtables) cost about 600 KiB of resident memory once mapped. They are
// opened on first use, so a host without a firewall section never maps them.
struct Api {
  decltype(&nft_ctx_new) ctx_new;
  decltype(&nft_ctx_free) ctx_free;
  decltype(&nft_ctx_buffer_output) buffer_output;
  decltype(&nft_ctx_buffer_error) buffer_error;
  decltype(&nft_ctx_output_get_flags) get_flags;
  decltype(&nft_ctx_output_set_flags) set_flags;
  decltype(&nft_run_cmd_from_buffer) run;
  decltype(&nft_ctx_get_output_buffer) output;
  decltype(&nft_ctx_get_error_buffer) error;

  static const Api& get() {
    static const Api api = load();
    return api;
  }

 private:
  static Api load() {
    void* h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) throw std::runtime_error(std::string("cannot load libnftables: ") + dlerror());
    auto sym = [&](const char* name) {
      void* p = dlsym(h, name);
      if (p == nullptr) throw std::runtime_error(std::string("libnftables lacks ") + name);
      return p;
    };
    Api a{};
    a.ctx_new = reinterpret_cast<decltype(a.ctx_new)>(sym("nft_ctx_new"));
    a.ctx_free = reinterpret_cast<decltype(a.ctx_free)>(sym("nft_ctx_free"));
    a.buffer_output = reinterpret_cast<decltype(a.buffer_output)>(sym("nft_ctx_buffer_output"));
    a.buffer_error = reinterpret_cast<decltype(a.buffer_error)>(sym("nft_ctx_buffer_error"));
    a.get_flags = reinterpret_cast<decltype(a.get_flags)>(sym("nft_ctx_output_get_flags"));
    a.set_flags = reinterpret_cast<decltype(a.set_flags)>(sym("nft_ctx_output_set_flags"));
    a.run = reinterpret_cast<decltype(a.run)>(sym("nft_run_cmd_from_buffer"));
    a.output = reinterpret_cast<decltype(a.output)>(sym("nft_ctx_get_output_buffer"));
    a.error = reinterpret_cast<decltype(a.error)>(sym("nft_ctx_get_error_buffer"));
    return a;
  }
};

// The process's descriptors, from /proc/self/fd (opendir's own is
// close-on-exec and not listed).
std::vector<int> open_fds() {
  std::vector<int> out;
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return out;
  const int own = ::dirfd(d);
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    const int fd = std::atoi(e->d_name);
    if (fd != own) out.push_back(fd);
  }
  ::closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

// libnftables opens its netlink socket (in nft_ctx_new) without
// SOCK_CLOEXEC and does not say which descriptor it is: whatever appeared
// during the call gets FD_CLOEXEC right after it.
void cloexec_new_fds(const std::vector<int>& before) {
  for (int fd : open_fds()) {
    if (std::binary_search(before.begin(), before.end(), fd)) continue;
    const int flags = ::fcntl(fd, F_GETFD);
    if (flags >= 0 && (flags & FD_CLOEXEC) == 0) ::fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  }
}

nft_ctx* new_context(const Api& api) {
  const auto before = open_fds();
  nft_ctx* ctx = api.ctx_new(NFT_CTX_DEFAULT);
  cloexec_new_fds(before);
  return ctx;
}

class LibNftables final : public Nft {
 public:
  LibNftables() : api_(Api::get()), ctx_(new_context(api_)) {
    if (ctx_ == nullptr) throw std::runtime_error("libnftables: cannot create a context");
    api_.buffer_output(ctx_);
    api_.buffer_error(ctx_);
  }
  ~LibNftables() override { api_.ctx_free(ctx_); }
  LibNftables(const LibNftables&) = delete;
  LibNftables& operator=(const LibNftables&) = delete;

  std::expected<std::string, std::string> run(const std::string& script, bool json_output) override {
    const unsigned flags = api_.get_flags(ctx_);
    api_.set_flags(ctx_, json_output ? (flags | NFT_CTX_OUTPUT_JSON) : (flags & ~NFT_CTX_OUTPUT_JSON));
    // Some versions reopen the socket after an error (ENOBUFS).
    const auto before = open_fds();
    const int rc = api_.run(ctx_, script.c_str());
    cloexec_new_fds(before);
    std::string out = api_.output(ctx_);
    std::string err = api_.error(ctx_);
    if (rc != 0) {
      while (!err.empty() && err.back() == '\n') err.pop_back();
      return std::unexpected(err.empty() ? "nft failed with no message" : err);
    }
    return out;
  }

 private:
  const Api& api_;
  nft_ctx* ctx_;
};

}  // namespace

std::unique_ptr<Nft> make_libnftables() { return std::make_unique<LibNftables>(); }

}  // namespace pairgate::firewall
