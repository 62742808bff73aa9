// The boxes build_progressive chooses: order, optional tables, chunk offsets, interleave.
#include <cstring>

#include "check.h"
#include "mp4/reader.h"
#include "mp4/writer.h"
#include "mp4_test_movie.h"

using namespace ringclip;
using namespace ringclip::test;

namespace {
const char* kStbl = "moov/trak/mdia/minf/stbl/";
std::string stbl(const char* box) { return std::string(kStbl) + box; }
}  // namespace

TEST(mp4_progressive_moov_precedes_mdat) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264", "cabin_720p30_main_gop30.h264"});
  mp4::VirtualFile file = mp4::build_progressive(tm.movie);
  std::vector<uint8_t> bytes = materialise(file);
  std::vector<std::string> types = top_level_types(bytes);
  // ftyp, prft (the capture time of presentation time 0, to the µs), moov, mdat.
  CHECK_EQ(types.size(), size_t(4));
  CHECK_EQ(types[0], std::string("ftyp"));
  CHECK_EQ(types[1], std::string("prft"));
  CHECK_EQ(types[2], std::string("moov"));
  CHECK_EQ(types[3], std::string("mdat"));
  CHECK(tm.movie.creation_time_us > 0);
  mp4::Movie back = mp4::read_movie(ByteSpan{bytes.data(), bytes.size()});
  CHECK(back.reference.has_value());
  CHECK_EQ(back.reference->unix_us, tm.movie.creation_time_us);
  CHECK_EQ(back.reference->track_id, tm.movie.tracks[0].track_id);
  CHECK_EQ(std::string(reinterpret_cast<const char*>(&bytes[8]), 4), std::string("isom"));
  // Mdat size = every sample byte + its 8-byte header, nothing else.
  uint64_t payload = 0;
  for (auto& t : tm.movie.tracks)
    for (auto& s : t.samples) payload += s.data.size;
  auto mdat = find_boxes(bytes, "mdat");
  CHECK_EQ(mdat[0].size, size_t(payload + 8));
  CHECK_EQ(mdat[0].offset + mdat[0].size, bytes.size());
  CHECK_EQ(find_boxes(bytes, "moov/trak").size(), size_t(2));
  auto hdlr = find_boxes(bytes, "moov/trak/mdia/hdlr");
  CHECK_EQ(std::string(reinterpret_cast<const char*>(&bytes[hdlr[1].offset + 32])), std::string("cabin"));
  auto names = find_boxes(bytes, "moov/trak/udta/name");
  CHECK_EQ(names.size(), size_t(2));
  CHECK_EQ(std::string(reinterpret_cast<const char*>(&bytes[names[0].offset + 8]), names[0].size - 8),
           std::string("road"));
  // Both tracks enabled (flags 7).
  for (auto& tkhd : find_boxes(bytes, "moov/trak/tkhd"))
    CHECK_EQ(get_be32(&bytes[tkhd.offset + 8]) & 0xFFFFFF, uint32_t(7));
}

TEST(mp4_progressive_mdat_is_borrowed_sample_bytes) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264", "cabin_720p30_main_gop30.h264"});
  mp4::VirtualFile file = mp4::build_progressive(tm.movie);
  uint64_t borrowed = 0;
  file.read(0, file.size(), [&](ByteSpan s) {
    for (auto& store : tm.storage) {
      if (s.data >= store->data() && s.data < store->data() + store->size()) borrowed += s.size;
    }
  });
  uint64_t payload = 0;
  for (auto& t : tm.movie.tracks)
    for (auto& s : t.samples) payload += s.data.size;
  CHECK_EQ(borrowed, payload);
  // Adjacent samples of one store coalesce: about one piece per chunk, not per sample.
  CHECK(file.piece_count() < 60);
}

