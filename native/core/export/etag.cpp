#include "export/etag.h"

#include <cstdio>

#include "mp4/writer.h"
#include "store/crc32c.h"

namespace ringclip::exporting {

std::string make_etag(const mp4::VirtualFile& file, uint64_t source_identity, uint32_t variant) {
  // Spans are identified by the source identity; hashing their bytes would cost a full read.
  uint64_t h = 0xcbf29ce484222325ull ^ source_identity;
  uint32_t crc = 0;
  uint64_t index = 0;
  file.read(0, file.size(), [&](ByteSpan piece) {
    crc = store::crc32c_extend(crc, reinterpret_cast<const uint8_t*>(&piece.size), sizeof piece.size);
    if (piece.size <= 4096) crc = store::crc32c_extend(crc, piece.data, piece.size);
    ++index;
  });
  h = (h * 0x100000001b3ull) ^ crc;
  h = (h * 0x100000001b3ull) ^ file.size();
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"rc%u-%u-%016llx\"", mp4::kWriterVersion, variant, static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace ringclip::exporting
