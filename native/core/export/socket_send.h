#pragma once
// Sending a file of an MP4 source to a stream socket without copying its stored bytes: the
// spans that lie in the source's mapping go by sendfile(2) — the kernel hands the page
// cache's pages to the socket, as a static file server does — and only the generated
// boxes (moov, moof, a few KiB) are copied, by send(2). This is what lets a server serve
// a per-track MP4 cut from a stored file at the speed it serves the stored file itself.
//
// The socket must be non-blocking (a send stops where the socket is full) and the process
// must ignore SIGPIPE, as Node does: sendfile(2) has no MSG_NOSIGNAL, so a peer that has
// gone would otherwise end the process instead of failing the send.
#include <cstdint>

#include "export/mp4_source.h"
#include "mp4/virtual_file.h"

namespace ringclip::exporting {

// Bytes [start, end) of `file`, a clip of `source`: its spans in the source's mapping go by
// sendfile, any other piece by send. Returns the bytes the socket took from `start` on:
// fewer than the range only when its buffer filled (EAGAIN; wait, then go on from there).
// Throws Error(Io) for a socket that fails (the peer reset or closed the connection, not a
// socket).
uint64_t send_to_socket(int socket, const mp4::VirtualFile& file, uint64_t start, uint64_t end,
                        const Mp4Source& source);

// Bytes [start, end) of the source file itself.
uint64_t send_to_socket(int socket, const Mp4Source& source, uint64_t start, uint64_t end);

}  // namespace ringclip::exporting
