// The policy the addon used to hold and the core now owns: the pin protocol of readers that
// hold an index row (pin_if_live), a clip's identity and the ETag variant of each of its
// files, the sample statistics of info(), and Error(Closed) from every reader of a closed store.
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "check.h"
#include "export/clip_file.h"
#include "export/sample_stats.h"
#include "store/format.h"
#include "store/frame_spans.h"
#include "store/guarded_read.h"
#include "store/mapped_read.h"
#include "store/segment_store.h"
#include "store/store_clip.h"
#include "store/store_info.h"
#include "store/stream_ingest.h"
#include "util/error.h"

using namespace ringclip;
using namespace ringclip::store;

namespace {

constexpr int64_t kT0 = 1767225600000000;  // 2026-01-01

// 3 segments of 1 MiB, about 2 s of road footage each: 6 s fill the ring.
struct Ring {
  std::string dir, path;
  std::shared_ptr<SegmentStore> store;
  std::vector<uint8_t> road = test::read_fixture("road_1080p30_high_gop30.h264");
  int64_t next_start = kT0;

  Ring() {
    char name[] = "/tmp/ringclip_reader_policy_XXXXXX";
    dir = mkdtemp(name) ? name : "";
    path = dir + "/ring.ring";
    SegmentStore::CreateOptions options;
    options.capacity = kDataOffset + 3 * (1u << 20);
    options.segment_size = 1u << 20;
    options.streams = {"road"};
    store = SegmentStore::create(path, options);
  }
  ~Ring() {
    store->close();
    std::remove(path.c_str());
    ::rmdir(dir.c_str());
  }
  // About `seconds` of road footage; each call starts 10 s after the previous one.
  void record(int seconds) {
    StreamIngest ingest(*store, 0, 30, next_start);
    ingest.feed(road.data(), road.size() * size_t(seconds) / 10);
    ingest.finish();
    next_start += 10000000;
  }
  ClipRequest request(int64_t from_us, int64_t to_us) const {
    ClipRequest r;
    r.from_us = from_us;
    r.to_us = to_us;
    r.streams = {0};
    return r;
  }
};

// The code (error_code_name) of the core error `body` throws, "none" when it throws nothing.
std::string code_of(const std::function<void()>& body, std::string* message = nullptr) {
  try {
    body();
  } catch (const Error& e) {
    if (message) *message = e.what();
    return error_code_name(e.code());
  }
  return "none";
}

}  // namespace

TEST(store_pin_if_live_pins_only_the_generation_the_row_names) {
  Ring ring;
  ring.record(3);
  const std::vector<FrameRef> rows = find_frames(*ring.store, 0, kT0, kT0 + 1000000);
  CHECK(!rows.empty());
  const uint32_t segment = rows.front().segment;
  const uint64_t seq = rows.front().segment_seq;
  CHECK_EQ(describe(*ring.store).pinned_segments, 0u);
  CHECK(ring.store->pin_if_live(segment, seq));
  CHECK_EQ(describe(*ring.store).pinned_segments, 1u);
  CHECK(!ring.store->pin_if_live(segment, seq + 1));     // another generation
  CHECK(!ring.store->pin_if_live(segment + 1000, seq));  // no such segment
  // While pinned, loop recording goes around it: the row still names footage the index holds.
  ring.record(8);
  CHECK(!find_frames(*ring.store, 0, kT0, kT0 + 1000000).empty());
  ring.store->unpin(segment);
  CHECK_EQ(describe(*ring.store).pinned_segments, 0u);
  // Unpinned, it is reclaimed: the row's generation is gone, and pinning it is refused.
  ring.record(8);
  CHECK(find_frames(*ring.store, 0, kT0, kT0 + 1000000).empty());
  CHECK(!ring.store->pin_if_live(segment, seq));
  CHECK_EQ(describe(*ring.store).pinned_segments, 0u);
}

TEST(store_pin_if_live_refuses_a_closed_store) {
  Ring ring;
  ring.record(3);
  const FrameRef row = find_frames(*ring.store, 0, kT0, kT0 + 1000000).front();
  ring.store->close();
  CHECK(!ring.store->pin_if_live(row.segment, row.segment_seq));
}

