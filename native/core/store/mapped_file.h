#pragma once
// The store file: preallocated once (fallocate), mapped shared, locked for one writer.
// The file never grows or shrinks after create.
#include <cstdint>
#include <string>

namespace ringclip::store {

class MappedFile;

// While alive, page faults on the file's mapping read only the page they need
// (set_random_access). Open holds one: it reads a page here and there, and read-around
// (up to read_ahead_kb, 8 MiB on some devices) would turn each into megabytes.
class ScatteredReads {
 public:
  explicit ScatteredReads(const MappedFile& file);
  ~ScatteredReads();
  ScatteredReads(const ScatteredReads&) = delete;
  ScatteredReads& operator=(const ScatteredReads&) = delete;

 private:
  const MappedFile& file_;
};

class MappedFile {
 public:
  enum class Mode { ReadOnly, ReadWrite };

  // Creates a new file of exactly `size` bytes (fails if it exists). The blocks are
  // reserved with fallocate so a full disk is an error now, not a SIGBUS later.
  static MappedFile create(const std::string& path, uint64_t size);
  static MappedFile open(const std::string& path, Mode mode);

  MappedFile() = default;
  MappedFile(MappedFile&& o) noexcept { *this = std::move(o); }
  MappedFile& operator=(MappedFile&& o) noexcept;
  ~MappedFile();

  uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  bool writable() const { return mode_ == Mode::ReadWrite; }
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

  // Read hints. They change how fast bytes arrive, never which bytes: the kernel may
  // ignore them, so a refused hint is not an error.
  // Starts reading [offset, offset + length) into the page cache without waiting for it.
  void prefetch(uint64_t offset, uint64_t length) const;
  // Page faults on the mapping read only the page they need (no read-around): open reads
  // a page here and there, and read-around would turn each into 128 KiB.
  void set_random_access(bool random) const;

  // msync of [offset, offset + length) rounded out to pages; blocks until durable.
  void sync_range(uint64_t offset, uint64_t length) const;
  void close();

 private:
  void map(Mode mode);
  std::string path_;
  int fd_ = -1;
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  Mode mode_ = Mode::ReadOnly;
};

}  // namespace ringclip::store
