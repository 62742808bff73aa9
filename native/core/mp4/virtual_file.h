#pragma once
// A file made of pieces: generated box bytes (owned) and spans of stored sample bytes
// (borrowed from an mmap). Its size is known before any byte is produced; any byte range
// can be read without materialising the rest. This is how writeMP4 does scatter I/O and
// how HTTP range requests are served.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "util/bytes.h"

namespace ringclip::mp4 {

class VirtualFile {
 public:
  void append_generated(std::vector<uint8_t> bytes);  // owned bytes
  void append_span(ByteSpan span);                    // borrowed bytes: must outlive reads
  uint64_t size() const { return size_; }
  // Writers know roughly how many pieces they append (one per sample at most): reserving
  // keeps building a file free of per-sample reallocations.
  void reserve(size_t pieces) { pieces_.reserve(pieces); }

  // Calls `emit` with consecutive slices covering [start, end) (end exclusive, clamped to size).
  void read(uint64_t start, uint64_t end, const std::function<void(ByteSpan)>& emit) const;
  // Copies [start, end) into `out`, which must hold end - start bytes.
  void copy(uint64_t start, uint64_t end, uint8_t* out) const;
  // Writes the whole file to fd at its current position with writev, IOV_MAX pieces at a time.
  // Throws Error(Io) on failure. `progress` (optional) receives bytes written so far.
  void write_to_fd(int fd, const std::function<void(uint64_t)>& progress = nullptr) const;

  size_t piece_count() const { return pieces_.size(); }

 private:
  struct Piece {
    uint64_t offset;  // where the piece starts in the virtual file
    ByteSpan span;    // the bytes (generated pieces point into owned_)
  };
  std::vector<Piece> pieces_;
  std::vector<std::unique_ptr<std::vector<uint8_t>>> owned_;
  uint64_t size_ = 0;
};

}  // namespace ringclip::mp4
