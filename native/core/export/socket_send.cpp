#include "export/socket_send.h"

#include <errno.h>
#include <sys/sendfile.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

#include "util/error.h"

namespace ringclip::exporting {
namespace {

[[noreturn]] void fail(const char* call, int err) {
  throw Error(ErrorCode::Io, std::string(call) + " to the socket failed: " + std::strerror(err));
}

// One piece, retried while the socket takes part of it; false when the socket is full.
// `more`: further bytes follow in this send, so the kernel may hold a short segment back.
bool send_span(int socket, ByteSpan span, const Mp4Source& source, bool more, uint64_t& sent) {
  const uint8_t* base = source.data();
  bool mapped = span.data >= base && span.data + span.size <= base + source.size();
  size_t done = 0;
  while (done < span.size) {
    ssize_t n;
    if (mapped) {
      off_t at = off_t(span.data - base + done);
      n = ::sendfile(socket, source.fd(), &at, span.size - done);
    } else {
      n = ::send(socket, span.data + done, span.size - done, MSG_DONTWAIT | MSG_NOSIGNAL | (more ? MSG_MORE : 0));
    }
    if (n > 0) {
      done += size_t(n);
      sent += uint64_t(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    // sendfile returns 0 when the file ends early: the source was truncated under its mapping.
    if (n == 0) throw Error(ErrorCode::Io, "the source file ended before the bytes its mapping promised");
    fail(mapped ? "sendfile" : "send", errno);
  }
  return true;
}

}  // namespace

uint64_t send_to_socket(int socket, const mp4::VirtualFile& file, uint64_t start, uint64_t end,
                        const Mp4Source& source) {
  uint64_t sent = 0;
  if (end > file.size()) end = file.size();
  if (start >= end) return sent;
  // read() hands out consecutive slices; the first one that does not fit stops the rest.
  bool full = false;
  file.read(start, end, [&](ByteSpan span) {
    if (!full) full = !send_span(socket, span, source, start + sent + span.size < end, sent);
  });
  return sent;
}

uint64_t send_to_socket(int socket, const Mp4Source& source, uint64_t start, uint64_t end) {
  uint64_t sent = 0;
  if (end > source.size()) end = source.size();
  if (start < end) send_span(socket, ByteSpan{source.data() + start, size_t(end - start)}, source, false, sent);
  return sent;
}

}  // namespace ringclip::exporting
