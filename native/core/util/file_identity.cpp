#include "util/file_identity.h"

#include <sys/stat.h>

namespace ringclip {

FileIdentity file_identity(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return {};
  return FileIdentity{uint64_t(st.st_dev), uint64_t(st.st_ino)};
}

}  // namespace ringclip
