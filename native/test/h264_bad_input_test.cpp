// Hostile input: random bytes, truncated and corrupted streams. Everything must end in
// Error(InvalidData) or counted rejections, never a crash (run under ASan/UBSan too).
#include "check.h"
#include "h264/sei.h"
#include "h264_support.h"
#include "util/error.h"

using namespace ringclip;
using namespace ringclip::test;

namespace {

// Parses one NAL unit with every parser that could see it; only ringclip::Error may escape.
void parse_everything(const std::vector<uint8_t>& nal, h264::ParameterSets& sets) {
  if (nal.empty()) return;
  auto v = view(nal);
  try {
    h264::parse_sps(v);
  } catch (const Error&) {
  }
  try {
    h264::parse_pps(v, nullptr);
  } catch (const Error&) {
  }
  try {
    sets.put_sps(v);
  } catch (const Error&) {
  }
  try {
    sets.put_pps(v);
  } catch (const Error&) {
  }
  (void)h264::find_recovery_point(v);
  if (h264::has_slice_header(v.type())) {
    try {
      h264::parse_slice_header(v, sets);
    } catch (const Error&) {
    }
  }
}

}  // namespace

TEST(h264_random_bytes_never_crash) {
  SplitMix rng{2024};
  for (int round = 0; round < 300; ++round) {
    std::vector<uint8_t> bytes(1 + rng.below(4000));
    for (auto& b : bytes) {
      uint64_t r = rng.below(8);
      b = r < 3 ? 0 : r == 3 ? 1 : uint8_t(rng.next());  // dense in start codes
    }
    StreamResult result = run_stream(bytes, [&] { return size_t(1) + rng.below(64); });
    (void)result;
    h264::ParameterSets sets;
    for (const auto& nal : split_nals(bytes)) parse_everything(nal, sets);
  }
}

TEST(h264_random_nal_payloads_after_real_headers) {
  // Valid NAL headers (SPS, PPS, SEI, slices) with random bodies reach the deep parsers.
  SplitMix rng{77};
  const uint8_t headers[] = {0x67, 0x68, 0x06, 0x65, 0x41, 0x01, 0x21};
  h264::ParameterSets sets;
  sets.put_sps(view(split_nals(read_fixture("bframes_720p30_high_gop60.h264"))[0]));
  for (int round = 0; round < 5000; ++round) {
    std::vector<uint8_t> nal{headers[rng.below(sizeof headers)]};
    size_t n = rng.below(64);
    for (size_t i = 0; i < n; ++i) nal.push_back(uint8_t(rng.next()));
    parse_everything(nal, sets);
  }
}

TEST(h264_truncated_nals_throw_typed_errors) {
  auto nals = split_nals(read_fixture("opengop_480p30_keyint90.h264"));
  h264::ParameterSets sets;
  size_t checked = 0;
  for (size_t i = 0; i < 40 && i < nals.size(); ++i) {
    const auto& nal = nals[i];
    uint8_t t = nal[0] & 0x1f;
    for (size_t cut = 1; cut < std::min<size_t>(nal.size(), 48); ++cut) {
      std::vector<uint8_t> part(nal.begin(), nal.begin() + long(cut));
      try {
        if (t == h264::kNalSps) h264::parse_sps(view(part));
        if (t == h264::kNalPps) h264::parse_pps(view(part), nullptr);
        if (t == h264::kNalSlice || t == h264::kNalIdr) h264::parse_slice_header(view(part), sets);
        if (t == h264::kNalSei) (void)h264::find_recovery_point(view(part));
      } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::InvalidData);
      }
      ++checked;
    }
    if (t == h264::kNalSps) sets.put_sps(view(nal));
    if (t == h264::kNalPps) sets.put_pps(view(nal));
  }
  CHECK(checked > 100);
  // An SPS cut after its fixed bytes must fail, not yield a half-parsed set.
  CHECK_THROWS(h264::parse_sps(view(std::vector<uint8_t>(nals[0].begin(), nals[0].begin() + 6))));
}

TEST(h264_corrupted_streams_are_rejected_per_unit) {
  auto bytes = read_fixture("bframes_720p30_high_gop60.h264");
  SplitMix rng{5};
  for (int round = 0; round < 6; ++round) {
    std::vector<uint8_t> damaged = bytes;
    for (int k = 0; k < 2000; ++k) damaged[rng.below(damaged.size())] ^= uint8_t(1 + rng.below(255));
    StreamResult r = run_stream(damaged, [&] { return size_t(1) + rng.below(1 << 16); });
    // Most pictures survive 2000 flipped bytes in 2.5 MB; the rest are dropped and counted.
    CHECK(r.units.size() > 150);
    CHECK(r.units.size() + r.rejected < 400);
  }
  // Dropping the first SPS: every unit until the next IDR's sets is rejected, not crashed on.
  auto nals = split_nals(bytes);
  nals.erase(nals.begin());
  StreamResult r = run_stream(join_nals(nals, 4));
  CHECK(r.rejected > 0);
  CHECK_EQ(r.units.size() + 0, size_t(300) - 60);
  CHECK(r.units.front().random_access == h264::RandomAccess::Idr);
}

TEST(h264_malformed_sei_yields_no_recovery_point) {
  CHECK(!h264::find_recovery_point(view(std::vector<uint8_t>{0x06})).has_value());
  CHECK(!h264::find_recovery_point(view(std::vector<uint8_t>{0x06, 0xFF, 0xFF})).has_value());
  CHECK(!h264::find_recovery_point(view(std::vector<uint8_t>{0x06, 0x06, 0x05, 0x80})).has_value());  // short payload
  CHECK(!h264::find_recovery_point(view(std::vector<uint8_t>{0x06, 0x05, 0x40, 0x01})).has_value());  // size past end
  std::vector<uint8_t> ok = {0x06, 0x05, 0x01, 0xAA, 0x06, 0x01, 0xC4, 0x80};  // user data, then recovery point
  auto rp = h264::find_recovery_point(view(ok));
  CHECK(rp.has_value());
  if (rp) {
    CHECK_EQ(rp->recovery_frame_cnt, 0u);
    CHECK(rp->exact_match);
    CHECK(!rp->broken_link);
  }
  CHECK(
      !h264::find_recovery_point(view(std::vector<uint8_t>{0x67, 0x06, 0x01, 0xC4, 0x80})).has_value());  // not an SEI
}
