// StoreClip reads a stream only from the segment of the last key frame at or before
// `from`: every cut (clean, partial, failed) must be the one made from all retained frames.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "check.h"
#include "store/index_access.h"
#include "store/segment_store.h"
#include "store/store_clip.h"
#include "store/stream_ingest.h"
#include "util/error.h"

using namespace ringclip;
using namespace ringclip::store;

namespace {

constexpr int64_t kT0 = 1767225600000000;  // 2026-01-01

// Everything a cut decides, as text: samples (timing, sync, which bytes), edits, reports,
// pinned segments; or the error. `skipped` counts cuts made from the needed segments only.
std::string outcome(const std::shared_ptr<SegmentStore>& store, const ClipRequest& request, size_t& skipped) {
  std::ostringstream out;
  try {
    StoreClip clip(store, request);
    skipped += clip.skipped_segments() ? 1 : 0;
    const exporting::CutResult& cut = clip.cut();
    out << "start " << cut.start_us << " end " << cut.end_us << "\n";
    std::vector<uint32_t> origins = cut.origins;
    std::sort(origins.begin(), origins.end());
    for (uint32_t o : origins) out << "origin " << o << "\n";
    for (const auto& r : cut.tracks)
      out << r.name << " " << r.first_pts_us << " " << r.end_pts_us << " " << r.frames << " " << r.dropped_leading
          << " " << r.partial << " " << r.note << "\n";
    for (const mp4::Track& t : cut.movie.tracks) {
      out << "track " << t.track_id << " " << t.name << " " << t.width << "x" << t.height << " sps " << t.sps.size()
          << "\n";
      for (const mp4::Edit& e : t.edits) out << "edit " << e.segment_duration << " " << e.media_time << "\n";
      for (const mp4::Sample& s : t.samples)
        out << s.dts << " " << s.pts << " " << s.duration << " " << s.sync << " "
            << static_cast<const void*>(s.data.data) << " " << s.data.size << "\n";
    }
  } catch (const Error& e) {
    out << "error " << error_code_name(e.code()) << ": " << e.what();
  }
  return out.str();
}

}  // namespace

TEST(store_clip_skipping_segments_cuts_as_reading_all) {
  char dir[] = "/tmp/ringclip_clip_skip_XXXXXX";
  CHECK(mkdtemp(dir) != nullptr);
  std::string path = std::string(dir) + "/skip.ring";
  SegmentStore::CreateOptions options;
  options.capacity = 24u << 20;  // ~40 s of both fixtures: the ring wraps
  options.segment_size = 1u << 20;
  options.streams = {"road", "cabin"};
  std::shared_ptr<SegmentStore> store = SegmentStore::create(path, options);
  std::vector<uint8_t> road = test::read_fixture("road_1080p30_high_gop30.h264");
  std::vector<uint8_t> cabin = test::read_fixture("cabin_720p30_main_gop30.h264");
  {
    StreamIngest r(*store, 0, 30, kT0), c(*store, 1, 30, kT0);
    for (int i = 0; i < 7; ++i) {  // 70 s each, in 10 s turns
      r.feed(road.data(), road.size());
      c.feed(cabin.data(), cabin.size());
    }
    r.finish();
    c.finish();
  }
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (uint32_t seg : store->live_segments_in_order())
    for (const auto& frames : IndexAccess::segments(*store)[seg].frames)
      for (const IndexEntry& e : frames) {
        lo = std::min(lo, e.pts_us);
        hi = std::max(hi, e.pts_us);
      }
  CHECK(lo > kT0);  // the start was overwritten
  const std::vector<std::vector<uint32_t>> stream_sets = {{0, 1}, {1}, {0}};
  size_t cuts = 0, clean = 0, skipped = 0, skipped_reference = 0;
  for (int64_t from = lo - 4000000; from < hi + 1000000; from += 1234567) {
    for (int64_t length : {400000, 5000000, 20000000}) {
      for (int variant = 0; variant < 4; ++variant) {
        for (const auto& streams : stream_sets) {
          ClipRequest request;
          request.from_us = from;
          request.to_us = from + length;
          request.streams = streams;
          request.exact = variant & 1;
          request.allow_partial = variant & 2;
          std::string skipping = outcome(store, request, skipped);
          request.read_all_segments = true;
          std::string reference = outcome(store, request, skipped_reference);
          if (skipping != reference) {
            CHECK_EQ(skipping.substr(0, 300), reference.substr(0, 300));
            CHECK(!"cuts differ");
            return;
          }
          ++cuts;
          clean += skipping.rfind("error", 0) != 0;
        }
      }
    }
  }
  CHECK(cuts > 500);
  CHECK(clean > cuts / 2);
  CHECK(skipped > clean / 2);  // most clean cuts start well after the oldest segment
  CHECK_EQ(skipped_reference, size_t(0));
  store->close();
  std::remove(path.c_str());
  rmdir(dir);
}
