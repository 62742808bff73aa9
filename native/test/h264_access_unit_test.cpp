// Access units of the fixtures: counts against test/fixtures/README.md, independence from
// chunking and start code length, and the whole-unit write path.
#include <map>

#include "check.h"
#include "h264_support.h"
#include "util/error.h"

using namespace ringclip;
using namespace ringclip::test;
using h264::RandomAccess;

namespace {

struct FixtureFacts {
  const char* name;
  size_t units;
  size_t idr;
  size_t recovery;
};

// From test/fixtures/README.md.
const FixtureFacts kFixtures[] = {
    {"road_1080p30_high_gop30.h264", 300, 10, 0},  {"cabin_720p30_main_gop30.h264", 300, 10, 0},
    {"bframes_720p30_high_gop60.h264", 300, 5, 0}, {"slices4_aud_720p25_gop50.h264", 250, 5, 0},
    {"opengop_480p30_keyint90.h264", 300, 1, 3},
};

size_t count(const StreamResult& r, RandomAccess kind) {
  size_t n = 0;
  for (const auto& u : r.units) n += u.random_access == kind;
  return n;
}

}  // namespace

TEST(h264_fixture_access_unit_counts) {
  for (const auto& f : kFixtures) {
    StreamResult r = run_stream(read_fixture(f.name));
    CHECK_EQ(r.units.size(), f.units);
    CHECK_EQ(count(r, RandomAccess::Idr), f.idr);
    CHECK_EQ(count(r, RandomAccess::Recovery), f.recovery);
    CHECK_EQ(r.rejected, uint64_t(0));
    CHECK_EQ(r.skipped, uint64_t(0));
    if (r.units.empty()) continue;
    CHECK(r.units[0].random_access == RandomAccess::Idr);
    CHECK(r.units[0].parameter_sets_changed);  // the first sets are news
    for (size_t i = 1; i < r.units.size(); ++i) {
      CHECK(!r.units[i].parameter_sets_changed);  // x264 repeats identical SPS/PPS
      CHECK_EQ(r.units[i].poc_reset, r.units[i].random_access == RandomAccess::Idr);
    }
  }
}

TEST(h264_fixture_gop_structure) {
  StreamResult road = run_stream(read_fixture("road_1080p30_high_gop30.h264"));
  for (size_t i = 0; i < road.units.size(); ++i) {
    CHECK_EQ(road.units[i].random_access == RandomAccess::Idr, i % 30 == 0);
    CHECK_EQ(road.units[i].slice_count, 1u);
  }
  StreamResult slices = run_stream(read_fixture("slices4_aud_720p25_gop50.h264"));
  for (size_t i = 0; i < slices.units.size(); ++i) {
    CHECK_EQ(slices.units[i].slice_count, 4u);
    CHECK_EQ(int(slices.units[i].first_nal_type), int(h264::kNalAud));
    CHECK_EQ(slices.units[i].random_access == RandomAccess::Idr, i % 50 == 0);
  }
  StreamResult open = run_stream(read_fixture("opengop_480p30_keyint90.h264"));
  size_t i_pictures = 0;
  for (const auto& u : open.units) {
    if (u.random_access == RandomAccess::Recovery) {
      CHECK_EQ(int(u.primary_slice_type), int(h264::kSliceI));
      CHECK_EQ(u.recovery_frame_cnt, 0u);
      CHECK(!u.poc_reset);
    }
    i_pictures += u.primary_slice_type == h264::kSliceI;
  }
  CHECK_EQ(i_pictures, size_t(4));  // ffprobe: 4 I frames, 1 of them IDR
}

TEST(h264_units_do_not_depend_on_chunking) {
  for (const auto& f : kFixtures) {
    auto bytes = read_fixture(f.name);
    StreamResult whole = run_stream(bytes);
    for (uint64_t seed : {1u, 2u, 3u}) {
      SplitMix rng{seed};
      StreamResult chunked = run_stream(bytes, [&] { return size_t(1) + rng.below(size_t(1) << rng.below(21)); });
      CHECK(chunked.units == whole.units);
    }
  }
  // Byte by byte on one stream (slow path everywhere).
  auto bytes = read_fixture("slices4_aud_720p25_gop50.h264");
  CHECK(run_stream(bytes, [] { return size_t(1); }).units == run_stream(bytes).units);
}

TEST(h264_units_do_not_depend_on_start_code_length) {
  for (const auto& f : kFixtures) {
    auto nals = split_nals(read_fixture(f.name));
    StreamResult three = run_stream(join_nals(nals, 3));
    StreamResult four = run_stream(join_nals(nals, 4));
    CHECK_EQ(three.units.size(), f.units);
    CHECK(three.units == four.units);
  }
}

