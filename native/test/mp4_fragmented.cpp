// build_init_segment / append_fragment / build_fragmented, checked by parsing back.
#include "check.h"
#include "mp4/reader.h"
#include "mp4/writer.h"
#include "mp4_test_movie.h"

using namespace ringclip;
using namespace ringclip::test;

TEST(mp4_init_segment_structure) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264", "cabin_720p30_main_gop30.h264"});
  std::vector<uint8_t> init = mp4::build_init_segment(tm.movie);
  std::vector<std::string> types = top_level_types(init);
  CHECK_EQ(types.size(), size_t(3));
  CHECK_EQ(types[0], std::string("ftyp"));
  CHECK_EQ(types[1], std::string("prft"));  // the capture time, to the µs
  CHECK_EQ(types[2], std::string("moov"));
  CHECK_EQ(std::string(reinterpret_cast<const char*>(&init[8]), 4), std::string("iso6"));
  auto trex = find_boxes(init, "moov/mvex/trex");
  CHECK_EQ(trex.size(), size_t(2));
  CHECK_EQ(get_be32(&init[trex[1].offset + 12]), uint32_t(2));
  auto mehd = find_boxes(init, "moov/mvex/mehd");
  CHECK_EQ(mehd.size(), size_t(1));
  CHECK_EQ(get_be32(&init[mehd[0].offset + 12]), uint32_t(10000));  // 10 s in the movie timescale
  for (auto& stsz : find_boxes(init, "moov/trak/mdia/minf/stbl/stsz"))
    CHECK_EQ(get_be32(&init[stsz.offset + 16]), uint32_t(0));
  CHECK_EQ(find_boxes(init, "moov/trak/mdia/minf/stbl/stco").size(), size_t(2));
  CHECK_EQ(find_boxes(init, "moov/trak/mdia/minf/stbl/stsd/avc1/avcC").size(), size_t(2));

  mp4::FragmentedOptions unknown;
  unknown.known_duration = false;
  CHECK(find_boxes(mp4::build_init_segment(tm.movie, unknown), "moov/mvex/mehd").empty());

  // An init segment alone is a movie with empty tracks.
  mp4::Movie back = mp4::read_movie(as_span(init));
  CHECK_EQ(back.tracks.size(), size_t(2));
  CHECK(back.tracks[0].samples.empty());
  CHECK_EQ(back.tracks[1].name, std::string("cabin"));
}

TEST(mp4_fragmented_dual_track_roundtrip) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264", "cabin_720p30_main_gop30.h264"});
  std::vector<uint8_t> bytes = materialise(mp4::build_fragmented(tm.movie));
  mp4::Movie back = mp4::read_movie(as_span(bytes));
  CHECK_EQ(back.tracks.size(), size_t(2));
  if (back.tracks.size() != 2) return;
  check_same_samples(tm.movie.tracks[0], back.tracks[0]);
  check_same_samples(tm.movie.tracks[1], back.tracks[1]);
  CHECK_EQ(back.tracks[1].name, std::string("cabin"));
}

TEST(mp4_fragmented_one_gop_per_fragment_in_time_order) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264", "cabin_720p30_main_gop30.h264"});
  std::vector<uint8_t> bytes = materialise(mp4::build_fragmented(tm.movie));
  std::vector<std::string> types = top_level_types(bytes);
  CHECK_EQ(types.size(), size_t(5 + 2 * 20));  // ftyp, prft, moov, sidx × 2; 10 GOPs per track, moof + mdat each
  auto moofs = find_boxes(bytes, "moof");
  auto mdats = find_boxes(bytes, "mdat");
  CHECK_EQ(moofs.size(), size_t(20));
  // A sidx per track: 10 subsegments each, starting at that track's moofs (road's are the
  // even ones, cabin's the odd ones), the last running to the end of the file.
  auto sidx = find_boxes(bytes, "sidx");
  CHECK_EQ(sidx.size(), size_t(2));
  for (size_t t = 0; t < sidx.size() && moofs.size() == 20; ++t) {
    const uint8_t* p = &bytes[sidx[t].offset + 8];
    CHECK_EQ(int(p[0]), 1);                                                // version 1
    CHECK_EQ(get_be32(p + 4), uint32_t(t + 1));                            // reference_ID: the track
    CHECK_EQ(get_be32(p + 8), uint32_t(90000));                            // timescale
    CHECK_EQ(get_be16(p + 30), uint16_t(10));                              // reference_count
    size_t at = sidx[t].offset + sidx[t].size + size_t(get_be64(p + 20));  // first_offset
    for (int k = 0; k < 10; ++k) {
      const uint8_t* r = p + 32 + 12 * k;
      CHECK_EQ(at, moofs[size_t(2 * k) + t].offset);    // the track's GOP k
      CHECK_EQ(get_be32(r + 4), uint32_t(30 * 3000));   // a GOP of 30 frames
      CHECK_EQ(get_be32(r + 8), uint32_t(0x90000000));  // starts with a SAP of type 1
      at += get_be32(r) & 0x7FFFFFFF;
    }
    CHECK_EQ(at, bytes.size());
  }
  auto tfhds = find_boxes(bytes, "moof/traf/tfhd");
  auto tfdts = find_boxes(bytes, "moof/traf/tfdt");
  auto truns = find_boxes(bytes, "moof/traf/trun");
  CHECK_EQ(tfhds.size(), size_t(20));
  for (size_t i = 0; i < moofs.size() && i < tfhds.size(); ++i) {
    // Same start times: road's GOP first, then cabin's.
    CHECK_EQ(get_be32(&bytes[tfhds[i].offset + 12]), uint32_t(1 + i % 2));
    CHECK_EQ(get_be32(&bytes[tfhds[i].offset + 8]) & 0xFFFFFF, uint32_t(0x020000));
    CHECK_EQ(int(bytes[tfdts[i].offset + 8]), 1);
    CHECK_EQ(get_be64(&bytes[tfdts[i].offset + 12]), uint64_t(i / 2) * 30 * 3000);
    CHECK_EQ(get_be32(&bytes[moofs[i].offset + 20]), uint32_t(i + 1));  // mfhd sequence_number
    // data_offset (after version/flags and sample_count) lands on the mdat payload.
    int32_t data_offset = int32_t(get_be32(&bytes[truns[i].offset + 16]));
    CHECK_EQ(moofs[i].offset + size_t(data_offset), mdats[i].offset + 8);
    CHECK_EQ(get_be32(&bytes[truns[i].offset + 12]), uint32_t(30));
    // The first sample of each run is a sync sample, the second is not.
    CHECK_EQ(get_be32(&bytes[truns[i].offset + 20 + 8]), uint32_t(0x02000000));
    CHECK_EQ(get_be32(&bytes[truns[i].offset + 20 + 12 + 8]), uint32_t(0x01010000));
  }
}

