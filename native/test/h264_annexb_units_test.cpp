// describe_annexb (parseAnnexB): units tile the stream, slots are a permutation, and the
// presentation order is the streaming ingest's (run_stream: scanner → assembler → POC order).
#include <algorithm>

#include "check.h"
#include "h264/annexb_units.h"
#include "h264_support.h"

using namespace ringclip;
using namespace ringclip::test;

TEST(h264_describe_annexb_tiles_the_stream_in_both_orders) {
  std::vector<uint8_t> bytes = read_fixture("bframes_720p30_high_gop60.h264");
  h264::AnnexBDescription d = h264::describe_annexb(bytes.data(), bytes.size());
  CHECK_EQ(d.units.size(), size_t(300));
  CHECK_EQ(d.reorder_depth, 2u);
  CHECK_EQ(d.rejected, uint64_t(0));
  uint64_t at = 0, idrs = 0;
  std::vector<uint64_t> slots;
  for (size_t i = 0; i < d.units.size(); ++i) {
    const h264::DescribedUnit& u = d.units[i];
    CHECK_EQ(u.offset, at);
    CHECK_EQ(u.decode, uint64_t(i));
    CHECK(u.decode <= u.presentation + d.reorder_depth);
    at += u.size;
    idrs += u.idr;
    slots.push_back(u.presentation);
  }
  CHECK_EQ(at, uint64_t(bytes.size()));
  CHECK_EQ(idrs, uint64_t(5));  // a GOP of 60 in 300 frames
  // I P B B ...: the first P is shown after the two B pictures decoded after it
  CHECK_EQ(d.units[1].presentation, uint64_t(3));
  CHECK_EQ(d.units[2].presentation, uint64_t(1));
  std::sort(slots.begin(), slots.end());
  for (size_t i = 0; i < slots.size(); ++i) CHECK_EQ(slots[i], uint64_t(i));
}

TEST(h264_describe_annexb_counts_bad_units_and_never_throws) {
  std::vector<uint8_t> bytes = read_fixture("bframes_720p30_high_gop60.h264");
  h264::AnnexBDescription whole = h264::describe_annexb(bytes.data(), bytes.size());
  // Without the first SPS and PPS, the slices before the next IDR (which repeats them)
  // cannot be parsed: rejected, and the description starts at that IDR.
  size_t from = size_t(whole.units[1].offset);
  h264::AnnexBDescription headless = h264::describe_annexb(bytes.data() + from, bytes.size() - from);
  CHECK_EQ(headless.rejected, uint64_t(59));
  CHECK_EQ(headless.units.size(), size_t(240));
  CHECK(headless.units.front().idr);
  CHECK_EQ(headless.units.front().offset, whole.units[60].offset - from);
  CHECK_EQ(headless.units.front().presentation, uint64_t(0));
  h264::AnnexBDescription none = h264::describe_annexb(nullptr, 0);
  CHECK(none.units.empty());
  const uint8_t garbage[] = {1, 2, 3, 0, 0, 1, 0x65, 0xff};
  h264::AnnexBDescription bad = h264::describe_annexb(garbage, sizeof garbage);
  CHECK(bad.units.empty());
  CHECK_EQ(bad.skipped, uint64_t(3));
}
