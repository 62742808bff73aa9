#include "store/mapped_read.h"

#include <shared_mutex>

#include "export/file_output.h"
#include "store/index_access.h"
#include "util/error.h"

namespace ringclip::store {
namespace {

// Runs `work` holding the mapping shared; Error(Closed, closed_message) once the store is closed.
void with_mapping(const SegmentStore* store, const char* closed_message, const std::function<void()>& work) {
  if (!store) return work();
  std::shared_lock<std::shared_mutex> mapping(IndexAccess::mapping_lock(*store));
  if (store->closed()) throw Error(ErrorCode::Closed, closed_message);
  work();
}

}  // namespace

void read_mapped(const SegmentStore* store, const GenerationGuard* guard, const std::function<void()>& read) {
  with_mapping(store, "the store is closed", [&] { read_guarded(guard, store, read); });
}

void copy_mapped(const SegmentStore* store, const GenerationGuard* guard, const mp4::VirtualFile& file, uint64_t start,
                 uint64_t end, uint8_t* out) {
  read_mapped(store, guard, [&] {
    file.copy(start, end, out);
    if (guard) guard->check_records(*store, file, start, end);
  });
}

exporting::ClipFile build_clip_file(const SegmentStore* store, const GenerationGuard* guard, const mp4::Movie& movie,
                                    const exporting::ClipFileRequest& request, uint64_t source_identity) {
  exporting::ClipFile out;
  with_mapping(store, "the store is closed", [&] {
    out = exporting::build_clip_file(movie, request, source_identity,
                                     [&](const std::function<void()>& read) { read_guarded(guard, store, read); });
  });
  return out;
}

void write_mapped(const SegmentStore* store, const GenerationGuard* guard, const mp4::VirtualFile& file,
                  const std::string& path, int fd, FileIdentity source_file) {
  with_mapping(store, "the store was closed before the clip was written", [&] {
    std::function<void()> check_source;
    // Before the write (cheap: segment generations) and after it (also every frame's record).
    bool written = false;
    if (guard)
      check_source = [&] {
        guard->check(*store);
        if (written) guard->check_records(*store, file, 0, file.size());
        written = true;
      };
    if (fd >= 0)
      exporting::write_descriptor(file, fd, source_file, check_source);
    else
      exporting::write_file(file, path, source_file, check_source);
  });
}

}  // namespace ringclip::store
