// PresentationOrder: presentation indexes from POC, released in decode order.
#include <algorithm>
#include <map>

#include "check.h"
#include "h264_support.h"

using namespace ringclip;
using namespace ringclip::test;

namespace {

struct Frame {
  int32_t poc;
  bool reset;
};

// Releases for `frames`, checked for the invariants every stream must keep.
std::vector<h264::PresentationOrder::Released> order(const std::vector<Frame>& frames, uint32_t depth) {
  std::vector<h264::PresentationOrder::Released> out;
  h264::PresentationOrder po(depth, [&](const h264::PresentationOrder::Released& r) { out.push_back(r); });
  for (size_t i = 0; i < frames.size(); ++i) po.push(1000 + i, frames[i].poc, frames[i].reset);
  po.finish();
  CHECK_EQ(out.size(), frames.size());
  std::vector<uint64_t> presentation;
  for (size_t i = 0; i < out.size(); ++i) {
    CHECK_EQ(out[i].decode_index, uint64_t(i));  // decode order out
    CHECK_EQ(out[i].token, uint64_t(1000 + i));
    CHECK(out[i].presentation_index >= out[i].decode_index);
    presentation.push_back(out[i].presentation_index);
  }
  // A permutation of depth .. depth + n - 1: unique and evenly spaced once sorted.
  std::sort(presentation.begin(), presentation.end());
  for (size_t i = 0; i < presentation.size(); ++i) CHECK_EQ(presentation[i], uint64_t(depth + i));
  return out;
}

// Decode indexes in presentation order.
std::vector<uint64_t> shown(const std::vector<h264::PresentationOrder::Released>& released) {
  std::vector<std::pair<uint64_t, uint64_t>> by_pts;
  for (const auto& r : released) by_pts.emplace_back(r.presentation_index, r.decode_index);
  std::sort(by_pts.begin(), by_pts.end());
  std::vector<uint64_t> out;
  for (auto& p : by_pts) out.push_back(p.second);
  return out;
}

// Decode indexes sorted by (POC period, POC): the true display order.
std::vector<uint64_t> by_poc(const std::vector<Frame>& frames) {
  std::vector<std::tuple<int, int32_t, uint64_t>> keys;
  int period = -1;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].reset || i == 0) ++period;
    keys.emplace_back(period, frames[i].poc, i);
  }
  std::sort(keys.begin(), keys.end());
  std::vector<uint64_t> out;
  for (auto& k : keys) out.push_back(std::get<2>(k));
  return out;
}

std::vector<Frame> fixture_frames(const char* name, uint32_t* depth) {
  StreamResult r = run_stream(read_fixture(name));
  *depth = r.sets.sps(0)->reorder_depth();
  std::vector<Frame> frames;
  for (const auto& u : r.units) frames.push_back({u.poc, u.poc_reset});
  return frames;
}

}  // namespace

TEST(h264_presentation_order_of_bframes_fixture) {
  uint32_t depth = 0;
  std::vector<Frame> frames = fixture_frames("bframes_720p30_high_gop60.h264", &depth);
  CHECK_EQ(depth, 2u);
  CHECK_EQ(frames.size(), size_t(300));
  auto released = order(frames, depth);
  std::vector<uint64_t> display = shown(released);
  CHECK(display == by_poc(frames));
  // ffprobe -show_frames coded_picture_number, in output order (first 20 frames).
  std::vector<uint64_t> ffprobe = {0, 2, 3, 1, 5, 6, 4, 9, 8, 10, 7, 12, 13, 11, 15, 14, 17, 18, 16, 20};
  CHECK(std::equal(ffprobe.begin(), ffprobe.end(), display.begin()));
  size_t reordered = 0;
  for (const auto& r : released) reordered += r.presentation_index != r.decode_index + depth;
  CHECK(reordered > 100);  // B-frames really move
}

TEST(h264_presentation_order_of_open_gop_fixture) {
  uint32_t depth = 0;
  std::vector<Frame> frames = fixture_frames("opengop_480p30_keyint90.h264", &depth);
  auto released = order(frames, depth);
  std::vector<uint64_t> display = shown(released);
  CHECK(display == by_poc(frames));
  // ffprobe -show_frames coded_picture_number in output order around the first recovery
  // point (decode index 90, a non-IDR I picture: no POC reset there).
  std::vector<uint64_t> ffprobe_84_on = {85, 86, 84, 88, 89, 87, 90, 92, 93, 91, 95, 96, 94, 98, 99, 97};
  CHECK(std::equal(ffprobe_84_on.begin(), ffprobe_84_on.end(), display.begin() + 84));
}

TEST(h264_presentation_order_without_reordering_is_identity) {
  uint32_t depth = 9;
  std::vector<Frame> frames = fixture_frames("road_1080p30_high_gop30.h264", &depth);
  CHECK_EQ(depth, 0u);
  auto released = order(frames, depth);
  for (const auto& r : released) CHECK_EQ(r.presentation_index, r.decode_index);
}

TEST(h264_presentation_order_random_streams) {
  SplitMix rng{99};
  for (int round = 0; round < 300; ++round) {
    std::vector<Frame> frames;
    uint32_t needed = 0;  // num_reorder_frames of the generated stream (C.4.5.3 / E.2.1)
    int gops = 1 + int(rng.below(4));
    for (int g = 0; g < gops; ++g) {
      int n = 1 + int(rng.below(40));
      std::vector<int> display(static_cast<size_t>(n));  // display rank of each frame, in decode order
      for (int i = 0; i < n; ++i) display[size_t(i)] = i;
      size_t window = 1 + rng.below(6);
      for (size_t i = 1; i < display.size(); ++i) {  // the first frame of a GOP stays first
        size_t j = i + rng.below(std::min(window, display.size() - i));
        std::swap(display[i], display[j]);
      }
      for (size_t f = 0; f < display.size(); ++f) {
        uint32_t before_and_after = 0;
        for (size_t e = 0; e < f; ++e) before_and_after += display[e] > display[f];
        needed = std::max(needed, before_and_after);
      }
      int32_t base = int32_t(rng.below(100)) - 50;
      for (int i = 0; i < n; ++i) frames.push_back({base + 2 * display[size_t(i)], i == 0});
    }
    auto released = order(frames, needed);
    CHECK(shown(released) == by_poc(frames));
    // Too small a depth may show frames out of order, but the invariants (checked in order()) hold.
    if (needed > 0) order(frames, needed - 1);
    order(frames, needed + 3);
  }
}

TEST(h264_presentation_order_survives_hostile_pocs) {
  // POCs that keep decreasing: no frame can ever be shown first; memory must stay bounded
  // and every index unique.
  std::vector<Frame> frames;
  for (int i = 0; i < 3000; ++i) frames.push_back({-i, i == 0});
  std::vector<h264::PresentationOrder::Released> early;
  h264::PresentationOrder po(2, [&](const h264::PresentationOrder::Released& r) { early.push_back(r); });
  for (size_t i = 0; i < frames.size(); ++i) po.push(i, frames[i].poc, frames[i].reset);
  CHECK(!early.empty());  // released before finish(): bounded holding
  po.finish();
  order(frames, 2);
  std::vector<Frame> same(50, Frame{7, false});
  order(same, 3);
}