TEST(mp4_progressive_stss_lists_only_sync_samples) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264"});
  std::vector<uint8_t> bytes = materialise(mp4::build_progressive(tm.movie));
  auto stss = find_boxes(bytes, stbl("stss"));
  CHECK_EQ(stss.size(), size_t(1));
  CHECK_EQ(get_be32(&bytes[stss[0].offset + 12]), uint32_t(10));
  for (uint32_t i = 0; i < 10; ++i) CHECK_EQ(get_be32(&bytes[stss[0].offset + 16 + 4 * i]), 1 + 30 * i);

  for (auto& s : tm.movie.tracks[0].samples) s.sync = true;
  bytes = materialise(mp4::build_progressive(tm.movie));
  CHECK(find_boxes(bytes, stbl("stss")).empty());
  mp4::Movie back = mp4::read_movie(as_span(bytes));
  for (auto& s : back.tracks[0].samples) CHECK(s.sync);
}

TEST(mp4_progressive_ctts_only_when_needed_and_signed_only_when_negative) {
  TestMovie tm = fixture_movie({"cabin_720p30_main_gop30.h264"});
  std::vector<uint8_t> bytes = materialise(mp4::build_progressive(tm.movie));
  CHECK(find_boxes(bytes, stbl("ctts")).empty());
  auto stts = find_boxes(bytes, stbl("stts"));
  CHECK_EQ(get_be32(&bytes[stts[0].offset + 12]), uint32_t(1));  // one run: 300 x 3000
  CHECK_EQ(get_be32(&bytes[stts[0].offset + 16]), uint32_t(300));
  CHECK_EQ(get_be32(&bytes[stts[0].offset + 20]), uint32_t(3000));

  auto& samples = tm.movie.tracks[0].samples;
  for (size_t i = 0; i < samples.size(); ++i) samples[i].pts = samples[i].dts + (i % 2 ? 6000 : 0);
  bytes = materialise(mp4::build_progressive(tm.movie));
  auto ctts = find_boxes(bytes, stbl("ctts"));
  CHECK_EQ(ctts.size(), size_t(1));
  CHECK_EQ(int(bytes[ctts[0].offset + 8]), 0);
  CHECK_EQ(get_be32(&bytes[ctts[0].offset + 12]), uint32_t(300));  // alternating runs of 1

  samples[7].pts = samples[7].dts - 3000;
  bytes = materialise(mp4::build_progressive(tm.movie));
  ctts = find_boxes(bytes, stbl("ctts"));
  CHECK_EQ(int(bytes[ctts[0].offset + 8]), 1);
  mp4::Movie back = mp4::read_movie(as_span(bytes));
  CHECK_EQ(back.tracks[0].samples[7].pts, samples[7].dts - 3000);
  check_same_samples(tm.movie.tracks[0], back.tracks[0]);
}

TEST(mp4_progressive_force_co64_roundtrip) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264", "cabin_720p30_main_gop30.h264"});
  mp4::ProgressiveOptions options;
  options.force_co64 = true;
  std::vector<uint8_t> bytes = materialise(mp4::build_progressive(tm.movie, options));
  CHECK(find_boxes(bytes, stbl("stco")).empty());
  CHECK_EQ(find_boxes(bytes, stbl("co64")).size(), size_t(2));
  mp4::Movie back = mp4::read_movie(as_span(bytes));
  check_same_samples(tm.movie.tracks[0], back.tracks[0]);
  check_same_samples(tm.movie.tracks[1], back.tracks[1]);
}

TEST(mp4_progressive_chunks_interleave_tracks_by_time) {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264", "cabin_720p30_main_gop30.h264"});
  std::vector<uint8_t> bytes = materialise(mp4::build_progressive(tm.movie));
  auto stco = find_boxes(bytes, stbl("stco"));
  auto stsc = find_boxes(bytes, stbl("stsc"));
  CHECK_EQ(stco.size(), size_t(2));
  std::vector<uint64_t> offsets[2];
  for (int t = 0; t < 2; ++t) {
    uint32_t n = get_be32(&bytes[stco[t].offset + 12]);
    for (uint32_t i = 0; i < n; ++i) offsets[t].push_back(get_be32(&bytes[stco[t].offset + 16 + 4 * i]));
    // Half-second chunks: 15 frames each, 20 chunks over 10 s; stsc needs one entry.
    CHECK_EQ(n, uint32_t(20));
    CHECK_EQ(get_be32(&bytes[stsc[t].offset + 12]), uint32_t(1));
    CHECK_EQ(get_be32(&bytes[stsc[t].offset + 20]), uint32_t(15));
  }
  // Chunk k of road, then chunk k of cabin, then chunk k+1 of road...
  for (size_t k = 0; k + 1 < offsets[0].size(); ++k) {
    CHECK(offsets[0][k] < offsets[1][k]);
    CHECK(offsets[1][k] < offsets[0][k + 1]);
  }
  auto mdat = find_boxes(bytes, "mdat");
  CHECK_EQ(offsets[0][0], uint64_t(mdat[0].offset + 8));
}

