// VirtualFile: range reads, copies and writev output agree with the whole file.
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <random>

#include "check.h"
#include "mp4/virtual_file.h"
#include "mp4/writer.h"
#include "mp4_test_movie.h"
#include "util/error.h"

using namespace ringclip;
using namespace ringclip::test;

namespace {

std::vector<uint8_t> read_all(int fd) {
  std::vector<uint8_t> out;
  lseek(fd, 0, SEEK_SET);
  uint8_t buf[65536];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.insert(out.end(), buf, buf + n);
  return out;
}

int temp_fd() {
  char name[] = "/tmp/ringclip_mp4_vf_XXXXXX";
  int fd = mkstemp(name);
  if (fd >= 0) unlink(name);
  return fd;
}

}  // namespace

TEST(mp4_virtual_file_random_ranges_match_whole_copy) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264", "cabin_720p30_main_gop30.h264"});
  mp4::VirtualFile file = mp4::build_progressive(tm.movie);
  std::vector<uint8_t> whole = materialise(file);
  CHECK_EQ(uint64_t(whole.size()), file.size());
  std::mt19937_64 rng(7);
  std::vector<uint8_t> part;
  for (int i = 0; i < 2000; ++i) {
    uint64_t a = rng() % (file.size() + 1), b = rng() % (file.size() + 1);
    if (i % 3 == 0) b = std::min<uint64_t>(file.size(), a + rng() % 64);  // short ranges, piece edges
    if (a > b) std::swap(a, b);
    part.assign(b - a, 0xEE);
    file.copy(a, b, part.data());
    if (std::memcmp(part.data(), whole.data() + a, b - a) != 0) {
      CHECK(!"range differs");
      break;
    }
  }
}

TEST(mp4_virtual_file_read_emits_exact_consecutive_slices) {
  mp4::VirtualFile file;
  std::vector<uint8_t> a = {1, 2, 3}, c = {7, 8, 9, 10};
  file.append_generated({0, 0});
  file.append_span(ByteSpan{a.data(), a.size()});
  file.append_span(ByteSpan{nullptr, 0});  // empty spans add no piece
  file.append_span(ByteSpan{c.data(), c.size()});
  CHECK_EQ(file.size(), uint64_t(9));
  std::vector<uint8_t> got;
  size_t calls = 0;
  file.read(1, 7, [&](ByteSpan s) {
    CHECK(s.size > 0);
    got.insert(got.end(), s.data, s.data + s.size);
    ++calls;
  });
  CHECK(got == std::vector<uint8_t>({0, 1, 2, 3, 7, 8}));
  CHECK_EQ(calls, size_t(3));
  got.clear();
  file.read(4, 1000, [&](ByteSpan s) { got.insert(got.end(), s.data, s.data + s.size); });  // end clamps
  CHECK(got == std::vector<uint8_t>({3, 7, 8, 9, 10}));
  calls = 0;
  file.read(4, 4, [&](ByteSpan) { ++calls; });
  file.read(9, 12, [&](ByteSpan) { ++calls; });
  CHECK_EQ(calls, size_t(0));
}

TEST(mp4_virtual_file_adjacent_spans_coalesce) {
  std::vector<uint8_t> store(100);
  mp4::VirtualFile file;
  file.append_span(ByteSpan{store.data(), 10});
  file.append_span(ByteSpan{store.data() + 10, 20});
  file.append_span(ByteSpan{store.data() + 50, 5});
  CHECK_EQ(file.piece_count(), size_t(2));
  CHECK_EQ(file.size(), uint64_t(35));
}

TEST(mp4_virtual_file_write_to_fd_matches_copy) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264", "cabin_720p30_main_gop30.h264"});
  mp4::VirtualFile file = mp4::build_progressive(tm.movie);
  int fd = temp_fd();
  CHECK(fd >= 0);
  uint64_t last_progress = 0;
  bool monotonic = true;
  file.write_to_fd(fd, [&](uint64_t done) {
    monotonic = monotonic && done > last_progress;
    last_progress = done;
  });
  CHECK(monotonic);
  CHECK_EQ(last_progress, file.size());
  CHECK(read_all(fd) == materialise(file));
  close(fd);
}

TEST(mp4_virtual_file_write_more_pieces_than_iov_max) {
  // 5000 non-adjacent pieces force several writev batches.
  std::vector<uint8_t> store(20000);
  for (size_t i = 0; i < store.size(); ++i) store[i] = uint8_t(i * 31);
  mp4::VirtualFile file;
  for (size_t i = 0; i < 5000; ++i) {
    if (i % 2)
      file.append_generated({uint8_t(i), uint8_t(i >> 8)});
    else
      file.append_span(ByteSpan{store.data() + 4 * i, 3});  // gaps keep them apart
  }
  CHECK_EQ(file.piece_count(), size_t(5000));
  int fd = temp_fd();
  size_t batches = 0;
  file.write_to_fd(fd, [&](uint64_t) { ++batches; });
  CHECK(batches >= 5);
  CHECK(read_all(fd) == materialise(file));
  close(fd);
}

TEST(mp4_virtual_file_write_error_is_io) {
  mp4::VirtualFile file;
  file.append_generated({1, 2, 3});
  bool io = false;
  try {
    file.write_to_fd(-1);
  } catch (const Error& e) {
    io = e.code() == ErrorCode::Io;
  }
  CHECK(io);
  mp4::VirtualFile empty;
  empty.write_to_fd(-1);  // nothing to write: no syscall, no error
}
