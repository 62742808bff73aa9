#pragma once
// Bounds-checked reading of MP4 boxes from untrusted bytes. Every read checks what is
// left; every child box must fit in its parent. Violations throw Error(InvalidData)
// naming the box, so a fuzzer finds exceptions, never out-of-bounds reads.
#include <cstdint>
#include <string>

#include "util/bytes.h"

namespace ringclip::mp4 {

constexpr uint32_t fourcc(const char (&s)[5]) {
  return (uint32_t(uint8_t(s[0])) << 24) | (uint32_t(uint8_t(s[1])) << 16) | (uint32_t(uint8_t(s[2])) << 8) |
         uint32_t(uint8_t(s[3]));
}
std::string fourcc_name(uint32_t type);  // printable, for messages

[[noreturn]] void throw_invalid(const std::string& message);  // Error(InvalidData, "MP4: " + message)

// Sequential big-endian fields of one box payload.
class ByteReader {
 public:
  ByteReader(ByteSpan bytes, uint32_t box_type) : bytes_(bytes), box_type_(box_type) {}

  uint8_t u8() {
    need(1);
    return bytes_.data[pos_++];
  }
  uint16_t u16() {
    need(2);
    uint16_t v = get_be16(bytes_.data + pos_);
    pos_ += 2;
    return v;
  }
  uint32_t u24() {
    need(3);
    uint32_t v = (uint32_t(bytes_.data[pos_]) << 16) | get_be16(bytes_.data + pos_ + 1);
    pos_ += 3;
    return v;
  }
  uint32_t u32() {
    need(4);
    uint32_t v = get_be32(bytes_.data + pos_);
    pos_ += 4;
    return v;
  }
  uint64_t u64() {
    need(8);
    uint64_t v = get_be64(bytes_.data + pos_);
    pos_ += 8;
    return v;
  }
  ByteSpan bytes(size_t n) {
    need(n);
    ByteSpan s{bytes_.data + pos_, n};
    pos_ += n;
    return s;
  }
  void skip(size_t n) {
    need(n);
    pos_ += n;
  }
  size_t remaining() const { return bytes_.size - pos_; }
  size_t position() const { return pos_; }
  ByteSpan rest() const { return ByteSpan{bytes_.data + pos_, bytes_.size - pos_}; }

  // Refuses a table whose entry count cannot fit in the bytes left, before anything is
  // allocated for it.
  void need_entries(uint64_t count, size_t entry_size) {
    if (entry_size != 0 && count > remaining() / entry_size)
      throw_invalid(fourcc_name(box_type_) + " claims " + std::to_string(count) + " entries but holds " +
                    std::to_string(remaining() / entry_size));
  }

 private:
  void need(size_t n) {
    if (n > bytes_.size - pos_) throw_invalid("truncated " + fourcc_name(box_type_) + " box");
  }
  ByteSpan bytes_;
  size_t pos_ = 0;
  uint32_t box_type_;
};

struct Box {
  uint32_t type = 0;
  uint64_t offset = 0;  // of the box's first byte, from the start of the file
  ByteSpan payload;     // after the header (size, type, largesize, uuid)
};

// Iterates the boxes directly inside `container` (the file, or a box's payload after any
// fields that precede the children).
class BoxIterator {
 public:
  BoxIterator(ByteSpan file, ByteSpan container, uint32_t parent_type)
      : file_(file), container_(container), parent_type_(parent_type) {}
  // False at the end. Up to 7 trailing bytes are tolerated (some writers pad containers
  // with a zero terminator); a header that claims more than the parent holds throws.
  bool next(Box& box);

 private:
  ByteSpan file_;
  ByteSpan container_;
  size_t pos_ = 0;
  uint32_t parent_type_;
};

}  // namespace ringclip::mp4
