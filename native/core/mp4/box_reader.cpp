#include "mp4/box_reader.h"

#include "util/error.h"

namespace ringclip::mp4 {

std::string fourcc_name(uint32_t type) {
  std::string name = "'";
  for (int shift = 24; shift >= 0; shift -= 8) {
    char c = char((type >> shift) & 0xFF);
    name += (c >= 0x20 && c < 0x7F) ? c : '?';
  }
  return name + "'";
}

void throw_invalid(const std::string& message) { throw Error(ErrorCode::InvalidData, "MP4: " + message); }

bool BoxIterator::next(Box& box) {
  const size_t left = container_.size - pos_;
  if (left < 8) return false;
  const uint8_t* p = container_.data + pos_;
  uint64_t size = get_be32(p);
  uint32_t type = get_be32(p + 4);
  size_t header = 8;
  if (size == 1) {
    if (left < 16) throw_invalid("truncated largesize header of box " + fourcc_name(type));
    size = get_be64(p + 8);
    header = 16;
  } else if (size == 0) {
    size = left;  // extends to the end of its parent (for the file: to end of file)
  }
  if (type == fourcc("uuid")) header += 16;
  if (size < header) throw_invalid("box " + fourcc_name(type) + " has an invalid size " + std::to_string(size));
  if (size > left) {
    if (parent_type_ == 0)
      throw_invalid("truncated: box " + fourcc_name(type) + " ends " + std::to_string(size - left) +
                    " bytes past the end of the file");
    throw_invalid("box " + fourcc_name(type) + " extends past its parent " + fourcc_name(parent_type_));
  }
  box.type = type;
  box.offset = uint64_t(p - file_.data);
  box.payload = ByteSpan{p + header, size_t(size - header)};
  pos_ += size_t(size);
  return true;
}

}  // namespace ringclip::mp4