TEST(mp4_progressive_edit_shifts_interleave) {
  // cabin starts 2 s late on the movie timeline: its first chunk belongs right after
  // road's 2.0 s chunk (the 5th; on equal times the first track goes first).
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264", "cabin_720p30_main_gop30.h264"});
  tm.movie.tracks[1].edits = {{2000, -1}, {10000, 0}};
  std::vector<uint8_t> bytes = materialise(mp4::build_progressive(tm.movie));
  auto stco = find_boxes(bytes, stbl("stco"));
  uint32_t cabin_first = get_be32(&bytes[stco[1].offset + 16]);
  uint32_t road_fifth = get_be32(&bytes[stco[0].offset + 16 + 4 * 4]);
  uint32_t road_sixth = get_be32(&bytes[stco[0].offset + 16 + 4 * 5]);
  CHECK(road_fifth < cabin_first);
  CHECK(cabin_first < road_sixth);
}

TEST(mp4_progressive_beyond_4gib_switches_to_co64_and_largesize) {
  // 4.3 GB of virtual samples that all borrow the same 1 MiB: nothing is materialised.
  std::vector<uint8_t> blob(1 << 20, 0x42);
  put_be32(blob.data(), uint32_t(blob.size() - 4));
  blob[4] = 0x65;
  mp4::Movie movie;
  mp4::Track t;
  t.sps = {{0x67, 100, 0, 40, 0xAC}};
  t.pps = {{0x68, 0xEE}};
  t.width = 64;
  t.height = 64;
  t.name = "big";
  for (int i = 0; i < 4400; ++i) {
    mp4::Sample s;
    s.dts = s.pts = int64_t(i) * 3000;
    s.duration = 3000;
    s.sync = i % 30 == 0;
    s.data = ByteSpan{blob.data(), blob.size()};
    t.samples.push_back(s);
  }
  movie.tracks.push_back(t);
  mp4::VirtualFile file = mp4::build_progressive(movie);
  CHECK(file.size() > (uint64_t(1) << 32));
  std::vector<uint8_t> head(64 * 1024);
  file.copy(0, head.size(), head.data());
  auto moov = find_boxes(head, "moov");
  CHECK_EQ(moov.size(), size_t(1));
  auto co64 = find_boxes(head, stbl("co64"));
  CHECK_EQ(co64.size(), size_t(1));
  CHECK(find_boxes(head, stbl("stco")).empty());
  if (co64.empty()) return;
  size_t mdat_at = moov[0].offset + moov[0].size;
  CHECK_EQ(get_be32(&head[mdat_at]), uint32_t(1));  // largesize follows
  CHECK_EQ(std::string(reinterpret_cast<const char*>(&head[mdat_at + 4]), 4), std::string("mdat"));
  CHECK_EQ(get_be64(&head[mdat_at + 8]), file.size() - mdat_at);
  // Last chunk offset is past 4 GiB and points at a sample: its first bytes are the blob's.
  uint32_t chunks = get_be32(&head[co64[0].offset + 12]);
  uint64_t last = get_be64(&head[co64[0].offset + 16 + 8 * (chunks - 1)]);
  CHECK(last > UINT32_MAX);
  uint8_t probe[5];
  file.copy(last, last + 5, probe);
  CHECK(std::memcmp(probe, blob.data(), 5) == 0);
  CHECK_EQ(get_be32(&head[co64[0].offset + 16]), uint32_t(0));  // first offset's high word
  CHECK_EQ(get_be32(&head[co64[0].offset + 20]), uint32_t(mdat_at + 16));
}
