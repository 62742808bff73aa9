// StreamIngest hands NAL units that lie wholly inside the chunk being fed straight to the
// store (no copy) and copies only what it still holds when feed() returns. The test feeds
// every chunk from one scratch buffer that is overwritten after each feed(): a view that
// outlived its chunk would store the scribble, not the stream.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "store/index_access.h"
#include "store/segment_store.h"
#include "store/stream_ingest.h"

using namespace ringclip;
using namespace ringclip::store;

namespace {

constexpr int64_t kT0 = 1767225600000000;  // 2026-01-01T00:00:00Z

struct Stored {
  int64_t dts, pts;
  std::vector<uint8_t> payload;
  bool operator==(const Stored&) const = default;
};

std::vector<Stored> ingest(const std::string& dir, const std::string& name, const std::vector<uint8_t>& stream,
                           const std::vector<size_t>& chunks) {
  SegmentStore::CreateOptions options;
  options.capacity = 48u << 20;
  options.segment_size = 4u << 20;
  options.streams = {"cam"};
  std::string path = dir + "/" + name + ".ring";
  std::shared_ptr<SegmentStore> store = SegmentStore::create(path, options);
  {
    StreamIngest in(*store, 0, 30, kT0);
    std::vector<uint8_t> scratch;
    size_t at = 0;
    for (size_t n : chunks) {
      scratch.assign(stream.begin() + long(at), stream.begin() + long(at + n));
      in.feed(scratch.data(), scratch.size());
      std::fill(scratch.begin(), scratch.end(), 0xA5);  // the chunk is gone
      at += n;
    }
    in.finish();
  }
  std::vector<Stored> out;
  for (uint32_t seg : store->live_segments_in_order())
    for (const IndexEntry& e : IndexAccess::segments(*store)[seg].frames[0]) {
      const uint8_t* p = store->payload(seg, e);
      out.push_back(Stored{e.dts_us, e.pts_us, std::vector<uint8_t>(p, p + e.payload_size)});
    }
  store->close();
  std::remove(path.c_str());
  return out;
}

}  // namespace

TEST(stream_ingest_never_keeps_views_into_a_chunk_after_feed) {
  char dir[] = "/tmp/ringclip_stream_ingest_XXXXXX";
  CHECK(mkdtemp(dir) != nullptr);
  // B-frames (units held for presentation order across chunks) and a 4-slice stream.
  for (const char* fixture : {"bframes_720p30_high_gop60.h264", "slices4_aud_720p25_gop50.h264"}) {
    std::vector<uint8_t> stream = test::read_fixture(fixture);
    std::vector<Stored> whole = ingest(dir, "whole", stream, {stream.size()});
    CHECK(whole.size() > 100);
    std::mt19937 rng(5);
    for (int round = 0; round < 3; ++round) {
      std::vector<size_t> chunks;
      for (size_t left = stream.size(); left > 0;) {
        size_t pick = rng() % 4 == 0 ? 1 + rng() % 300000 : 1 + rng() % 5000;
        size_t n = std::min(left, pick);
        chunks.push_back(n);
        left -= n;
      }
      std::vector<Stored> chunked = ingest(dir, "chunked", stream, chunks);
      CHECK_EQ(chunked.size(), whole.size());
      CHECK(chunked == whole);
    }
  }
  rmdir(dir);
}
