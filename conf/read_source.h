// Reading the configuration file: bounded, and never blocking on what is not
// a regular file. Internal to conf/.
#pragma once

#include <cstddef>
#include <expected>
#include <string>

namespace pairgate::conf {

// The whole text of `path`, or why it cannot be had (for "cannot read the
// file: ..."). `path` must name a regular file, directly or through symbolic
// links: a directory, FIFO, socket or device is refused before it is opened
// for reading, so neither a FIFO without a writer nor /dev/zero can hold the
// caller. A file longer than `max_bytes` is refused; at most max_bytes + 1
// bytes are ever read, also from a file that grows while it is read.
// Thread-safe; never throws but std::bad_alloc.
std::expected<std::string, std::string> read_source(const std::string& path, std::size_t max_bytes);

}  // namespace pairgate::conf
