#pragma once
// Reads RBSP bits (emulation-prevention bytes removed) with Exp-Golomb codes. Reading
// past the end throws Error(InvalidData): a truncated header is bad data, never a crash.
#include <cstdint>
#include <vector>

#include "h264/nal.h"

namespace ringclip::h264 {

// Removes emulation_prevention_three_byte (00 00 03 -> 00 00) from a NAL unit, header
// byte included. At most `limit` output bytes are produced (headers need only the start).
std::vector<uint8_t> unescape_rbsp(const uint8_t* data, size_t size, size_t limit = SIZE_MAX);

class BitReader {
 public:
  BitReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint32_t bits(unsigned n);  // n <= 32
  bool flag() { return bits(1) != 0; }
  uint32_t ue();
  int32_t se();
  void skip(size_t n);
  bool more_rbsp_data() const;
  size_t position() const { return pos_; }
  size_t remaining() const { return size_ * 8 - pos_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

}  // namespace ringclip::h264