TEST(store_clip_identity_and_etag_variants) {
  Ring ring;
  ring.record(5);
  auto store = ring.store;
  StoreClip a(store, ring.request(kT0 + 1000000, kT0 + 3000000));
  StoreClip same(store, ring.request(kT0 + 1000000, kT0 + 3000000));
  StoreClip later(store, ring.request(kT0 + 2000000, kT0 + 4000000));
  CHECK_EQ(a.identity(), same.identity());
  CHECK(a.identity() != later.identity());

  using exporting::ClipFormat;
  const std::vector<exporting::ClipFileRequest> requests = {{ClipFormat::Mp4, false, 0},
                                                            {ClipFormat::Mp4, true, 0},
                                                            {ClipFormat::FragmentedMp4, false, 0},
                                                            {ClipFormat::AnnexB, false, 0}};
  std::set<std::string> tags;
  for (size_t i = 0; i < requests.size(); ++i) {
    CHECK_EQ(exporting::etag_variant(requests[i]), uint32_t(i + 1));
    exporting::ClipFile file = build_clip_file(store.get(), nullptr, a.movie(), requests[i], a.identity());
    CHECK(file.file.size() > 0);
    // "rc<writer version>-<variant>-<hash>": the variant is in the tag itself.
    CHECK(file.etag.find("-" + std::to_string(i + 1) + "-") != std::string::npos);
    tags.insert(file.etag);
    // The same clip of the same footage gets the same tag; other footage another one.
    CHECK_EQ(build_clip_file(store.get(), nullptr, same.movie(), requests[i], same.identity()).etag, file.etag);
    CHECK(build_clip_file(store.get(), nullptr, later.movie(), requests[i], later.identity()).etag != file.etag);
  }
  CHECK_EQ(tags.size(), requests.size());
  CHECK_EQ(exporting::etag_variant({ClipFormat::AnnexB, false, 2}), 6u);

  CHECK(exporting::clip_format("mp4") == ClipFormat::Mp4);
  CHECK(exporting::clip_format("fmp4") == ClipFormat::FragmentedMp4);
  CHECK(exporting::clip_format("h264") == ClipFormat::AnnexB);
  std::string message;
  CHECK_EQ(code_of([] { exporting::clip_format("webm"); }, &message), std::string("ERR_INVALID_ARGUMENT"));
  CHECK(message.find("'webm'") != std::string::npos && message.find("'fmp4'") != std::string::npos);
  CHECK_EQ(code_of(
               [&] {
                 build_clip_file(store.get(), nullptr, a.movie(), {ClipFormat::AnnexB, false, 1}, a.identity());
               },
               &message),
           std::string("ERR_INVALID_ARGUMENT"));
  CHECK(message.find("no track 1") != std::string::npos);
}

TEST(store_sample_stats_count_samples_and_presented_times) {
  mp4::Track track;
  for (int i = 0; i < 5; ++i) {
    mp4::Sample s;
    s.sync = i % 2 == 0;
    s.data = ByteSpan{nullptr, size_t(100 + i)};
    track.samples.push_back(s);
  }
  exporting::SampleStats stats = exporting::sample_stats(track);
  CHECK_EQ(stats.samples, 5u);
  CHECK_EQ(stats.bytes, 510u);
  CHECK_EQ(stats.sync_samples, 3u);

  exporting::SourceTrack source;
  source.presented_from_us = 1000;
  source.presented_to_us = 4000;
  for (int64_t pts : {0, 1000, 2000, 3000, 4000}) {
    exporting::SourceSample s;
    s.pts_us = pts;
    s.random_access = pts == 0 || pts == 3000;
    s.data = ByteSpan{nullptr, 10};
    source.samples.push_back(s);
  }
  stats = exporting::sample_stats(source);
  CHECK_EQ(stats.samples, 5u);
  CHECK_EQ(stats.sync_samples, 2u);    // hidden samples count: they are in the file
  CHECK_EQ(stats.first_pts_us, 1000);  // the edit list presents [1000, 4000)
  CHECK_EQ(stats.last_pts_us, 3000);
  source.presented_from_us = 5000;
  source.presented_to_us = 6000;
  stats = exporting::sample_stats(source);
  CHECK_EQ(stats.first_pts_us, INT64_MAX);  // nothing presented
  CHECK_EQ(stats.last_pts_us, INT64_MIN);
}

