// Bounds-checked reading and writing of wire data in network byte order.
//
// A Reader never reads past its span: a read beyond the end returns nullopt
// and leaves the reader failed, so a codec checks once after a run of reads.
// Nothing here casts structs onto bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace pairgate {

class ByteReader {
 public:
  explicit ByteReader(std::span<const std::byte> data) : data_(data) {}

  std::size_t remaining() const { return failed_ ? 0 : data_.size() - pos_; }
  std::size_t position() const { return pos_; }
  bool failed() const { return failed_; }

  std::optional<std::uint8_t> u8() {
    if (!need(1)) return std::nullopt;
    return std::to_integer<std::uint8_t>(data_[pos_++]);
  }
  std::optional<std::uint16_t> u16() {
    if (!need(2)) return std::nullopt;
    std::uint16_t v = static_cast<std::uint16_t>((std::to_integer<unsigned>(data_[pos_]) << 8) |
                                                 std::to_integer<unsigned>(data_[pos_ + 1]));
    pos_ += 2;
    return v;
  }
  std::optional<std::uint32_t> u32() {
    if (!need(4)) return std::nullopt;
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | std::to_integer<std::uint32_t>(data_[pos_ + i]);
    pos_ += 4;
    return v;
  }
  // The next n bytes, without copying.
  std::optional<std::span<const std::byte>> bytes(std::size_t n) {
    if (!need(n)) return std::nullopt;
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  bool skip(std::size_t n) { return bytes(n).has_value(); }

 private:
  bool need(std::size_t n) {
    if (failed_ || data_.size() - pos_ < n) {
      failed_ = true;
      return false;
    }
    return true;
  }

  std::span<const std::byte> data_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

class ByteWriter {
 public:
  ByteWriter() = default;
  // Writes into `reuse`, emptied first: its capacity is kept (no allocation
  // once it has grown to the size written).
  explicit ByteWriter(std::vector<std::byte> reuse) : out_(std::move(reuse)) { out_.clear(); }

  void u8(std::uint8_t v) { out_.push_back(static_cast<std::byte>(v)); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void bytes(std::span<const std::byte> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void zeros(std::size_t n) { out_.insert(out_.end(), n, std::byte{0}); }
  // Overwrites two bytes already written (a checksum field).
  void put_u16_at(std::size_t offset, std::uint16_t v) {
    out_.at(offset) = static_cast<std::byte>(v >> 8);
    out_.at(offset + 1) = static_cast<std::byte>(v);
  }

  std::size_t size() const { return out_.size(); }
  const std::vector<std::byte>& data() const { return out_; }
  std::vector<std::byte> take() { return std::move(out_); }

 private:
  std::vector<std::byte> out_;
};

// RFC 1071 Internet checksum of `data` (one's complement of the one's
// complement sum); verifying data that includes its checksum gives 0.
inline std::uint16_t internet_checksum(std::span<const std::byte> data, std::uint32_t initial = 0) {
  std::uint32_t sum = initial;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) {
    sum += (std::to_integer<std::uint32_t>(data[i]) << 8) | std::to_integer<std::uint32_t>(data[i + 1]);
  }
  if (i < data.size()) sum += std::to_integer<std::uint32_t>(data[i]) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

}  // namespace pairgate