TEST(h264_whole_unit_write_path_matches_assembler) {
  // store.write() receives one access unit as an Annex B buffer and analyzes it directly.
  auto bytes = read_fixture("opengop_480p30_keyint90.h264");
  std::vector<std::vector<uint8_t>> unit_buffers;
  h264::AccessUnitAssembler assembler([&](const h264::AccessUnit& u) {
    std::vector<std::vector<uint8_t>> nals;
    for (const auto& n : u.nals) nals.emplace_back(n.data, n.data + n.size);
    unit_buffers.push_back(join_nals(nals, 4));
  });
  h264::for_each_nal(bytes.data(), bytes.size(), [&](const h264::NalView& n) { assembler.push(n); });
  assembler.finish();
  StreamResult reference = run_stream(bytes);
  CHECK_EQ(unit_buffers.size(), reference.units.size());

  h264::ParameterSets sets;
  h264::PocState poc;
  std::vector<h264::NalView> views;
  for (size_t i = 0; i < unit_buffers.size() && i < reference.units.size(); ++i) {
    views.clear();
    const auto& buf = unit_buffers[i];
    CHECK_EQ(h264::for_each_nal(buf.data(), buf.size(), [&](const h264::NalView& n) { views.push_back(n); }),
             size_t(0));
    h264::AccessUnit unit = h264::analyze_access_unit(views, sets, poc);
    CHECK(summarize(unit) == reference.units[i]);
  }
}

TEST(h264_analyze_leaves_state_unchanged_on_failure) {
  auto nals = split_nals(read_fixture("bframes_720p30_high_gop60.h264"));
  // nals: SPS, PPS, SEI, IDR slice, ...
  CHECK_EQ(int(nals[0][0] & 0x1f), int(h264::kNalSps));
  CHECK_EQ(int(nals[3][0] & 0x1f), int(h264::kNalIdr));
  h264::ParameterSets sets;
  h264::PocState poc;

  // SPS + PPS but no slice: throws, stores nothing.
  CHECK_THROWS(h264::analyze_access_unit({view(nals[0]), view(nals[1])}, sets, poc));
  CHECK(sets.sps(0) == nullptr);
  CHECK(sets.pps(0) == nullptr);

  // SPS + PPS + a slice cut inside its header: throws, stores nothing.
  std::vector<uint8_t> cut(nals[3].begin(), nals[3].begin() + 2);
  CHECK_THROWS(h264::analyze_access_unit({view(nals[0]), view(nals[1]), view(cut)}, sets, poc));
  CHECK(sets.sps(0) == nullptr);

  // A slice without its sets.
  bool typed = false;
  try {
    h264::analyze_access_unit({view(nals[3])}, sets, poc);
  } catch (const Error& e) {
    typed = e.code() == ErrorCode::InvalidData && std::string(e.what()).find("PPS") != std::string::npos;
  }
  CHECK(typed);

  // The whole unit works and reports the change once.
  h264::AccessUnit first =
      h264::analyze_access_unit({view(nals[0]), view(nals[1]), view(nals[2]), view(nals[3])}, sets, poc);
  CHECK(first.random_access == RandomAccess::Idr);
  CHECK(first.parameter_sets_changed);
  CHECK(sets.sps(0) != nullptr && sets.pps(0) != nullptr);
  h264::AccessUnit again = h264::analyze_access_unit({view(nals[0]), view(nals[1]), view(nals[3])}, sets, poc);
  CHECK(!again.parameter_sets_changed);
  CHECK_EQ(again.slice_count, 1u);
}

TEST(h264_assembler_splits_on_end_of_sequence_and_keeps_it) {
  auto nals = split_nals(read_fixture("road_1080p30_high_gop30.h264"));
  // Insert end of sequence after the 30th picture (before the second IDR's SPS).
  std::vector<std::vector<uint8_t>> with_eos;
  size_t slices = 0;
  for (const auto& n : nals) {
    with_eos.push_back(n);
    uint8_t t = n[0] & 0x1f;
    if (t == h264::kNalSlice || t == h264::kNalIdr) {
      if (++slices == 30) with_eos.push_back({0x0A});
    }
  }
  StreamResult r = run_stream(join_nals(with_eos, 4));
  CHECK_EQ(r.units.size(), size_t(300));
  CHECK_EQ(r.units[29].nal_count, size_t(2));  // the slice and the end of sequence
  CHECK_EQ(r.units[30].first_nal_type, uint8_t(h264::kNalSps));
}
