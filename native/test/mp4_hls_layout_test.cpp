// plan_hls_layout / build_hls_file: one fragment per GOP, byte ranges that parse back, key frame ranges that
// end at the key frame, and an open end whose listed bytes never change as it grows.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>

#include "check.h"
#include "mp4/hls_layout.h"
#include "mp4/reader.h"
#include "mp4_test_movie.h"
#include "util/error.h"

using namespace ringclip;
using namespace ringclip::test;

TEST(mp4_hls_layout_one_segment_per_gop) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264"});
  mp4::HlsLayout hls = mp4::plan_hls_layout(tm.movie);
  std::vector<uint8_t> bytes = materialise(mp4::build_hls_file(tm.movie, hls));
  CHECK_EQ(bytes.size(), hls.file_size);      // the plan's size is the file's
  CHECK_EQ(hls.segments.size(), size_t(10));  // 300 frames, a key frame every 30
  CHECK_EQ(hls.codecs.substr(0, 5), std::string("avc1."));
  CHECK_EQ(hls.width, uint32_t(1920));
  // The init: no mehd, no sidx, no edit list (a growing recording keeps these bytes).
  std::vector<uint8_t> init(bytes.begin(), bytes.begin() + long(hls.init.size()));
  CHECK(init == hls.init);
  const std::vector<std::string> types = top_level_types(init);
  CHECK_EQ(types.back(), std::string("moov"));
  CHECK(find_boxes(init, "moov/mvex/mehd").empty());
  CHECK(find_boxes(init, "moov/trak/edts").empty());
  uint64_t at = hls.init.size();
  int64_t time = 0;
  for (const mp4::HlsSegment& s : hls.segments) {
    CHECK_EQ(s.offset, at);  // contiguous, in order
    CHECK_EQ(std::string(reinterpret_cast<const char*>(&bytes[s.offset + 4]), 4), std::string("moof"));
    CHECK_EQ(s.start_us, time);
    CHECK_EQ(s.duration_us, int64_t(1000000));
    at += s.size;
    time += s.duration_us;
  }
  CHECK_EQ(at, bytes.size());
  // Each range with the init parses as the GOP; the key frame range ends at its last byte.
  for (size_t g = 0; g < hls.segments.size(); ++g) {
    const mp4::HlsSegment& s = hls.segments[g];
    std::vector<uint8_t> one(init);
    one.insert(one.end(), bytes.begin() + long(s.offset), bytes.begin() + long(s.offset + s.size));
    mp4::Movie back = mp4::read_movie(as_span(one));
    CHECK_EQ(back.tracks.size(), size_t(1));
    CHECK_EQ(back.tracks[0].samples.size(), size_t(30));
    CHECK(back.tracks[0].samples[0].sync);
    const ByteSpan key = tm.movie.tracks[0].samples[g * 30].data;
    CHECK(s.key_frame_end - s.offset > key.size);
    CHECK(std::memcmp(&bytes[s.key_frame_end - key.size], key.data, key.size) == 0);
  }
  mp4::Movie whole = mp4::read_movie(as_span(bytes));
  check_same_samples(tm.movie.tracks[0], whole.tracks[0]);
  // Each part built alone is what the whole file holds there.
  CHECK(materialise(mp4::build_hls_part(tm.movie, hls, -1)) == hls.init);
  for (size_t g = 0; g < hls.segments.size(); ++g) {
    const mp4::HlsSegment& s = hls.segments[g];
    CHECK(materialise(mp4::build_hls_part(tm.movie, hls, ptrdiff_t(g))) ==
          std::vector<uint8_t>(bytes.begin() + long(s.offset), bytes.begin() + long(s.offset + s.size)));
  }
  bool refused = false;
  try {
    mp4::build_hls_part(tm.movie, hls, ptrdiff_t(hls.segments.size()));
  } catch (const Error& e) {
    refused = e.code() == ErrorCode::InvalidArgument;
  }
  CHECK(refused);
}

TEST(mp4_hls_layout_open_end_keeps_listed_bytes) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264"});
  mp4::HlsOptions open;
  open.open_end = true;
  TestMovie shorter = fixture_movie({"road_1080p30_high_gop30.h264"});
  shorter.movie.tracks[0].samples.resize(200);  // the same drive, earlier: 6 GOPs and 20 frames
  mp4::HlsLayout early = mp4::plan_hls_layout(shorter.movie, open);
  mp4::HlsLayout later = mp4::plan_hls_layout(tm.movie, open);
  CHECK_EQ(early.segments.size(), size_t(6));  // the GOP still recording is not listed
  CHECK_EQ(later.segments.size(), size_t(9));
  std::vector<uint8_t> a = materialise(mp4::build_hls_file(shorter.movie, early)),
                       b = materialise(mp4::build_hls_file(tm.movie, later));
  const uint64_t listed = early.segments.back().offset + early.segments.back().size;
  CHECK(a.size() >= listed && b.size() >= listed);
  CHECK(std::memcmp(a.data(), b.data(), size_t(listed)) == 0);
}

TEST(mp4_hls_layout_refuses_two_cameras) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264", "cabin_720p30_main_gop30.h264"});
  bool refused = false;
  try {
    mp4::plan_hls_layout(tm.movie);
  } catch (const Error& e) {
    refused = e.code() == ErrorCode::InvalidArgument && std::string(e.what()).find("one camera") != std::string::npos;
  }
  CHECK(refused);
}

// The layout of a 1-hour drive's camera (108,000 frames, 3,600 GOPs) is planned on every
// playlist request of the device, and built for a segment: printed, not asserted (a
// wall-clock bound fails on a loaded machine, not on slow code).
TEST(mp4_perf_hls_layout_one_hour) {
  static std::vector<uint8_t> bytes(8 * 1024);
  put_be32(bytes.data(), uint32_t(bytes.size() - 4));
  mp4::Movie movie;
  mp4::Track t;
  t.name = "road";
  t.width = 1280;
  t.height = 720;
  t.sps = {{0x67, 100, 0, 31, 0xAC, 0xD9, 0x40, 0x78}};
  t.pps = {{0x68, 0xEB, 0xE3, 0xCB}};
  for (int i = 0; i < 108000; ++i) {
    mp4::Sample s;
    s.dts = s.pts = int64_t(i) * 3000;
    s.duration = 3000;
    s.sync = i % 30 == 0;
    s.data = ByteSpan{bytes.data(), 1000 + size_t(i % 7) * 1000};
    t.samples.push_back(s);
  }
  movie.tracks.push_back(std::move(t));
  std::vector<double> plan_ms, build_ms;
  size_t segments = 0;
  for (int run = 0; run < 9; ++run) {
    auto start = std::chrono::steady_clock::now();
    mp4::HlsLayout hls = mp4::plan_hls_layout(movie);
    auto planned = std::chrono::steady_clock::now();
    mp4::VirtualFile file = mp4::build_hls_file(movie, hls);
    auto built = std::chrono::steady_clock::now();
    CHECK_EQ(file.size(), hls.file_size);
    segments = hls.segments.size();
    plan_ms.push_back(std::chrono::duration<double, std::milli>(planned - start).count());
    build_ms.push_back(std::chrono::duration<double, std::milli>(built - planned).count());
  }
  std::sort(plan_ms.begin(), plan_ms.end());
  std::sort(build_ms.begin(), build_ms.end());
  std::cout << "  HLS layout 1 h (108000 frames): plan median " << plan_ms[plan_ms.size() / 2] << " ms, file "
            << build_ms[build_ms.size() / 2] << " ms, " << segments << " segments\n";
  CHECK_EQ(segments, size_t(3600));
}
