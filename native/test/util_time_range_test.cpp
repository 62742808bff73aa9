// The time rule (util/time_range.h) and the clock conversions at its limits: a cut of
// footage timed at the very ends of the range, and MP4s whose times lie beyond it, neither
// overflow nor wrap.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "check.h"
#include "export/clip_cutter.h"
#include "export/mp4_source.h"
#include "mp4/movie_time.h"
#include "mp4/writer.h"
#include "mp4_test_movie.h"
#include "util/error.h"
#include "util/time_range.h"

using namespace ringclip;

namespace {

// The code and message of the error `fn` throws ("" when it throws none).
template <typename F>
std::pair<ErrorCode, std::string> error_of(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return {e.code(), e.what()};
  }
  return {ErrorCode::Io, ""};
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const std::string kRange = "0 (1970-01-01T00:00:00Z) to 9007199254740991 µs (2255-06-05T23:47:34.740991Z)";

// A track of `count` frames 33,333 µs apart from `first_us`, a key frame every 10.
exporting::SourceTrack frames_from(int64_t first_us, int count, std::vector<uint8_t>& bytes) {
  exporting::SourceTrack t;
  t.name = "road";
  exporting::SourceConfig& c = t.configs.emplace_back();
  c.id = 1;
  c.sps = {{0x67, 0x64, 0x00, 0x28}};
  c.pps = {{0x68, 0xee}};
  c.width = 1920;
  c.height = 1080;
  bytes.assign(64, 0xab);
  for (int i = 0; i < count; ++i) {
    exporting::SourceSample s;
    s.dts_us = s.pts_us = first_us + int64_t(i) * 33333;
    s.random_access = i % 10 == 0 ? 1 : 0;
    s.after_gap = i == 0;
    s.config = 1;
    s.data = ByteSpan{bytes.data(), bytes.size()};
    t.samples.push_back(s);
  }
  return t;
}

std::string temp_path(const char* name) {
  return std::string("/tmp/ringclip_time_range_") + std::to_string(getpid()) + "_" + name;
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

}  // namespace

TEST(time_range_bounds_are_the_epoch_and_2_to_the_53_minus_1) {
  CHECK_EQ(kMinTimeUs, int64_t(0));
  CHECK_EQ(kMaxTimeUs, int64_t(9007199254740991));
  CHECK_EQ(kMinTimelineUs, -kMaxTimeUs);
  CHECK_EQ(time_range_text(), kRange);
  CHECK_EQ(iso_time_us(0), std::string("1970-01-01T00:00:00Z"));
  CHECK_EQ(iso_time_us(kMaxTimeUs), std::string("2255-06-05T23:47:34.740991Z"));
  CHECK_EQ(iso_time_us(-1), std::string("1969-12-31T23:59:59.999999Z"));
  CHECK_EQ(iso_time_us(1767225600000001), std::string("2026-01-01T00:00:00.000001Z"));
  CHECK(!iso_time_us(INT64_MIN).empty());  // no overflow at the ends of int64
  CHECK(!iso_time_us(INT64_MAX).empty());
}

TEST(check_time_accepts_the_range_and_names_what_it_refuses) {
  check_time("pts", 0);
  check_time("pts", kMaxTimeUs);
  check_timeline_time("from", kMinTimelineUs);
  check_timeline_time("from", kMaxTimeUs);
  for (int64_t bad : {int64_t(-1), kMaxTimeUs + 1, INT64_MIN, INT64_MAX}) {
    auto [code, message] = error_of([&] { check_time("pts", bad); });
    CHECK(code == ErrorCode::InvalidArgument);
    CHECK(contains(message, "pts " + std::to_string(bad) + " µs ("));
    CHECK(contains(message, kRange));
  }
  auto [code, message] = error_of([&] { check_time("dts", -1); });
  CHECK(contains(message, "dts -1 µs (1969-12-31T23:59:59.999999Z) is outside the times ringclip holds"));
  for (int64_t bad : {kMinTimelineUs - 1, kMaxTimeUs + 1, INT64_MIN}) {
    auto [tcode, tmessage] = error_of([&] { check_timeline_time("from", bad); });
    CHECK(tcode == ErrorCode::InvalidArgument);
    CHECK(contains(tmessage, "-9007199254740991 to 9007199254740991 µs"));
  }
}

TEST(rescale_signed_is_exact_rounds_half_away_from_zero_and_saturates) {
  // µs -> 90 kHz at the ends of the range: 2^53 − 1 µs is 810647932926689.19 ticks.
  CHECK_EQ(mp4::rescale_signed(kMaxTimeUs, 1000000, 90000), int64_t(810647932926689));
  CHECK_EQ(mp4::rescale_signed(-kMaxTimeUs, 1000000, 90000), int64_t(-810647932926689));
  CHECK_EQ(mp4::rescale_signed(33333, 1000000, 90000), int64_t(3000));  // 2999.97
  CHECK_EQ(mp4::rescale_signed(50, 100, 1), int64_t(1));
  CHECK_EQ(mp4::rescale_signed(-50, 100, 1), int64_t(-1));
  CHECK_EQ(mp4::rescale_signed(49, 100, 1), int64_t(0));
  // Ticks -> µs beyond int64 (a hostile file: 1 tick per second) saturate.
  CHECK_EQ(mp4::rescale_signed(INT64_MAX, 1, 1000000), INT64_MAX);
  CHECK_EQ(mp4::rescale_signed(INT64_MIN, 1, 1000000), INT64_MIN);
  CHECK_EQ(mp4::rescale_signed(INT64_MAX, 1000000, 90000), int64_t(830103483316929823));
  CHECK_EQ(mp4::rescale_signed(5, 0, 90000), int64_t(0));
}

TEST(a_cut_at_the_ends_of_the_range_converts_without_overflow) {
  std::vector<uint8_t> bytes;
  // The last second a store can hold, and the first second of a timeline before 0.
  for (int64_t first : {kMaxTimeUs - 40 * 33333, kMinTimelineUs, int64_t(0)}) {
    exporting::SourceTrack track = frames_from(first, 40, bytes);
    exporting::CutRequest req;
    req.from_us = first + 15 * 33333;
    req.to_us = first + 35 * 33333;
    req.exact = true;
    exporting::CutResult cut = exporting::cut_clip({track}, req);
    const mp4::Track& t = cut.movie.tracks[0];
    CHECK_EQ(t.samples.size(), size_t(25));  // from the key frame at 10 to frame 34
    CHECK_EQ(t.samples.front().dts, int64_t(0));
    CHECK_EQ(t.samples.back().dts, int64_t(71999));  // 799,992 µs: 71,999.28 ticks, rounded
    CHECK_EQ(cut.start_us, req.from_us);
    CHECK_EQ(cut.tracks[0].first_pts_us, first + 10 * 33333);
    CHECK_EQ(t.edits.size(), size_t(1));
    CHECK_EQ(t.edits[0].media_time, int64_t(15000));  // 5 frames in: 166,665 µs
    // The writers take the movie as it is, creation time at the very end included.
    CHECK(mp4::build_progressive(cut.movie).size() > 0);
    CHECK(mp4::build_fragmented(cut.movie).size() > 0);
  }
  // Bounds beyond the timeline are refused before any arithmetic on them.
  exporting::SourceTrack track = frames_from(0, 40, bytes);
  for (auto [from, to] : {std::pair{INT64_MIN, int64_t(0)}, std::pair{int64_t(0), INT64_MAX},
                          std::pair{kMinTimelineUs - 1, int64_t(0)}}) {
    exporting::CutRequest req;
    req.from_us = from;
    req.to_us = to;
    auto [code, message] = error_of([&] { exporting::cut_clip({track}, req); });
    CHECK(code == ErrorCode::InvalidArgument);
    CHECK(contains(message, "outside the timelines ringclip holds"));
  }
  // A source whose frames lie beyond the range is refused as data, not cut.
  exporting::SourceTrack far = frames_from(kMaxTimeUs - 5 * 33333, 10, bytes);
  exporting::CutRequest req;
  req.from_us = kMaxTimeUs - 5 * 33333;
  req.to_us = kMaxTimeUs;
  auto [code, message] = error_of([&] { exporting::cut_clip({far}, req); });
  CHECK(code == ErrorCode::InvalidData);
  CHECK(contains(message, "outside the timelines ringclip holds"));
}

TEST(mp4_source_times_beyond_the_range_are_refused_and_late_capture_times_ignored) {
  // A creation time after 2255 (only a damaged or hostile file has one) gives no origin.
  test::TestMovie late = test::fixture_movie({"cabin_720p30_main_gop30.h264"});
  late.movie.creation_time_us = int64_t(1) << 60;
  std::string path = temp_path("late.mp4");
  write_bytes(path, test::materialise(mp4::build_progressive(late.movie)));
  auto source = exporting::Mp4Source::open(path);
  CHECK_EQ(source->origin_us(), int64_t(0));
  CHECK_EQ(source->tracks()[0].samples.front().pts_us, int64_t(0));
  source.reset();
  std::remove(path.c_str());

  // Ticks of one second, each frame 2^32 − 1 of them: the fourth frame lies past 2255.
  test::TestMovie slow = test::fixture_movie({"cabin_720p30_main_gop30.h264"});
  slow.movie.creation_time_us = 0;
  mp4::Track& t = slow.movie.tracks[0];
  t.samples.resize(4);
  t.timescale = 1;
  for (size_t i = 0; i < t.samples.size(); ++i) {
    t.samples[i].dts = t.samples[i].pts = int64_t(i) * UINT32_MAX;
    t.samples[i].duration = UINT32_MAX;
  }
  path = temp_path("slow.mp4");
  write_bytes(path, test::materialise(mp4::build_progressive(slow.movie)));
  auto [code, message] = error_of([&] { exporting::Mp4Source::open(path); });
  std::remove(path.c_str());
  CHECK(code == ErrorCode::InvalidData);
  CHECK(contains(message,
                 "track 'road' has a decode time of 12884901885 ticks (1 ticks/s), which lies outside the timelines "
                 "ringclip can cut"));
}
