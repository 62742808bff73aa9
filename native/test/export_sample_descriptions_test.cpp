// Issue 21 in the core: the cutter's sample descriptions (parameter sets shared, redefined,
// alternating), the writers' several stsd entries read back by read_movie, the end of a
// B-frame clip (every frame presented before the last reference frame it needs), and a
// source's presented window (an MP4 edit list starting inside the media).
#include <cstdint>
#include <vector>

#include "check.h"
#include "export/clip_cutter.h"
#include "mp4/reader.h"
#include "mp4/writer.h"
#include "mp4_test_movie.h"
#include "util/error.h"

using namespace ringclip;

namespace {

// Real-looking sets: SPS id 0 (High 4.0), and PPS with the id in their first ue(v).
const std::vector<uint8_t> kSps = {0x67, 0x64, 0x00, 0x28, 0xAC, 0xD9, 0x40, 0x78};
const std::vector<uint8_t> kPps0A = {0x68, 0xEB, 0xE3, 0xCB, 0x22, 0xC0};  // id 0 ("1...")
const std::vector<uint8_t> kPps0B = {0x68, 0xEB, 0xE3, 0xCB, 0x22, 0xC8};  // id 0, other content
const std::vector<uint8_t> kPps1 = {0x68, 0x5B, 0xE3, 0xCB, 0x22, 0xC0};   // id 1 ("010...")

exporting::SourceConfig config(uint32_t id, std::vector<std::vector<uint8_t>> pps) {
  exporting::SourceConfig c;
  c.id = id;
  c.sps = {kSps};
  c.pps = std::move(pps);
  c.width = 320;
  c.height = 240;
  return c;
}

// `configs` per frame, a key frame every 10, in presentation = decode order.
exporting::SourceTrack track_with(const std::vector<uint32_t>& configs, std::vector<uint8_t>& bytes) {
  exporting::SourceTrack t;
  t.name = "road";
  t.configs = {config(1, {kPps0A}), config(2, {kPps0B}), config(3, {kPps1}), config(4, {kPps0A, kPps1})};
  bytes = {0, 0, 0, 2, 0x65, 0x88};
  for (size_t i = 0; i < configs.size(); ++i) {
    exporting::SourceSample s;
    s.dts_us = s.pts_us = int64_t(i) * 33333;
    s.random_access = i % 10 == 0 ? 1 : 0;
    s.after_gap = i == 0;
    s.config = configs[i];
    s.data = ByteSpan{bytes.data(), bytes.size()};
    t.samples.push_back(s);
  }
  return t;
}

std::vector<uint32_t> descriptions_of(const mp4::Track& t) {
  std::vector<uint32_t> d;
  for (const mp4::Sample& s : t.samples) d.push_back(s.description);
  return d;
}

}  // namespace

TEST(several_pps_of_different_ids_share_one_sample_description) {
  std::vector<uint8_t> bytes;
  // Pictures alternate between PPS 0 and PPS 1 (each configuration naming one of them).
  exporting::SourceTrack t = track_with({1, 3, 1, 3, 1, 3, 4, 4, 1, 3}, bytes);
  exporting::CutResult cut = exporting::cut_clip({t}, {0, 10 * 33333, false, false});
  const mp4::Track& m = cut.movie.tracks[0];
  CHECK(!cut.partial());
  CHECK_EQ(m.samples.size(), size_t(10));
  CHECK_EQ(m.later_descriptions.size(), size_t(0));
  CHECK_EQ(m.pps.size(), size_t(2));  // both PPS in the one avcC
  CHECK_EQ(m.sps.size(), size_t(1));
}

