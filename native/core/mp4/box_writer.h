#pragma once
// Appends big-endian MP4 fields to a byte buffer. Boxes are opened with a placeholder
// size that close() patches, so callers never compute a box size by hand (the classic
// source of off-by-N bugs in muxers).
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace ringclip::mp4 {

class BoxWriter {
 public:
  explicit BoxWriter(std::vector<uint8_t>& out) : out_(out) {}

  size_t position() const { return out_.size(); }
  std::vector<uint8_t>& buffer() { return out_; }

  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) {
    uint8_t b[2] = {uint8_t(v >> 8), uint8_t(v)};
    raw(b, 2);
  }
  void u24(uint32_t v) {
    uint8_t b[3] = {uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
    raw(b, 3);
  }
  void u32(uint32_t v) {
    uint8_t b[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
    raw(b, 4);
  }
  void u64(uint64_t v) {
    u32(uint32_t(v >> 32));
    u32(uint32_t(v));
  }
  void fourcc(const char (&code)[5]) { raw(reinterpret_cast<const uint8_t*>(code), 4); }
  void zeros(size_t n) { out_.resize(out_.size() + n); }
  // resize + memcpy: vector::insert of a range is several times slower for the 4-byte
  // fields a trun writes per sample (an hour of video: 400,000 of them).
  void raw(const uint8_t* data, size_t size) {
    if (size == 0) return;  // data may be null then: memcpy must not see it
    const size_t at = out_.size();
    out_.resize(at + size);
    std::memcpy(out_.data() + at, data, size);
  }
  // `n` more bytes to fill in place (each written before the next field is appended).
  uint8_t* extend(size_t n) {
    const size_t at = out_.size();
    out_.resize(at + n);
    return out_.data() + at;
  }
  static void put_u32(uint8_t* p, uint32_t v) {
    p[0] = uint8_t(v >> 24);
    p[1] = uint8_t(v >> 16);
    p[2] = uint8_t(v >> 8);
    p[3] = uint8_t(v);
  }
  void text(std::string_view s) { raw(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

  // Opens a box; returns its start for close(). Sizes are 32-bit: everything we generate
  // is metadata far below 4 GiB (mdat, the only large box, gets its header elsewhere).
  size_t open(const char (&type)[5]) {
    size_t start = out_.size();
    u32(0);
    fourcc(type);
    return start;
  }
  size_t open_full(const char (&type)[5], uint8_t version, uint32_t flags) {
    size_t start = open(type);
    u8(version);
    u24(flags);
    return start;
  }
  void close(size_t start) { patch_u32(start, uint32_t(out_.size() - start)); }

  void patch_u32(size_t at, uint32_t v) { put_u32(out_.data() + at, v); }
  void patch_u64(size_t at, uint64_t v) {
    patch_u32(at, uint32_t(v >> 32));
    patch_u32(at + 4, uint32_t(v));
  }

 private:
  std::vector<uint8_t>& out_;
};

}  // namespace ringclip::mp4
