// libFuzzer target: the MP4 readers over arbitrary bytes. mp4::read_movie reads the whole
// input (progressive and fragmented MP4), and the writers take what it returns;
// mp4::FragmentStreamReader reads the same bytes as a live stream, in chunks whose sizes
// the input's first byte chooses. Every sample span either returns must lie inside the
// bytes it was given (ASan checks the reads).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "mp4/fragment_stream.h"
#include "mp4/reader.h"
#include "mp4/writer.h"
#include "util/error.h"

using namespace ringclip;

namespace {

class Listener : public mp4::FragmentStreamReader::Listener {
 public:
  uint64_t sum = 0;
  void on_init(const std::vector<mp4::Track>& tracks, const mp4::MovieHeader&, uint32_t) override {
    for (const mp4::Track& t : tracks) (void)mp4::build_avcc(t);
  }
  void on_samples(size_t, const std::vector<mp4::Sample>& samples, const mp4::ProducerReference*) override {
    for (const mp4::Sample& s : samples)
      if (s.data.size) sum += s.data.data[0] + s.data.data[s.data.size - 1];
  }
};

void read_as_stream(const uint8_t* data, size_t size) {
  if (size == 0) return;
  const size_t step = 1 + size_t(data[0]) * 37;  // 1 byte .. ~9 KiB per chunk
  Listener listener;
  mp4::FragmentStreamReader reader(listener);
  try {
    for (size_t at = 0; at < size; at += step) reader.push(ByteSpan{data + at, std::min(step, size - at)});
    reader.finish();
  } catch (const Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    mp4::Movie movie = mp4::read_movie(ByteSpan{data, size});
    uint64_t sum = 0;
    for (const mp4::Track& t : movie.tracks) {
      for (const mp4::Sample& s : t.samples) {
        if (s.data.size == 0) continue;
        if (s.data.data < data || s.data.data + s.data.size > data + size) __builtin_trap();  // span outside the file
        sum += s.data.data[0] + s.data.data[s.data.size - 1];
      }
      (void)mp4::build_avcc(t);
      for (const mp4::SampleDescription& d : t.later_descriptions) (void)mp4::build_avcc(d.sps, d.pps);
    }
    (void)sum;
    // What was read is written again (a cut of an upload keeps its sample entries, matrix and
    // colr): the writers must take any movie the reader returns, or refuse it with an Error.
    try {
      (void)mp4::build_progressive(movie);
      (void)mp4::build_fragmented(movie);
    } catch (const Error&) {
    }
  } catch (const Error&) {
  }
  read_as_stream(data, size);
  return 0;
}
