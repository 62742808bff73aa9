// libFuzzer target: mp4::read_movie over arbitrary bytes (progressive and fragmented MP4),
// and the writers over what it returns.
// Every sample span it returns must lie inside the input (ASan checks the reads).
#include <cstddef>
#include <cstdint>

#include "mp4/reader.h"
#include "mp4/writer.h"
#include "util/error.h"

using namespace ringclip;

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
  return 0;
}
