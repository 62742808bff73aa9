// The reclaim horizon (docs/FORMAT.md): which segments a header lists as possibly written
// after its durable watermark, and in which order the writer is predicted to reclaim.
#include <algorithm>

#include "check.h"
#include "store/format.h"
#include "store/reclaim_horizon.h"

using namespace ringclip::store;

namespace {

bool has(const std::vector<uint32_t>& v, uint32_t x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// A full ring of `n` segments: segment i started i-th (seq i + 1), 10 records each.
std::vector<HorizonSegment> full_ring(uint32_t n) {
  std::vector<HorizonSegment> t(n);
  for (uint32_t i = 0; i < n; ++i) t[i] = {true, false, i + 1, 1 + 10ull * i, 11 + 10ull * i, false};
  return t;
}

}  // namespace

TEST(horizon_lookahead_is_a_sixteenth_bounded) {
  CHECK_EQ(horizon_lookahead(2), 2u);
  CHECK_EQ(horizon_lookahead(31), 2u);
  CHECK_EQ(horizon_lookahead(128), 8u);  // 1 GiB of 8 MiB segments
  CHECK_EQ(horizon_lookahead(100000), 128u);
  CHECK(horizon_lookahead(100000) + 1 < kMaxHorizon);
}

TEST(predicted_order_takes_free_segments_then_the_oldest_unprotected) {
  std::vector<HorizonSegment> t = full_ring(6);
  t[4] = HorizonSegment{};  // free
  t[0].protected_ = true;   // the oldest is protected: skipped
  auto order = predict_reclaim_order(t, {5}, 3);
  CHECK_EQ(order.size(), 3u);
  CHECK_EQ(order[0], 4u);
  CHECK_EQ(order[1], 1u);
  CHECK_EQ(order[2], 2u);
}

TEST(horizon_covers_current_starting_written_since_watermark_and_lookahead) {
  std::vector<HorizonSegment> t = full_ring(64);  // R = 4
  // Watermark 500: segment 49 holds 491..500 (record 500 at or past it), 50.. started later.
  std::vector<uint32_t> h;
  CHECK(build_horizon(t, 63, UINT32_MAX, 500, h));
  for (uint32_t i = 49; i < 64; ++i) CHECK(has(h, i));
  CHECK(!has(h, 48));
  // Then the 4 oldest (the next reclaims): 0..3, not 4.
  for (uint32_t i = 0; i < 4; ++i) CHECK(has(h, i));
  CHECK(!has(h, 4));
}

TEST(horizon_after_a_recent_flush_is_small) {
  std::vector<HorizonSegment> t = full_ring(64);
  std::vector<uint32_t> h;
  CHECK(build_horizon(t, 63, UINT32_MAX, 641, h));  // everything durable
  CHECK_EQ(h.size(), 5u);                           // current + R
  CHECK(has(h, 63));
  // A segment about to be started is listed even when the prediction would not pick it
  // (the writer skipped pinned segments), and the lookahead continues past it.
  CHECK(build_horizon(t, 63, 10, 641, h));
  CHECK(has(h, 10));
  CHECK_EQ(h.size(), 6u);
}

TEST(horizon_keeps_segments_with_damaged_records) {
  std::vector<HorizonSegment> t = full_ring(64);
  t[30].has_holes = true;
  std::vector<uint32_t> h;
  CHECK(build_horizon(t, 63, UINT32_MAX, 641, h));
  CHECK(has(h, 30));
}

TEST(horizon_too_long_to_list_means_every_segment) {
  std::vector<HorizonSegment> t = full_ring(1000);
  std::vector<uint32_t> h;
  CHECK(!build_horizon(t, 999, UINT32_MAX, 1, h));  // never flushed: all written since
  CHECK(h.empty());
}

TEST(header_round_trips_watermark_and_horizon) {
  Header hd;
  hd.generation = 3;
  hd.segment_size = kMinSegmentSize;
  hd.segment_count = 8;
  hd.file_size = kDataOffset + 8ull * kMinSegmentSize;
  hd.streams = {"road"};
  hd.durable_record_seq = 12345;
  hd.horizon = {7, 0, 1};
  std::vector<uint8_t> slot(kHeaderSlotSize);
  encode_header(hd, slot.data());
  Header back;
  CHECK(decode_header(slot.data(), back, nullptr) == SlotProblem::None);
  CHECK_EQ(back.durable_record_seq, 12345u);
  CHECK(back.horizon == hd.horizon);
  CHECK(!back.horizon_all);
  hd.horizon_all = true;
  encode_header(hd, slot.data());
  CHECK(decode_header(slot.data(), back, nullptr) == SlotProblem::None);
  CHECK(back.horizon_all);
}

TEST(record_header_crc_covers_the_fields_not_the_payload) {
  std::vector<uint8_t> rec(kRecordHeaderSize + 16, 0);
  RecordHeader rh;
  rh.seq = 9;
  rh.payload_size = 16;
  encode_record_header(rh, rec.data());
  seal_record(rec.data());
  CHECK(record_header_crc_ok(rec.data()));
  CHECK(record_crc_ok(rec.data(), 16));
  rec[kRecordHeaderSize + 3] ^= 1;  // payload bit rot: only the record CRC sees it
  CHECK(record_header_crc_ok(rec.data()));
  CHECK(!record_crc_ok(rec.data(), 16));
  rec[20] ^= 1;  // a header field
  CHECK(!record_header_crc_ok(rec.data()));
}

TEST(a_sealed_segment_stays_listed_until_a_watermark_passes_its_block) {
  // Sealed after its last record (seq 60): a flush that took watermark 61 may have begun
  // before the block was written, so only a later watermark lets it go.
  std::vector<HorizonSegment> t = full_ring(64);
  t[5].sealed = true;
  std::vector<uint32_t> h;
  CHECK(build_horizon(t, 63, UINT32_MAX, 61, h));
  CHECK(has(h, 5));
  CHECK(build_horizon(t, 63, UINT32_MAX, 62, h));
  CHECK(!has(h, 5));
}

TEST(a_closed_horizon_lists_only_damaged_segments) {
  std::vector<HorizonSegment> t = full_ring(64);
  t[9].has_holes = true;
  std::vector<uint32_t> h;
  CHECK(build_closed_horizon(t, h));
  CHECK_EQ(h.size(), 1u);
  CHECK_EQ(h[0], 9u);
}
