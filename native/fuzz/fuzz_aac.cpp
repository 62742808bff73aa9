// libFuzzer target: the AAC parsers writeAudio() runs on caller bytes: ADTS framing
// (split_adts) and the AudioSpecificConfig (parse_audio_specific_config). Bad input must
// end in Error (InvalidData), never in a crash or a read outside the input.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "audio/aac.h"
#include "util/error.h"

using namespace ringclip;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // A private copy: a read one past the end is caught by ASan, not hidden by the corpus buffer.
  std::vector<uint8_t> bytes(data, data + size);
  try {
    std::vector<audio::AdtsFrame> frames = audio::split_adts(bytes.data(), bytes.size());
    size_t total = 0;
    for (const audio::AdtsFrame& f : frames) {
      if (f.payload.size) total += f.payload.data[f.payload.size - 1];  // touch every payload's end
      if (f.config != frames.front().config) __builtin_trap();          // split_adts promised one configuration
    }
    (void)total;
  } catch (const Error&) {
  }
  try {
    audio::AudioSpecificConfig c = audio::parse_audio_specific_config(bytes.data(), bytes.size());
    if (c.channels == 0 || c.sample_rate == 0 || (c.frame_samples != 1024 && c.frame_samples != 960)) __builtin_trap();
    (void)audio::codec_string(c);
  } catch (const Error&) {
  }
  return 0;
}
