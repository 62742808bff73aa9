#include "export/file_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace ringclip::exporting {
namespace {

Error io_error(const std::string& path, const std::string& what) {
  return Error(ErrorCode::Io, "cannot write '" + path + "': " + what);
}

// Allocates the blocks the file will grow into, [from, to), in one call before the write.
// ext4 then finds each block already allocated instead of reserving it page by page for
// delayed allocation (per-block extent-status, quota and reservation bookkeeping): a new
// 12 MB clip is written ~1 ms faster here (docs/MP4.md, "Writing to a path"). KEEP_SIZE:
// the size still grows only as bytes land, so a crash mid-write leaves a short file rather
// than a full-length one with a zero tail that would parse as a complete MP4. A refusal
// that must stop the export (no space, quota, too large) gives back what a partial
// preallocation took past `size` (the file's size, unchanged) and is returned as the
// reason; filesystems that cannot preallocate (exFAT, FAT on older kernels) just skip it.
std::string reserve(int fd, uint64_t from, uint64_t to, off_t size, uint64_t export_bytes) {
#ifdef __linux__
  if (to <= from || ::fallocate(fd, FALLOC_FL_KEEP_SIZE, off_t(from), off_t(to - from)) == 0) return {};
  int err = errno;
  if (err != ENOSPC && err != EDQUOT && err != EFBIG) return {};
  (void)!::ftruncate(fd, size);  // ext4 frees blocks past the end even when the size stays
  return "cannot reserve the " + std::to_string(export_bytes) + " bytes of the export: " + std::strerror(err);
#else
  (void)fd, (void)from, (void)to, (void)size, (void)export_bytes;
  return {};
#endif
}

void check_not_source(int fd, FileIdentity source, const std::string& what) {
  if (source.known() && file_identity(fd) == source)
    throw Error(ErrorCode::InvalidArgument,
                "refusing to write the export over " + what +
                    ": it is the file the export reads from (the store or the source MP4); choose another path");
}

}  // namespace

void write_file(const mp4::VirtualFile& file, const std::string& path, FileIdentity source,
                const std::function<void()>& check_source) {
  if (check_source) check_source();
  // No O_TRUNC: see file_output.h. Opening without it changes nothing yet, so the identity
  // check below comes before any byte of an existing file is touched. O_EXCL first tells
  // whether this call created the file, so a refusal before the first byte can take it away.
  bool created = true;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST) {
    created = false;
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  }
  if (fd < 0) throw io_error(path, std::strerror(errno));
  try {
    check_not_source(fd, source, "'" + path + "'");
  } catch (...) {
    ::close(fd);
    throw;
  }
  struct stat st;
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  const off_t size = off_t(file.size());
  // Before any byte of an existing file changes: a disk without room leaves it as it was.
  if (regular) {
    std::string refused =
        reserve(fd, uint64_t(std::min<off_t>(st.st_size, size)), uint64_t(size), st.st_size, file.size());
    if (!refused.empty()) {
      ::close(fd);
      if (created) ::unlink(path.c_str());
      throw io_error(path, refused);
    }
  }
  // A longer old file loses its tail first, so no byte of it past the new end survives,
  // even while the write is in progress. A shorter one is simply written over and grows.
  if (regular && st.st_size > size && ::ftruncate(fd, size) != 0) {
    std::string why = std::strerror(errno);
    ::close(fd);
    throw io_error(path, "cannot set its size: " + why);
  }
  uint64_t written = 0;
  try {
    file.write_to_fd(fd, [&written](uint64_t done) { written = done; });
  } catch (const Error& e) {
    // What O_TRUNC would have left: the new bytes written so far, nothing of the old file
    // (nor the blocks preallocated past them: ext4 frees those when cutting to the size,
    // even to the current one). Best effort: the write's own error is the one to report.
    if (regular) (void)!::ftruncate(fd, off_t(written));
    ::close(fd);
    throw io_error(path, e.what());
  }
  if (check_source) {
    try {
      check_source();
    } catch (...) {
      // Best effort: the refusal is the error to report.
      if (created)
        ::unlink(path.c_str());
      else if (regular)
        (void)!::ftruncate(fd, 0);
      ::close(fd);
      throw;
    }
  }
  if (::close(fd) != 0) throw io_error(path, std::strerror(errno));
}

void write_descriptor(const mp4::VirtualFile& file, int fd, FileIdentity source,
                      const std::function<void()>& check_source) {
  const std::string what = "descriptor " + std::to_string(fd);
  check_not_source(fd, source, what);
  if (check_source) check_source();
  struct stat st;
  off_t at = -1;  // where the export begins in a regular file
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    // Where the bytes will land: the end for O_APPEND, the current position otherwise.
    int flags = ::fcntl(fd, F_GETFL);
    at = flags >= 0 && (flags & O_APPEND) ? st.st_size : ::lseek(fd, 0, SEEK_CUR);
    std::string refused =
        at < 0 ? std::string() : reserve(fd, uint64_t(at), uint64_t(at) + file.size(), st.st_size, file.size());
    if (!refused.empty()) throw Error(ErrorCode::Io, "cannot write to " + what + ": " + refused);
  }
  file.write_to_fd(fd);
  if (check_source) {
    try {
      check_source();
    } catch (...) {
      // Best effort: the refusal is the error to report.
      if (at >= 0 && ::ftruncate(fd, at) == 0) (void)::lseek(fd, at, SEEK_SET);
      throw;
    }
  }
}

}  // namespace ringclip::exporting
