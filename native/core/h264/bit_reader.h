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

// The same into a caller-owned buffer (a stack array for slice headers: no allocation on the
// per-slice path). Returns the number of bytes written, at most `capacity`.
size_t unescape_rbsp_into(const uint8_t* data, size_t size, uint8_t* out, size_t capacity);

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
  bool overread() const { return overread_; }  // a read failed for lack of bits

  // ue() with a range check; `field` names the syntax element in the error message.
  uint32_t ue_max(uint32_t max, const char* field);
  int32_t se_range(int32_t min, int32_t max, const char* field);

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  bool overread_ = false;

  [[noreturn]] void throw_overread();
  uint64_t window() const;
};

}  // namespace ringclip::h264
