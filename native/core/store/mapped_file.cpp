#include "store/mapped_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/error.h"

namespace ringclip::store {
namespace {

[[noreturn]] void throw_errno(const std::string& what, const std::string& path, int err) {
  std::string hint;
  if (err == ENOSPC) hint = " (the disk has no room for the preallocation: choose a smaller capacity or free space)";
  if (err == EACCES || err == EROFS) hint = " (check the permissions of the file and its directory)";
  throw Error(ErrorCode::Io, what + " '" + path + "': " + std::strerror(err) + hint);
}

}  // namespace

MappedFile& MappedFile::operator=(MappedFile&& o) noexcept {
  if (this != &o) {
    close();
    path_ = std::move(o.path_);
    fd_ = o.fd_;
    data_ = o.data_;
    size_ = o.size_;
    mode_ = o.mode_;
    o.fd_ = -1;
    o.data_ = nullptr;
    o.size_ = 0;
  }
  return *this;
}

MappedFile::~MappedFile() { close(); }

MappedFile MappedFile::create(const std::string& path, uint64_t size) {
  MappedFile f;
  f.path_ = path;
  f.fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (f.fd_ < 0) {
    if (errno == EEXIST)
      throw Error(ErrorCode::InvalidArgument,
                  "cannot create store '" + path + "': the file already exists (open it, or remove it first)");
    throw_errno("cannot create store", path, errno);
  }
  if (::flock(f.fd_, LOCK_EX | LOCK_NB) != 0) throw_errno("cannot lock new store", path, errno);
  int rc;
  do rc = ::posix_fallocate(f.fd_, 0, off_t(size));
  while (rc == EINTR);
  if (rc == EOPNOTSUPP || rc == EINVAL) {
    // Filesystems without fallocate (tmpfs on old kernels): fall back to ftruncate. The
    // caller then zero-touches nothing; a full disk can still appear later as SIGBUS,
    // which is why fallocate is preferred.
    rc = ::ftruncate(f.fd_, off_t(size)) == 0 ? 0 : errno;
  }
  if (rc != 0) {
    int err = rc;
    ::close(f.fd_);
    f.fd_ = -1;
    ::unlink(path.c_str());  // we created it: leave nothing half-made behind
    throw_errno("cannot preallocate store", path, err);
  }
  f.size_ = size;
  f.map(Mode::ReadWrite);
  return f;
}

MappedFile MappedFile::open(const std::string& path, Mode mode) {
  MappedFile f;
  f.path_ = path;
  f.fd_ = ::open(path.c_str(), (mode == Mode::ReadWrite ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (f.fd_ < 0) {
    if (errno == ENOENT) throw Error(ErrorCode::InvalidArgument, "no store at '" + path + "': the file does not exist");
    throw_errno("cannot open store", path, errno);
  }
  if (mode == Mode::ReadWrite && ::flock(f.fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      throw Error(ErrorCode::Locked, "store '" + path +
                                         "' is open for writing by another process (or another SegmentStore in this "
                                         "one); open it read-only, or close the writer first");
    throw_errno("cannot lock store", path, errno);
  }
  struct stat st;
  if (::fstat(f.fd_, &st) != 0) throw_errno("cannot stat store", path, errno);
  if (!S_ISREG(st.st_mode)) throw Error(ErrorCode::InvalidArgument, "'" + path + "' is not a regular file");
  f.size_ = uint64_t(st.st_size);
  if (f.size_ < 8192)
    throw Error(ErrorCode::Format, "'" + path + "' is not a ringclip store: " + std::to_string(f.size_) +
                                       " bytes is smaller than a store header");
  f.map(mode);
  return f;
}

void MappedFile::map(Mode mode) {
  mode_ = mode;
  int prot = PROT_READ | (mode == Mode::ReadWrite ? PROT_WRITE : 0);
  void* p = ::mmap(nullptr, size_, prot, MAP_SHARED, fd_, 0);
  if (p == MAP_FAILED) throw_errno("cannot map store", path_, errno);
  data_ = static_cast<uint8_t*>(p);
}

void MappedFile::sync_range(uint64_t offset, uint64_t length) const {
  if (!data_ || mode_ != Mode::ReadWrite || length == 0) return;
  static const uint64_t page = uint64_t(::sysconf(_SC_PAGESIZE));
  uint64_t start = offset & ~(page - 1);
  uint64_t end = offset + length;
  if (end > size_) end = size_;
  if (::msync(data_ + start, end - start, MS_SYNC) != 0) throw_errno("cannot flush store", path_, errno);
}

void MappedFile::prefetch(uint64_t offset, uint64_t length) const {
  if (fd_ < 0 || offset >= size_) return;
  if (length > size_ - offset) length = size_ - offset;
  ::posix_fadvise(fd_, off_t(offset), off_t(length), POSIX_FADV_WILLNEED);
}

void MappedFile::set_random_access(bool random) const {
  if (data_) ::madvise(data_, size_, random ? MADV_RANDOM : MADV_NORMAL);
}

ScatteredReads::ScatteredReads(const MappedFile& file) : file_(file) { file_.set_random_access(true); }
ScatteredReads::~ScatteredReads() { file_.set_random_access(false); }

void MappedFile::close() {
  if (data_) ::munmap(data_, size_);
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
  data_ = nullptr;
  fd_ = -1;
}

}  // namespace ringclip::store