TEST(a_redefined_pps_starts_a_description_and_going_back_reuses_one) {
  std::vector<uint8_t> bytes;
  exporting::SourceTrack t = track_with({1, 2, 1, 2, 2, 1, 3, 2, 1, 1}, bytes);
  exporting::CutResult cut = exporting::cut_clip({t}, {0, 10 * 33333, false, false});
  const mp4::Track& m = cut.movie.tracks[0];
  CHECK(!cut.partial());
  CHECK_EQ(m.samples.size(), size_t(10));
  CHECK_EQ(m.later_descriptions.size(), size_t(1));
  // Entry 0 holds PPS 0 (content A) and, once it comes, PPS 1; entry 1 holds content B.
  CHECK(descriptions_of(m) == (std::vector<uint32_t>{0, 1, 0, 1, 1, 0, 0, 1, 0, 0}));
  CHECK_EQ(m.pps.size(), size_t(2));
  CHECK(m.later_descriptions[0].pps == std::vector<std::vector<uint8_t>>{kPps0B});

  // Both layouts carry the entries, and the reader gives every sample its entry back.
  for (bool fragmented : {false, true}) {
    mp4::VirtualFile file = fragmented ? mp4::build_fragmented(cut.movie) : mp4::build_progressive(cut.movie);
    std::vector<uint8_t> whole = test::materialise(file);
    mp4::Movie back = mp4::read_movie(ByteSpan{whole.data(), whole.size()});
    CHECK_EQ(back.tracks.size(), size_t(1));
    CHECK_EQ(back.tracks[0].later_descriptions.size(), size_t(1));
    CHECK(back.tracks[0].later_descriptions[0].pps == m.later_descriptions[0].pps);
    CHECK(back.tracks[0].pps == m.pps);
    CHECK(descriptions_of(back.tracks[0]) == descriptions_of(m));
  }
}

TEST(a_b_frame_clip_holds_every_frame_presented_before_the_reference_it_needs) {
  // Decode order I0 P3 B1 B2 P6 B4 B5 P9 B7 B8 (pts in frames); dts one frame apart.
  const int pts_frames[] = {0, 3, 1, 2, 6, 4, 5, 9, 7, 8};
  std::vector<uint8_t> bytes = {0, 0, 0, 2, 0x65, 0x88};
  exporting::SourceTrack t;
  t.name = "road";
  t.configs = {config(1, {kPps0A})};
  for (int i = 0; i < 10; ++i) {
    exporting::SourceSample s;
    s.dts_us = int64_t(i - 1) * 33333;
    s.pts_us = int64_t(pts_frames[i]) * 33333;
    s.random_access = i == 0;
    s.after_gap = i == 0;
    s.config = 1;
    s.data = ByteSpan{bytes.data(), bytes.size()};
    t.samples.push_back(s);
  }
  // To frame 5 (exclusive): B4 needs P6, so P6 is in; then B5 (presented between them) must
  // be too, or a player without edit lists shows 0 1 2 3 4 6.
  exporting::CutResult cut = exporting::cut_clip({t}, {0, 5 * 33333, false, false});
  const mp4::Track& m = cut.movie.tracks[0];
  CHECK_EQ(m.samples.size(), size_t(7));                   // I0 P3 B1 B2 P6 B4 B5
  CHECK_EQ(cut.tracks[0].end_pts_us, int64_t(5) * 33333);  // the edit list still ends at `to`
}

TEST(a_source_presented_window_bounds_what_a_clip_presents) {
  std::vector<uint8_t> bytes;
  exporting::SourceTrack t = track_with({1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, bytes);
  t.presented_from_us = 13 * 33333;  // an edit list starting at frame 13 (key frame at 10)
  // From frame 14: a keyframe clip decodes from 10 but presents from 13, where the source does.
  exporting::CutResult cut = exporting::cut_clip({t}, {14 * 33333, 16 * 33333, false, false});
  CHECK(!cut.partial());
  CHECK_EQ(cut.tracks[0].first_pts_us, int64_t(13) * 33333);
  CHECK_EQ(cut.movie.tracks[0].samples.size(), size_t(6));
  CHECK_EQ(cut.movie.tracks[0].edits.size(), size_t(1));
  const int64_t hidden = cut.movie.tracks[0].edits[0].media_time;  // frames 10..12: 99,999 µs in 90 kHz ticks
  CHECK(hidden >= 8999 && hidden <= 9000);
  // Before the window is footage the source does not have: refused, or partial on request.
  bool refused = false;
  try {
    exporting::cut_clip({t}, {0, 16 * 33333, false, false});
  } catch (const Error& e) {
    refused = e.code() == ErrorCode::Range;
  }
  CHECK(refused);
  exporting::CutResult partial = exporting::cut_clip({t}, {0, 16 * 33333, false, true});
  CHECK(partial.partial());
  CHECK_EQ(partial.tracks[0].first_pts_us, int64_t(13) * 33333);
}
