// The moov of a 60 s dual-stream clip is built on the request path: it must stay cheap.
// The time is printed, not asserted: a wall-clock bound fails on a loaded machine, not on
// slow code (bench/ measures it against a baseline).
#include <algorithm>
#include <chrono>
#include <iostream>

#include "check.h"
#include "mp4/reader.h"
#include "mp4/writer.h"

using namespace ringclip;

TEST(mp4_perf_progressive_60s_dual_stream) {
  static std::vector<uint8_t> store(64 * 1024 * 1024);
  mp4::Movie movie;
  size_t offset = 0;
  uint64_t payload = 0;
  for (uint32_t id = 1; id <= 2; ++id) {
    mp4::Track t;
    t.track_id = id;
    t.name = id == 1 ? "road" : "cabin";
    t.width = 1920;
    t.height = 1080;
    t.sps = {{0x67, 100, 0, 40, 0xAC, 0xD9, 0x40, 0x78}};
    t.pps = {{0x68, 0xEB, 0xE3, 0xCB}};
    for (int i = 0; i < 1800; ++i) {
      mp4::Sample s;
      s.dts = s.pts = int64_t(i) * 3000;
      s.duration = 3000;
      s.sync = i % 30 == 0;
      size_t size = 5000 + (i * 7919) % 20000;
      put_be32(store.data() + offset, uint32_t(size - 4));
      s.data = ByteSpan{store.data() + offset, size};
      offset += size + 1;  // not adjacent: worst case, one piece per sample
      payload += size;
      t.samples.push_back(s);
    }
    movie.tracks.push_back(std::move(t));
  }
  std::vector<double> micros;
  uint64_t size = 0;
  for (int run = 0; run < 25; ++run) {
    auto start = std::chrono::steady_clock::now();
    mp4::VirtualFile file = mp4::build_progressive(movie);
    auto end = std::chrono::steady_clock::now();
    size = file.size();
    micros.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  std::sort(micros.begin(), micros.end());
  std::cout << "  build_progressive 3600 samples: median " << micros[micros.size() / 2] << " us, file "
            << size / 1000000 << " MB\n";
  CHECK(size > payload);  // every sample's bytes, and the boxes
}
