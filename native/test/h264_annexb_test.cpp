// Annex B splitting: for_each_nal on whole buffers and AnnexBScanner on chunked input.
#include "check.h"
#include "h264_support.h"

using namespace ringclip;
using namespace ringclip::test;

namespace {

std::vector<std::vector<uint8_t>> scan_whole(const std::vector<uint8_t>& bytes, size_t* skipped = nullptr) {
  std::vector<std::vector<uint8_t>> nals;
  size_t s = h264::for_each_nal(bytes.data(), bytes.size(),
                                [&](const h264::NalView& n) { nals.emplace_back(n.data, n.data + n.size); });
  if (skipped) *skipped = s;
  return nals;
}

template <typename NextChunk>
std::vector<std::vector<uint8_t>> scan_chunked(const std::vector<uint8_t>& bytes, NextChunk next,
                                               uint64_t* skipped = nullptr) {
  std::vector<std::vector<uint8_t>> nals;
  h264::AnnexBScanner scanner;
  auto on_nal = [&](const h264::NalView& n) { nals.emplace_back(n.data, n.data + n.size); };
  for (size_t pos = 0; pos < bytes.size();) {
    size_t n = std::min<size_t>(next(), bytes.size() - pos);
    scanner.feed(bytes.data() + pos, n, on_nal);
    pos += n;
  }
  scanner.finish(on_nal);
  if (skipped) *skipped = scanner.skipped_bytes();
  return nals;
}

using Nals = std::vector<std::vector<uint8_t>>;

}  // namespace

TEST(h264_annexb_three_and_four_byte_start_codes) {
  std::vector<uint8_t> bytes = {0, 0, 0, 1, 0x67, 0xAA, 0, 0, 1, 0x68, 0xBB, 0xCC, 0, 0, 0, 1, 0x65, 0x01};
  Nals expected = {{0x67, 0xAA}, {0x68, 0xBB, 0xCC}, {0x65, 0x01}};
  size_t skipped = 99;
  CHECK(scan_whole(bytes, &skipped) == expected);
  CHECK_EQ(skipped, size_t(0));
  CHECK(scan_chunked(bytes, [] { return 1; }) == expected);
}

TEST(h264_annexb_strips_trailing_zero_bytes_and_skips_empty_nals) {
  // trailing_zero_8bits after a NAL, two start codes in a row, zeros at the very end.
  std::vector<uint8_t> bytes = {0, 0, 1, 0x09, 0xF0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0x41, 0x9A, 0x03, 0, 0, 0};
  Nals expected = {{0x09, 0xF0}, {0x41, 0x9A, 0x03}};
  CHECK(scan_whole(bytes) == expected);
  for (size_t chunk = 1; chunk <= bytes.size(); ++chunk) {
    CHECK(scan_chunked(bytes, [&] { return chunk; }) == expected);
  }
}

TEST(h264_annexb_keeps_escaped_zeros_inside_nals) {
  // 00 00 03 is emulation prevention, 00 00 02 cannot start a NAL: both stay in the payload.
  std::vector<uint8_t> bytes = {0, 0, 1, 0x65, 0, 0, 3, 0, 0, 0, 3, 1, 0, 0x80, 0, 0, 2, 0x11};
  Nals expected = {{0x65, 0, 0, 3, 0, 0, 0, 3, 1, 0, 0x80, 0, 0, 2, 0x11}};
  CHECK(scan_whole(bytes) == expected);
  for (size_t chunk = 1; chunk <= 5; ++chunk) CHECK(scan_chunked(bytes, [&] { return chunk; }) == expected);
}

TEST(h264_annexb_counts_garbage_before_first_start_code) {
  std::vector<uint8_t> bytes = {0xDE, 0xAD, 0, 0xBE, 0, 0, 0, 0, 1, 0x67, 0x42};
  size_t skipped = 0;
  Nals nals = scan_whole(bytes, &skipped);
  CHECK_EQ(nals.size(), size_t(1));
  CHECK_EQ(skipped, size_t(4));  // DE AD 00 BE; the zeros before 00 00 01 are leading zeros
  for (size_t chunk = 1; chunk <= bytes.size(); ++chunk) {
    uint64_t chunked_skipped = 0;
    CHECK(scan_chunked(
              bytes, [&] { return chunk; }, &chunked_skipped) == nals);
    CHECK_EQ(chunked_skipped, uint64_t(4));
  }
  // Leading zero bytes only: nothing skipped.
  std::vector<uint8_t> leading = {0, 0, 0, 0, 0, 0, 1, 0x67};
  CHECK_EQ(h264::for_each_nal(leading.data(), leading.size(), [](const h264::NalView&) {}), size_t(0));
  uint64_t s = 1;
  scan_chunked(
      leading, [] { return 1; }, &s);
  CHECK_EQ(s, uint64_t(0));
  // No start code at all: everything is skipped, no NAL reported.
  std::vector<uint8_t> none = {1, 2, 3, 0, 0, 2, 0, 0};
  size_t none_skipped = 0;
  CHECK(scan_whole(none, &none_skipped).empty());
  CHECK_EQ(none_skipped, none.size());
  uint64_t none_chunked = 0;
  CHECK(scan_chunked(
            none, [] { return 3; }, &none_chunked)
            .empty());
  CHECK_EQ(none_chunked, uint64_t(none.size()));
}

