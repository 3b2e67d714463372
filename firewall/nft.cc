#include "firewall/nft.h"

#include <nftables/libnftables.h>

#include <stdexcept>

namespace pairgate::firewall {

namespace {

class LibNftables final : public Nft {
 public:
  LibNftables() : ctx_(nft_ctx_new(NFT_CTX_DEFAULT)) {
    if (ctx_ == nullptr) throw std::runtime_error("libnftables: cannot create a context");
    nft_ctx_buffer_output(ctx_);
    nft_ctx_buffer_error(ctx_);
  }
  ~LibNftables() override { nft_ctx_free(ctx_); }
  LibNftables(const LibNftables&) = delete;
  LibNftables& operator=(const LibNftables&) = delete;

  std::expected<std::string, std::string> run(const std::string& script, bool json_output) override {
    const unsigned flags = nft_ctx_output_get_flags(ctx_);
    nft_ctx_output_set_flags(ctx_, json_output ? (flags | NFT_CTX_OUTPUT_JSON) : (flags & ~NFT_CTX_OUTPUT_JSON));
    const int rc = nft_run_cmd_from_buffer(ctx_, script.c_str());
    std::string out = nft_ctx_get_output_buffer(ctx_);
    std::string err = nft_ctx_get_error_buffer(ctx_);
    if (rc != 0) {
      while (!err.empty() && err.back() == '\n') err.pop_back();
      return std::unexpected(err.empty() ? "nft failed with no message" : err);
    }
    return out;
  }

 private:
  nft_ctx* ctx_;
};

}  // namespace

std::unique_ptr<Nft> make_libnftables() { return std::make_unique<LibNftables>(); }

}  // namespace pairgate::firewall
