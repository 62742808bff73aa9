// build_progressive → read_movie gives back the same movie.
#include "check.h"
#include "mp4/reader.h"
#include "mp4/writer.h"
#include "mp4_test_movie.h"

using namespace ringclip;
using namespace ringclip::test;

TEST(mp4_progressive_single_track_roundtrip) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264"});
  const mp4::Track& road = tm.movie.tracks[0];
  CHECK_EQ(road.samples.size(), size_t(300));
  std::vector<uint8_t> bytes = materialise(mp4::build_progressive(tm.movie));
  mp4::Movie back = mp4::read_movie(as_span(bytes));
  CHECK_EQ(back.tracks.size(), size_t(1));
  CHECK_EQ(back.timescale, uint32_t(1000));
  CHECK_EQ(back.creation_time_us, int64_t(1700000000000000));  // whole seconds survive
  const mp4::Track& t = back.tracks[0];
  CHECK_EQ(t.name, std::string("road"));
  CHECK_EQ(t.track_id, uint32_t(1));
  CHECK_EQ(t.timescale, uint32_t(90000));
  CHECK_EQ(t.width, uint32_t(1920));
  CHECK_EQ(t.height, uint32_t(1080));
  CHECK(t.sps == road.sps);
  CHECK(t.pps == road.pps);
  CHECK(t.edits.empty());
  check_same_samples(road, t);
  // Zero-copy reading: sample spans point into the file we handed over.
  CHECK(t.samples[0].data.data > bytes.data() && t.samples[0].data.data < bytes.data() + bytes.size());
}

TEST(mp4_progressive_dual_track_roundtrip) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264", "cabin_720p30_main_gop30.h264"});
  std::vector<uint8_t> bytes = materialise(mp4::build_progressive(tm.movie));
  mp4::Movie back = mp4::read_movie(as_span(bytes));
  CHECK_EQ(back.tracks.size(), size_t(2));
  if (back.tracks.size() != 2) return;
  CHECK_EQ(back.tracks[0].name, std::string("road"));
  CHECK_EQ(back.tracks[1].name, std::string("cabin"));
  CHECK_EQ(back.tracks[1].track_id, uint32_t(2));
  CHECK_EQ(back.tracks[1].width, uint32_t(1280));
  check_same_samples(tm.movie.tracks[0], back.tracks[0]);
  check_same_samples(tm.movie.tracks[1], back.tracks[1]);
}

TEST(mp4_progressive_edit_lists_roundtrip) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264", "cabin_720p30_main_gop30.h264"});
  // road: starts 0.1 s into its media (an exact cut); cabin: starts 0.5 s late.
  tm.movie.tracks[0].edits = {{9900, 9000}};
  tm.movie.tracks[1].edits = {{500, -1}, {9500, 0}};
  std::vector<uint8_t> bytes = materialise(mp4::build_progressive(tm.movie));
  mp4::Movie back = mp4::read_movie(as_span(bytes));
  CHECK_EQ(back.tracks[0].edits.size(), size_t(1));
  CHECK_EQ(back.tracks[0].edits[0].segment_duration, uint64_t(9900));
  CHECK_EQ(back.tracks[0].edits[0].media_time, int64_t(9000));
  CHECK_EQ(back.tracks[1].edits.size(), size_t(2));
  CHECK_EQ(back.tracks[1].edits[0].media_time, int64_t(-1));
  CHECK_EQ(back.tracks[1].edits[0].segment_duration, uint64_t(500));
  CHECK_EQ(back.tracks[1].edits[1].segment_duration, uint64_t(9500));
  CHECK_EQ(back.tracks[1].edits[1].media_time, int64_t(0));
  // mvhd duration: the longest edit list, 10 s.
  auto mvhd = find_boxes(bytes, "moov/mvhd");
  CHECK_EQ(mvhd.size(), size_t(1));
  CHECK_EQ(get_be32(&bytes[mvhd[0].offset + 8 + 16]), uint32_t(10000));
}

TEST(mp4_progressive_wide_edit_uses_elst_version_1) {
  TestMovie tm = fixture_movie({"cabin_720p30_main_gop30.h264"});
  tm.movie.tracks[0].edits = {{uint64_t(1) << 33, -1}, {10000, int64_t(1) << 32}};
  std::vector<uint8_t> bytes = materialise(mp4::build_progressive(tm.movie));
  auto elst = find_boxes(bytes, "moov/trak/edts/elst");
  CHECK_EQ(elst.size(), size_t(1));
  CHECK_EQ(int(bytes[elst[0].offset + 8]), 1);
  mp4::Movie back = mp4::read_movie(as_span(bytes));
  CHECK_EQ(back.tracks[0].edits[0].segment_duration, uint64_t(1) << 33);
  CHECK_EQ(back.tracks[0].edits[0].media_time, int64_t(-1));
  CHECK_EQ(back.tracks[0].edits[1].media_time, int64_t(1) << 32);
}

TEST(mp4_progressive_composition_offsets_roundtrip) {
  TestMovie tm = fixture_movie({"cabin_720p30_main_gop30.h264"});
  // Pretend B-frames: display order shifted by -1..+2 frames, including negative offsets.
  auto& samples = tm.movie.tracks[0].samples;
  for (size_t i = 0; i < samples.size(); ++i) samples[i].pts = samples[i].dts + (int64_t(i % 4) - 1) * 3000;
  std::vector<uint8_t> bytes = materialise(mp4::build_progressive(tm.movie));
  mp4::Movie back = mp4::read_movie(as_span(bytes));
  check_same_samples(tm.movie.tracks[0], back.tracks[0]);
}

TEST(mp4_progressive_sample_aspect_ratio_roundtrip) {
  TestMovie tm = fixture_movie({"cabin_720p30_main_gop30.h264"});
  tm.movie.tracks[0].sar_width = 4;
  tm.movie.tracks[0].sar_height = 3;
  std::vector<uint8_t> bytes = materialise(mp4::build_progressive(tm.movie));
  CHECK_EQ(find_boxes(bytes, "moov/trak/mdia/minf/stbl/stsd/avc1/pasp").size(), size_t(1));
  auto tkhd = find_boxes(bytes, "moov/trak/tkhd");
  // Display width 1280 * 4/3 = 1706.67 in 16.16, then height 720.
  size_t end = tkhd[0].offset + tkhd[0].size;
  CHECK_EQ(get_be32(&bytes[end - 8]), uint32_t((uint64_t(1280) * 4 << 16) / 3));
  CHECK_EQ(get_be32(&bytes[end - 4]), uint32_t(720) << 16);
  mp4::Movie back = mp4::read_movie(as_span(bytes));
  CHECK_EQ(back.tracks[0].sar_width, uint32_t(4));
  CHECK_EQ(back.tracks[0].sar_height, uint32_t(3));
  CHECK_EQ(back.tracks[0].width, uint32_t(1280));  // coded display size from avc1
}
