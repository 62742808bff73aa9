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
    const void* z = std::memchr(data + in, 0, size - in);
    size_t run_end = z ? size_t(static_cast<const uint8_t*>(z) - data) : size;
    // An escape needs 00 00 03: copy through the two zeros when they are there.
    bool escape = z && run_end + 2 < size && data[run_end + 1] == 0 && data[run_end + 2] == 3;
    size_t copy_end = escape ? run_end + 2 : (z ? run_end + 1 : size);
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

uint32_t BitReader::bits(unsigned n) {
  if (n == 0) return 0;
  if (n > 32 || n > remaining()) throw_overread();
  uint64_t value = 0;
  while (n > 0) {
    unsigned offset = pos_ & 7;
    unsigned available = 8 - offset;
    unsigned take = std::min(available, n);
    uint32_t byte = data_[pos_ >> 3];
    value = (value << take) | ((byte >> (available - take)) & ((1u << take) - 1));
    pos_ += take;
    n -= take;
  }
  return uint32_t(value);
}

uint32_t BitReader::ue() {
  unsigned leading_zeros = 0;
  while (bits(1) == 0) {
    // 32 leading zeros would encode values beyond 32 bits: no syntax element needs them.
    if (++leading_zeros > 31) throw Error(ErrorCode::InvalidData, "H.264 Exp-Golomb code longer than 32 bits");
  }
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
