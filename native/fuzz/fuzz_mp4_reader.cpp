// libFuzzer target: mp4::read_movie over arbitrary bytes (progressive and fragmented MP4).
// Every sample span it returns must lie inside the input (ASan checks the reads).
#include <cstddef>
#include <cstdint>

#include "mp4/reader.h"
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
    }
    (void)sum;
  } catch (const Error&) {
  }
  return 0;
}