TEST(h264_annexb_start_code_split_at_every_position) {
  // Every way of cutting a 4-byte start code between two feeds.
  std::vector<uint8_t> bytes = {0, 0, 0, 1, 0x67, 0x11, 0x22, 0, 0, 0, 1, 0x68, 0x33};
  Nals expected = {{0x67, 0x11, 0x22}, {0x68, 0x33}};
  for (size_t cut = 1; cut < bytes.size(); ++cut) {
    for (size_t cut2 = cut; cut2 < bytes.size(); ++cut2) {
      std::vector<size_t> sizes = {cut, cut2 - cut, bytes.size() - cut2};
      size_t i = 0;
      auto next = [&] {
        size_t s = sizes[std::min(i++, sizes.size() - 1)];
        return s ? s : 1;
      };
      CHECK(scan_chunked(bytes, next) == expected);
    }
  }
}

TEST(h264_annexb_scanner_matches_whole_buffer_on_fixtures) {
  for (const char* name : {"road_1080p30_high_gop30.h264", "bframes_720p30_high_gop60.h264",
                           "slices4_aud_720p25_gop50.h264", "opengop_480p30_keyint90.h264"}) {
    auto bytes = read_fixture(name);
    Nals whole = scan_whole(bytes);
    CHECK(whole.size() > 300);
    SplitMix rng{42};
    // Chunk sizes from 1 byte to 1 MiB on a log scale, so small and large both occur often.
    auto next = [&] { return size_t(1) + rng.below(size_t(1) << rng.below(21)); };
    CHECK(scan_chunked(bytes, next) == whole);
  }
}

TEST(h264_annexb_scanner_is_reusable_after_finish) {
  std::vector<uint8_t> a = {0, 0, 1, 0x67, 0x01, 0, 0};
  std::vector<uint8_t> b = {0, 1, 0x68, 0x02};  // would complete a start code if state leaked
  h264::AnnexBScanner scanner;
  Nals seen;
  auto on_nal = [&](const h264::NalView& n) { seen.emplace_back(n.data, n.data + n.size); };
  scanner.feed(a.data(), a.size(), on_nal);
  scanner.finish(on_nal);
  scanner.feed(b.data(), b.size(), on_nal);
  scanner.finish(on_nal);
  CHECK(seen == (Nals{{0x67, 0x01}}));
  CHECK_EQ(scanner.skipped_bytes(), uint64_t(4));  // b had no start code
}

// The vector search compares 16 or 32 positions at once and hands the last few bytes to a
// scalar search: a start code at any offset around those block edges, next to zero runs
// and lone zeros, must be found exactly where a byte-by-byte reference finds it.
TEST(h264_annexb_start_codes_at_every_offset_match_a_bytewise_reference) {
  SplitMix rng{2024};
  auto reference = [](const std::vector<uint8_t>& b) {
    Nals out;
    size_t start = SIZE_MAX;
    auto close = [&](size_t end) {
      if (start == SIZE_MAX) return;
      while (end > start && b[end - 1] == 0) --end;
      if (end > start) out.emplace_back(b.begin() + long(start), b.begin() + long(end));
    };
    for (size_t i = 0; i + 2 < b.size(); ++i) {
      if (b[i] == 0 && b[i + 1] == 0 && b[i + 2] == 1) {
        close(i);
        start = i + 3;
        i += 2;
      }
    }
    close(b.size());
    return out;
  };
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> b(1 + rng.below(200));
    for (auto& x : b) x = rng.below(4) == 0 ? 0 : uint8_t(1 + rng.below(255));
    for (int k = 0, codes = int(rng.below(4)); k < codes; ++k) {
      size_t at = rng.below(b.size());
      const uint8_t sc[] = {0, 0, 1};
      for (size_t j = 0; j < 3 && at + j < b.size(); ++j) b[at + j] = sc[j];
    }
    CHECK(scan_whole(b) == reference(b));
    CHECK(scan_chunked(b, [&] { return 1 + rng.below(40); }) == reference(b));
  }
}
