#include "mp4/virtual_file.h"

#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "util/error.h"

namespace ringclip::mp4 {

namespace {
// Keeps one writev's total far from SSIZE_MAX (EINVAL) and bounds how long a single call
// blocks between progress reports.
constexpr size_t kMaxBytesPerWritev = size_t(1) << 30;
#ifdef IOV_MAX
constexpr int kIovMax = IOV_MAX;
#else
constexpr int kIovMax = 1024;
#endif
}  // namespace

void VirtualFile::append_generated(std::vector<uint8_t> bytes) {
  if (bytes.empty()) return;
  owned_.push_back(std::make_unique<std::vector<uint8_t>>(std::move(bytes)));
  const std::vector<uint8_t>& stored = *owned_.back();
  pieces_.push_back({size_, ByteSpan{stored.data(), stored.size()}});
  size_ += stored.size();
}

void VirtualFile::append_span(ByteSpan span) {
  if (span.size == 0) return;
  // Samples that follow each other in the store's mmap become one piece: fewer iovecs,
  // fewer writev calls, shorter binary searches.
  if (!pieces_.empty()) {
    Piece& last = pieces_.back();
    if (last.span.data + last.span.size == span.data && last.span.size <= SIZE_MAX - span.size) {
      last.span.size += span.size;
      size_ += span.size;
      return;
    }
  }
  pieces_.push_back({size_, span});
  size_ += span.size;
}

void VirtualFile::append_file(VirtualFile&& other) {
  // The owned buffers move without moving their bytes: the spans pointing into them stay valid.
  for (auto& owned : other.owned_) owned_.push_back(std::move(owned));
  pieces_.reserve(pieces_.size() + other.pieces_.size());
  for (const Piece& p : other.pieces_) pieces_.push_back({size_ + p.offset, p.span});
  size_ += other.size_;
  other.owned_.clear();
  other.pieces_.clear();
  other.size_ = 0;
}

size_t VirtualFile::first_piece(uint64_t start) const {
  auto it = std::upper_bound(pieces_.begin(), pieces_.end(), start,
                             [](uint64_t offset, const Piece& p) { return offset < p.offset; });
  return size_t(it - pieces_.begin()) - 1;  // pieces_[0].offset is 0 <= start
}

void VirtualFile::read(uint64_t start, uint64_t end, const std::function<void(ByteSpan)>& emit) const {
  end = std::min(end, size_);
  if (start >= end) return;
  for (auto it = pieces_.begin() + ptrdiff_t(first_piece(start)); it != pieces_.end() && it->offset < end; ++it) {
    uint64_t from = std::max(start, it->offset) - it->offset;
    uint64_t to = std::min<uint64_t>(end - it->offset, it->span.size);
    emit(ByteSpan{it->span.data + from, size_t(to - from)});
  }
}

void VirtualFile::copy(uint64_t start, uint64_t end, uint8_t* out) const {
  read(start, end, [&out](ByteSpan s) {
    std::memcpy(out, s.data, s.size);
    out += s.size;
  });
}

void VirtualFile::write_to_fd(int fd, const std::function<void(uint64_t)>& progress) const {
  iovec iov[kIovMax];
  size_t piece = 0;       // the first piece not completely written
  size_t piece_done = 0;  // bytes of it already written
  uint64_t written = 0;
  while (piece < pieces_.size()) {
    int count = 0;
    size_t batch_bytes = 0;
    for (size_t p = piece; p < pieces_.size() && count < kIovMax && batch_bytes < kMaxBytesPerWritev; ++p) {
      size_t skip = p == piece ? piece_done : 0;
      size_t len = std::min(pieces_[p].span.size - skip, kMaxBytesPerWritev - batch_bytes);
      iov[count].iov_base = const_cast<uint8_t*>(pieces_[p].span.data + skip);
      iov[count].iov_len = len;
      ++count;
      batch_bytes += len;
    }
    ssize_t n = ::writev(fd, iov, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorCode::Io, std::string("writev failed: ") + std::strerror(errno));
    }
    if (n == 0) throw Error(ErrorCode::Io, "writev wrote nothing");
    // A partial write can stop anywhere, even inside a piece: advance the cursor by bytes.
    size_t left = size_t(n);
    written += left;
    while (left > 0) {
      size_t rest = pieces_[piece].span.size - piece_done;
      if (left < rest) {
        piece_done += left;
        left = 0;
      } else {
        left -= rest;
        ++piece;
        piece_done = 0;
      }
    }
    if (progress) progress(written);
  }
}

}  // namespace ringclip::mp4
