#include "byte_io.h"

#include <cstring>

namespace int8cal {

void ByteWriter::u16(uint16_t v) {
  for (int i = 0; i < 2; ++i) bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void ByteWriter::u32(uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void ByteWriter::u64(uint64_t v) {
  for (int i = 0; i < 8; ++i) bytes_.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void ByteWriter::f64(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  u64(bits);
}

void ByteWriter::varint(uint64_t v) {
  while (v >= 0x80) {
    bytes_.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  bytes_.push_back(static_cast<uint8_t>(v));
}

void ByteWriter::raw(const char* data, size_t size) { bytes_.insert(bytes_.end(), data, data + size); }

const uint8_t* ByteReader::need(size_t n) {
  if (n > size_ - pos_) {
    throw CorruptData("truncated: needed " + std::to_string(n) + " more byte(s) at offset " +
                      std::to_string(pos_) + " of " + std::to_string(size_));
  }
  const uint8_t* p = data_ + pos_;
  pos_ += n;
  return p;
}

uint8_t ByteReader::u8() { return *need(1); }

uint16_t ByteReader::u16() {
  const uint8_t* p = need(2);
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

uint32_t ByteReader::u32() {
  const uint8_t* p = need(4);
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint64_t ByteReader::u64() {
  const uint8_t* p = need(8);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

double ByteReader::f64() {
  uint64_t bits = u64();
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

uint64_t ByteReader::varint() {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b = u8();
    if (shift == 63 && b > 1) throw CorruptData("varint overflows 64 bits");
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if (b == 0 && shift > 0) throw CorruptData("non-minimal varint");
      return v;
    }
  }
  throw CorruptData("varint longer than 10 bytes");
}

void ByteReader::expect(const char* expected, size_t size, const char* what) {
  const uint8_t* p = need(size);
  if (std::memcmp(p, expected, size) != 0) throw CorruptData(std::string("bad ") + what);
}

void ByteReader::expectEnd() const {
  if (pos_ != size_) {
    throw CorruptData(std::to_string(size_ - pos_) + " unexpected trailing byte(s)");
  }
}

}  // namespace int8cal
