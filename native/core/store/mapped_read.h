#pragma once
// Work on a store's mapped bytes that the index does not cover (a clip's virtual file read,
// written or laid out as raw H.264, possibly off the writing thread): under the store's
// mapping lock, so that close() waits for it instead of unmapping under it; refused with
// Error(Closed) once the store is closed; checked by the generation guard of a read-only
// store (guarded_read.h). A null store (the bytes come from an MP4 source, whose mapping
// the caller holds) runs the work as it is.
#include <cstdint>
#include <functional>
#include <string>

#include "export/clip_file.h"
#include "mp4/virtual_file.h"
#include "store/guarded_read.h"
#include "store/segment_store.h"
#include "util/file_identity.h"

namespace ringclip::store {

// Runs `read` (which copies bytes out of the mapping) between the guard's checks.
void read_mapped(const SegmentStore* store, const GenerationGuard* guard, const std::function<void()>& read);

// Copies [start, end) of `file` into `out` as read_mapped() runs a read, the guard also
// vouching for the record of every frame copied (GenerationGuard::check_records).
void copy_mapped(const SegmentStore* store, const GenerationGuard* guard, const mp4::VirtualFile& file, uint64_t start,
                 uint64_t end, uint8_t* out);

// A clip's file (export/clip_file.h); its raw H.264, which reads sample bytes, read as read_mapped() does.
exporting::ClipFile build_clip_file(const SegmentStore* store, const GenerationGuard* guard, const mp4::Movie& movie,
                                    const exporting::ClipFileRequest& request, uint64_t source_identity);

// Writes `file` to `path`, or to the descriptor `fd` when it is not negative (export/file_output.h),
// the guard vouching for the borrowed bytes. A store closed before the write starts is
// Error(Closed, "the store was closed before the clip was written").
void write_mapped(const SegmentStore* store, const GenerationGuard* guard, const mp4::VirtualFile& file,
                  const std::string& path, int fd, FileIdentity source_file);

}  // namespace ringclip::store
