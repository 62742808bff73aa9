// find_recovery_point: walks sei_message()s (H.264 7.3.2.3.1) for recovery_point (D.1.8).
#include "h264/sei.h"

#include "h264/bit_reader.h"
#include "util/error.h"

namespace ringclip::h264 {

namespace {

constexpr uint32_t kRecoveryPointPayload = 6;

// Reads RBSP bytes straight from the escaped NAL so that large SEI (x264 writes ~700 bytes
// of settings text) are neither copied nor allocated.
class RbspBytes {
 public:
  RbspBytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool next(uint8_t& out) {
    if (pos_ < size_ && zeros_ >= 2 && data_[pos_] == 3) {  // emulation_prevention_three_byte
      ++pos_;
      zeros_ = 0;
    }
    if (pos_ >= size_) return false;
    out = data_[pos_++];
    zeros_ = out == 0 ? zeros_ + 1 : 0;
    return true;
  }
  // Only rbsp_trailing_bits (10000000) and zero padding left?
  bool only_trailing_bits() const {
    size_t p = pos_;
    if (p >= size_) return true;
    if (data_[p] != 0x80) return false;
    for (++p; p < size_; ++p) {
      if (data_[p] != 0) return false;
    }
    return true;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  unsigned zeros_ = 0;
};

// payloadType / payloadSize: a run of 0xFF bytes (255 each) and a last byte.
bool read_varint(RbspBytes& in, uint32_t& value) {
  value = 0;
  uint8_t b = 0;
  for (;;) {
    if (!in.next(b)) return false;
    if (value > (1u << 24)) return false;  // no SEI is that large: garbage
    value += b;
    if (b != 0xFF) return true;
  }
}

}  // namespace

std::optional<RecoveryPoint> find_recovery_point(const NalView& sei) {
  if (sei.size < 2 || sei.type() != kNalSei) return std::nullopt;
  RbspBytes in(sei.data + 1, sei.size - 1);
  while (!in.only_trailing_bits()) {
    uint32_t type = 0, size = 0;
    if (!read_varint(in, type) || !read_varint(in, size)) return std::nullopt;
    if (type == kRecoveryPointPayload) {
      // recovery_frame_cnt ue(v) (< MaxFrameNum, so at most 33 bits) and three small fields.
      uint8_t payload[16];
      size_t n = 0;
      while (n < size && n < sizeof payload) {
        if (!in.next(payload[n++])) return std::nullopt;  // payloadSize claims bytes that are not there
      }
      try {
        BitReader r(payload, n);
        RecoveryPoint rp;
        rp.recovery_frame_cnt = r.ue();
        rp.exact_match = r.flag();
        rp.broken_link = r.flag();
        return rp;
      } catch (const Error&) {
        return std::nullopt;
      }
    }
    uint8_t skipped = 0;
    for (uint32_t i = 0; i < size; ++i) {
      if (!in.next(skipped)) return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace ringclip::h264