TEST(store_segment_bytes_checks_the_segment) {
  Ring ring;
  CHECK_EQ(ring.store->segment_bytes(2).size, size_t(1u << 20));
  CHECK(ring.store->segment_bytes(1).data == ring.store->segment_data(1));
  CHECK_EQ(code_of([&] { ring.store->segment_bytes(3); }), std::string("ERR_INVALID_ARGUMENT"));
}

TEST(store_readers_of_a_closed_store_say_it_is_closed) {
  Ring ring;
  ring.record(3);
  auto store = ring.store;
  StoreClip clip(store, ring.request(kT0, kT0 + 2000000));
  const FrameRef row = find_frames(*store, 0, kT0, kT0 + 1000000).front();
  const IndexEntry entry = *row.entry;
  exporting::ClipFile file = build_clip_file(store.get(), nullptr, clip.movie(), {}, clip.identity());
  StreamIngest ingest(*store, 0, 30, kT0 + 60000000);
  store->close();
  store->close();  // twice is fine

  const std::string closed = "ERR_CLOSED";
  CHECK_EQ(code_of([&] { describe(*store); }), closed);
  CHECK_EQ(code_of([&] { find_frames(*store, 0, kT0, kT0 + 1000000); }), closed);
  CHECK_EQ(code_of([&] { frames_after(*store, 0, kT0, 10); }), closed);
  CHECK_EQ(code_of([&] { frame_spans(*store, 0, kT0, kT0 + 1000000, 1000000); }), closed);
  CHECK_EQ(code_of([&] { store->segment_bytes(0); }), closed);
  CHECK_EQ(code_of([&] { store->begin_flush(); }), closed);
  CHECK_EQ(
      code_of([&] { indexed_frame(*store, 0, row.segment, entry.offset + kRecordHeaderSize, entry.payload_size); }),
      closed);
  CHECK_EQ(code_of([&] { StoreClip(store, ring.request(kT0, kT0 + 2000000)); }), closed);
  CHECK_EQ(code_of([&] { build_clip_file(store.get(), nullptr, clip.movie(), {}, clip.identity()); }), closed);
  CHECK_EQ(code_of([&] { ingest.feed(ring.road.data(), 1000); }), closed);  // it would only have buffered these
  CHECK_EQ(code_of([&] { ingest.finish(); }), closed);
  bool read = false;
  CHECK_EQ(code_of([&] { read_mapped(store.get(), nullptr, [&] { read = true; }); }), closed);
  CHECK(!read);
  std::string message;
  CHECK_EQ(code_of([&] { write_mapped(store.get(), nullptr, file.file, ring.dir + "/clip.mp4", -1, {}); }, &message),
           closed);
  CHECK_EQ(message, std::string("the store was closed before the clip was written"));
  CHECK(::access((ring.dir + "/clip.mp4").c_str(), F_OK) != 0);  // nothing was created
  // A flush that was under way when the store closed has nothing left to do: close() synced.
  CHECK_EQ(code_of([&] { store->sync_unless_closed({{kDataOffset, 4096}}); }), std::string("none"));
  // Without a store (an MP4 source's bytes) the work just runs.
  CHECK_EQ(code_of([&] { read_mapped(nullptr, nullptr, [&] { read = true; }); }), std::string("none"));
  CHECK(read);
}

// RELIABILITY.md's former gap 7: footage retained only after a hole with no random access
// point is refused as what it is, not as "no retained footage" next to the range it retains.
TEST(store_clip_of_footage_without_a_random_access_point_says_so) {
  exporting::SourceTrack track;
  track.name = "road";
  exporting::SourceConfig config;
  config.id = 1;
  track.configs.push_back(config);
  const uint8_t bytes[8] = {0, 0, 0, 4, 0x41, 0x9a, 0, 0};
  for (int i = 0; i < 30; ++i) {
    exporting::SourceSample s;
    s.dts_us = s.pts_us = kT0 + i * 33333;
    s.random_access = 0;
    s.after_gap = i == 0;
    s.config = 1;
    s.data = ByteSpan{bytes, sizeof bytes};
    track.samples.push_back(s);
  }
  const exporting::CutRequest request{kT0, kT0 + 1000000, false, true, 0, 0};
  std::string message;
  CHECK_EQ(code_of([&] { exporting::cut_clip({track}, request); }, &message), std::string("ERR_CLIP_RANGE"));
  CHECK(message.find("no random access point") != std::string::npos);
  CHECK(message.find("no retained footage") == std::string::npos);
}
