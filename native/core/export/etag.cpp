#include "export/etag.h"

#include <cstdio>

#include "mp4/writer.h"
#include "store/crc32c.h"

namespace ringclip::exporting {

std::string make_etag(const mp4::VirtualFile& file, uint64_t source_identity, uint32_t variant) {
  // Sample bytes are identified by the source identity (which records or which file):
  // hashing them would cost a full read of the clip.
  uint32_t crc = 0;
  file.for_each_generated([&](ByteSpan piece) { crc = store::crc32c_extend(crc, piece.data, piece.size); });
  uint64_t h = 0xcbf29ce484222325ull ^ source_identity;
  h = (h * 0x100000001b3ull) ^ crc;
  h = (h * 0x100000001b3ull) ^ file.size();
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"rc%u-%u-%016llx\"", mp4::kWriterVersion, variant,
                static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace ringclip::exporting
