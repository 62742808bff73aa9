#include "export/file_output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace ringclip::exporting {
namespace {

Error io_error(const std::string& path, const std::string& what) {
  return Error(ErrorCode::Io, "cannot write '" + path + "': " + what);
}

}  // namespace

void check_not_source(int fd, FileIdentity source, const std::string& what) {
  if (source.known() && file_identity(fd) == source)
    throw Error(ErrorCode::InvalidArgument, "refusing to write the export over " + what +
                                                ": it is the file the export reads from (the store or the source MP4); choose another path");
}

void write_file(const mp4::VirtualFile& file, const std::string& path, FileIdentity source) {
  // No O_TRUNC: see file_output.h. Opening without it changes nothing yet, so the identity
  // check below comes before any byte of an existing file is touched.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
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
    // What O_TRUNC would have left: the new bytes written so far, nothing of the old file.
    // Best effort: the write's own error is the one to report.
    if (regular) (void)!::ftruncate(fd, off_t(written));
    ::close(fd);
    throw io_error(path, e.what());
  }
  if (::close(fd) != 0) throw io_error(path, std::strerror(errno));
}

}  // namespace ringclip::exporting
