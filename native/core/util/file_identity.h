#pragma once
// Which file an open descriptor is (device and inode), whatever path reached it: an export
// must never be written over the file it reads from (the store, a source MP4), and a path,
// a hard link or a descriptor may all name that file.
#include <cstdint>

namespace ringclip {

struct FileIdentity {
  uint64_t device = 0, inode = 0;
  bool known() const { return inode != 0; }
  bool operator==(const FileIdentity&) const = default;
};

// The identity of an open descriptor; an unknown one (inode 0) if fstat fails.
FileIdentity file_identity(int fd);

}  // namespace ringclip
