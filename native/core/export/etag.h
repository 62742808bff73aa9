#pragma once
// Strong ETags for virtual files: they change whenever the bytes would. The generated
// pieces (which carry every sample size and timestamp) are hashed, together with the
// writer's format version and an identity of the source bytes (which records, or which
// file), so the same clip of the same footage always gets the same tag.
#include <cstdint>
#include <string>

#include "mp4/virtual_file.h"

namespace ringclip::exporting {

std::string make_etag(const mp4::VirtualFile& file, uint64_t source_identity, uint32_t variant);

}  // namespace ringclip::exporting
