// Bounds-checked little-endian byte writer/reader for the histogram blobs.
// A reader never reads past its buffer: every short or malformed read throws CorruptData.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace int8cal {

/** Thrown when a serialized buffer is truncated, malformed or inconsistent. */
class CorruptData : public std::runtime_error {
 public:
  explicit CorruptData(const std::string& what) : std::runtime_error(what) {}
};

class ByteWriter {
 public:
  void u8(uint8_t v) { bytes_.push_back(v); }
  void u16(uint16_t v);
  void u32(uint32_t v);
  void u64(uint64_t v);
  void f64(double v);
  /** Unsigned LEB128: 7 bits per byte, minimal length. */
  void varint(uint64_t v);
  void raw(const char* data, size_t size);
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  std::vector<uint8_t> take() { return std::move(bytes_); }

 private:
  std::vector<uint8_t> bytes_;
};

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t u8();
  uint16_t u16();
  uint32_t u32();
  uint64_t u64();
  double f64();
  uint64_t varint();
  /** Throws unless `size` bytes are left and they equal `expected`. */
  void expect(const char* expected, size_t size, const char* what);
  size_t remaining() const { return size_ - pos_; }
  /** Throws if any byte is left over. */
  void expectEnd() const;

 private:
  const uint8_t* need(size_t n);
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace int8cal
