// Fuzz target: any bytes as one line of the control protocol, read both as a
// request (by pairgated) and as a response (by pairgatectl).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/control_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pairgate::control;
  const std::string_view line(reinterpret_cast<const char*>(data), size);

  if (auto req = parse_request(line)) {
    // What was understood encodes to a line that reads back the same.
    std::string again = encode_request(req->command, req->args);
    again.pop_back();
    auto back = parse_request(again);
    if (!back || back->command != req->command || back->args != req->args) std::abort();
  } else if (req.error().empty()) {
    std::abort();
  } else {
    // The reason goes back to the client in an error response.
    (void)error_response(req.error(), code::bad_request);
  }

  if (auto resp = parse_response(line)) {
    // Re-encoding never throws, even on strings that are not UTF-8.
    const std::string out =
        resp->ok ? ok_response(resp->result) : error_response(resp->error, resp->code, resp->details);
    auto back = parse_response(std::string_view(out).substr(0, out.size() - 1));
    if (!back || back->ok != resp->ok) std::abort();
  }
  return 0;
}
