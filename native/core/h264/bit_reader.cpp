#include "h264/bit_reader.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "util/error.h"

namespace ringclip::h264 {

namespace {

// Copies [data, data+size) to out (at most capacity bytes) dropping the 03 of every 00 00 03.
// Zero bytes are rare in coded data, so runs between them are copied with memcpy.
size_t unescape(const uint8_t* data, size_t size, uint8_t* out, size_t capacity) {
  size_t in = 0, n = 0;
  while (in < size && n < capacity) {
    // Only the input that can still reach the output is searched (an escape only removes
    // bytes): a slice header wants a few dozen bytes of a NAL unit of hundreds of kilobytes.
    size_t scan = std::min(size - in, capacity - n);
    const void* z = std::memchr(data + in, 0, scan);
    size_t run_end = z ? size_t(static_cast<const uint8_t*>(z) - data) : in + scan;
    // An escape needs 00 00 03: copy through the two zeros when they are there.
    bool escape = z && run_end + 2 < size && data[run_end + 1] == 0 && data[run_end + 2] == 3;
    size_t copy_end = escape ? run_end + 2 : (z ? run_end + 1 : in + scan);
    size_t take = std::min(copy_end - in, capacity - n);
    std::memcpy(out + n, data + in, take);
    n += take;
    in = escape ? run_end + 3 : copy_end;
  }
  return n;
}

}  // namespace

std::vector<uint8_t> unescape_rbsp(const uint8_t* data, size_t size, size_t limit) {
  std::vector<uint8_t> out(std::min(size, limit));
  out.resize(unescape(data, size, out.data(), out.size()));
  return out;
}

size_t unescape_rbsp_into(const uint8_t* data, size_t size, uint8_t* out, size_t capacity) {
  return unescape(data, size, out, capacity);
}

void BitReader::throw_overread() {
  overread_ = true;
  throw Error(ErrorCode::InvalidData, "H.264 header truncated: read past the end of the NAL unit");
}

// The 64 bits starting at byte pos/8, big-endian, zero-filled past the end: a window that
// holds any 32-bit read and its bit offset (at most 7 + 32 bits).
uint64_t BitReader::window() const {
  size_t byte = pos_ >> 3;
  uint64_t w = 0;
  if (size_ - byte >= 8) {
    std::memcpy(&w, data_ + byte, 8);
    w = __builtin_bswap64(w);
  } else {
    for (size_t i = 0; i < 8; ++i) w = (w << 8) | (byte + i < size_ ? data_[byte + i] : 0);
  }
  return w << (pos_ & 7);
}

uint32_t BitReader::bits(unsigned n) {
  if (n == 0) return 0;
  if (n > 32 || n > remaining()) throw_overread();
  uint32_t value = uint32_t(window() >> (64 - n));
  pos_ += n;
  return value;
}

uint32_t BitReader::ue() {
  // The leading zeros of the code, counted in one step from the bit window (zero-filled past
  // the end, so a code cut short by the end is an overread, as a bitwise read would find).
  uint64_t w = remaining() > 0 ? window() : 0;
  unsigned leading_zeros = w ? unsigned(__builtin_clzll(w)) : 64;
  // 32 leading zeros would encode values beyond 32 bits: no syntax element needs them.
  if (leading_zeros > 31) {
    if (remaining() < 32) throw_overread();
    throw Error(ErrorCode::InvalidData, "H.264 Exp-Golomb code longer than 32 bits");
  }
  if (leading_zeros + 1 > remaining()) throw_overread();
  pos_ += leading_zeros + 1;
  return uint32_t((uint64_t(1) << leading_zeros) - 1 + bits(leading_zeros));
}

int32_t BitReader::se() {
  uint32_t k = ue();
  int64_t magnitude = (int64_t(k) + 1) / 2;
  return int32_t((k & 1) ? magnitude : -magnitude);
}

void BitReader::skip(size_t n) {
  if (n > remaining()) throw_overread();
  pos_ += n;
}

bool BitReader::more_rbsp_data() const {
  // The RBSP ends with a stop bit 1 followed by zero bits: there is more data when a 1 bit
  // exists after the current position other than that last one.
  size_t last = size_;
  while (last > 0 && data_[last - 1] == 0) --last;  // cabac_zero_words / trailing zeros
  if (last == 0) return false;
  uint8_t byte = data_[last - 1];
  unsigned trailing = 0;
  while (!(byte & (1u << trailing))) ++trailing;
  size_t stop_bit_pos = (last - 1) * 8 + (7 - trailing);
  return pos_ < stop_bit_pos;
}

uint32_t BitReader::ue_max(uint32_t max, const char* field) {
  uint32_t v = ue();
  if (v > max) {
    throw Error(ErrorCode::InvalidData,
                std::string("H.264 ") + field + " out of range: " + std::to_string(v) + " > " + std::to_string(max));
  }
  return v;
}

int32_t BitReader::se_range(int32_t min, int32_t max, const char* field) {
  int32_t v = se();
  if (v < min || v > max) {
    throw Error(ErrorCode::InvalidData, std::string("H.264 ") + field + " out of range: " + std::to_string(v));
  }
  return v;
}

}  // namespace ringclip::h264