TEST(mp4_fragment_with_two_trafs_points_each_at_its_samples) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264", "cabin_720p30_main_gop30.h264"});
  mp4::VirtualFile file;
  file.append_generated(mp4::build_init_segment(tm.movie));
  mp4::append_fragment(file, tm.movie, {{0, 30}, {0, 30}}, 1);
  mp4::append_fragment(file, tm.movie, {{30, 45}, {30, 30}}, 2);  // cabin left out
  std::vector<uint8_t> bytes = materialise(file);
  CHECK_EQ(find_boxes(bytes, "moof/traf").size(), size_t(3));
  mp4::Movie back = mp4::read_movie(as_span(bytes));
  CHECK_EQ(back.tracks[0].samples.size(), size_t(45));
  CHECK_EQ(back.tracks[1].samples.size(), size_t(30));
  mp4::Track road = tm.movie.tracks[0], cabin = tm.movie.tracks[1];
  road.samples.resize(45);
  cabin.samples.resize(30);
  check_same_samples(road, back.tracks[0]);
  check_same_samples(cabin, back.tracks[1]);
  CHECK_THROWS(mp4::append_fragment(file, tm.movie, {{0, 301}, {0, 0}}, 3));
  CHECK_THROWS(mp4::append_fragment(file, tm.movie, {{0, 1}}, 3));
}

TEST(mp4_fragmented_signed_composition_offsets_roundtrip) {
  TestMovie tm = fixture_movie({"cabin_720p30_main_gop30.h264"});
  auto& samples = tm.movie.tracks[0].samples;
  for (size_t i = 0; i < samples.size(); ++i) samples[i].pts = samples[i].dts + (int64_t(i % 3) - 1) * 3000;
  std::vector<uint8_t> bytes = materialise(mp4::build_fragmented(tm.movie));
  auto truns = find_boxes(bytes, "moof/traf/trun");
  CHECK_EQ(int(bytes[truns[0].offset + 8]), 1);
  CHECK_EQ(get_be32(&bytes[truns[0].offset + 8]) & 0xFFF, uint32_t(0xF01));
  mp4::Movie back = mp4::read_movie(as_span(bytes));
  check_same_samples(tm.movie.tracks[0], back.tracks[0]);
}

TEST(mp4_fragmented_clip_not_starting_on_keyframe) {
  TestMovie tm = fixture_movie({"cabin_720p30_main_gop30.h264"});
  auto& samples = tm.movie.tracks[0].samples;
  samples.erase(samples.begin(), samples.begin() + 10);  // starts mid-GOP
  for (size_t i = 0; i < samples.size(); ++i) samples[i].dts = samples[i].pts = int64_t(i) * 3000;
  std::vector<uint8_t> bytes = materialise(mp4::build_fragmented(tm.movie));
  CHECK_EQ(find_boxes(bytes, "moof").size(), size_t(10));  // leading 20 frames + 9 GOPs
  check_same_samples(tm.movie.tracks[0], mp4::read_movie(as_span(bytes)).tracks[0]);
}
