#pragma once
// Writing an export (a VirtualFile) to a path. An existing file is overwritten in place and
// cut to the new size, rather than opened with O_TRUNC: on ext4 (the default mount option
// auto_da_alloc), truncating a file to zero and rewriting it makes close() start writeback
// of the new bytes, and the next truncation of that file then sleeps until that I/O is
// done — about 8 ms for a 12 MB clip written over the previous one here, three times the
// cost of the write itself. The bytes written and the file's identity (inode, mode, owner,
// links) are the same either way; docs/MP4.md ("Writing to a path") has the details.
#include <functional>
#include <string>

#include "mp4/virtual_file.h"
#include "util/file_identity.h"

namespace ringclip::exporting {

// Creates `path` with mode 0644 (before umask) or overwrites the existing file from its
// first byte, and leaves it exactly file.size() bytes long. A path that is not a regular
// file (a FIFO, /dev/null) is just written. No fsync: durability is the caller's choice.
// The blocks the export needs are reserved first (fallocate, where the filesystem has it):
// a disk or quota without room for the whole export is an Error(Io) before any byte
// changes — an existing file stays as it was, a file this call created is removed.
// Otherwise throws Error(Io) naming the path; after a failed write a regular file holds
// only the bytes that were written, as it would have after O_TRUNC. A path that reaches `source` (the
// file the export reads from, by any name) is refused with Error(InvalidArgument) before a
// byte of it changes.
//
// `check_source` (optional) vouches for the borrowed bytes, which another process may be
// rewriting (a store opened read-only: store/guarded_read.h). It runs before the path is
// opened, and again once every byte is written: when it throws then, the export is taken
// back — a file this call created is removed, an existing one is left empty (its old bytes
// are gone already) — and its error is rethrown as it is, so no file that looks complete
// holds bytes other than the source's.
void write_file(const mp4::VirtualFile& file, const std::string& path, FileIdentity source = {},
                const std::function<void()>& check_source = {});

// Writes `file` to a descriptor the caller opened, at its current position (at the end with
// O_APPEND), neither sizing nor closing it. As write_file: the descriptor of the source is
// refused, and on a regular file the blocks are reserved first, so a disk without room is an
// Error(Io) before any byte is written. `check_source` as for write_file: when it refuses the
// bytes once written, a regular file is cut back to where the export began (and the
// position moved back there); other descriptors (pipes, sockets) keep what they were sent.
void write_descriptor(const mp4::VirtualFile& file, int fd, FileIdentity source = {},
                      const std::function<void()>& check_source = {});

}  // namespace ringclip::exporting
