// AAC as the store takes it: AudioSpecificConfig fields (object type, rate, channels, frame
// length) and ADTS framing, including what must be refused with a reason.
#include <string>
#include <vector>

#include "audio/aac.h"
#include "check.h"
#include "util/error.h"

using namespace ringclip;

namespace {

// One ADTS frame: AAC-LC (profile 1), the rate index and channels given, `payload` bytes.
std::vector<uint8_t> adts_frame(uint32_t rate_index, uint32_t channels, const std::vector<uint8_t>& payload,
                                bool crc = false) {
  const uint32_t header = crc ? 9 : 7;
  const uint32_t length = header + uint32_t(payload.size());
  std::vector<uint8_t> f = {0xFF,
                            uint8_t(crc ? 0xF0 : 0xF1),
                            uint8_t((1 << 6) | (rate_index << 2) | (channels >> 2)),
                            uint8_t(((channels & 3) << 6) | ((length >> 11) & 3)),
                            uint8_t((length >> 3) & 0xFF),
                            uint8_t(((length & 7) << 5) | 0x1F),
                            0xFC};
  if (crc) f.insert(f.end(), {0x12, 0x34});
  f.insert(f.end(), payload.begin(), payload.end());
  return f;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(audio_specific_config_fields) {
  const uint8_t lc_48k_mono[] = {0x11, 0x88};
  audio::AudioSpecificConfig c = audio::parse_audio_specific_config(lc_48k_mono, 2);
  CHECK_EQ(c.object_type, 2u);
  CHECK_EQ(c.sample_rate, 48000u);
  CHECK_EQ(c.channels, 1u);
  CHECK_EQ(c.frame_samples, 1024u);
  CHECK_EQ(audio::codec_string(c), std::string("mp4a.40.2"));
  const uint8_t lc_44k_stereo_960[] = {0x12, 0x14};
  c = audio::parse_audio_specific_config(lc_44k_stereo_960, 2);
  CHECK_EQ(c.sample_rate, 44100u);
  CHECK_EQ(c.channels, 2u);
  CHECK_EQ(c.frame_samples, 960u);
  // Explicit rate (index 15, 24 bits): 16000.
  const uint8_t explicit_rate[] = {0x17, 0x80, 0x1F, 0x40, 0x08};
  c = audio::parse_audio_specific_config(explicit_rate, sizeof explicit_rate);
  CHECK_EQ(c.sample_rate, 16000u);
  CHECK_EQ(c.channels, 1u);
}

TEST(audio_specific_config_refusals) {
  const uint8_t short_config[] = {0x11};
  CHECK(error_of([&] { audio::parse_audio_specific_config(short_config, 1); }).find("at least 2 bytes") !=
        std::string::npos);
  const uint8_t reserved_rate[] = {0x16, 0x88};  // index 13
  CHECK(error_of([&] { audio::parse_audio_specific_config(reserved_rate, 2); }).find("reserved") != std::string::npos);
  const uint8_t pce[] = {0x11, 0x80};  // channel configuration 0
  CHECK(error_of([&] { audio::parse_audio_specific_config(pce, 2); }).find("program config element") !=
        std::string::npos);
  const uint8_t celp[] = {0x41, 0x88};  // object type 8 (CELP): not AAC
  CHECK(error_of([&] { audio::parse_audio_specific_config(celp, 2); }).find("not AAC") != std::string::npos);
}

TEST(adts_frames_split_with_their_config) {
  std::vector<uint8_t> bytes = adts_frame(3, 1, {1, 2, 3});
  std::vector<uint8_t> second = adts_frame(3, 1, {4, 5, 6, 7}, true);
  bytes.insert(bytes.end(), second.begin(), second.end());
  std::vector<audio::AdtsFrame> frames = audio::split_adts(bytes.data(), bytes.size());
  CHECK_EQ(frames.size(), size_t(2));
  CHECK_EQ(frames[0].payload.size, size_t(3));
  CHECK_EQ(int(frames[0].payload.data[0]), 1);
  CHECK_EQ(frames[1].payload.size, size_t(4));  // the CRC is not payload
  CHECK_EQ(int(frames[1].payload.data[0]), 4);
  CHECK(frames[0].config == (std::vector<uint8_t>{0x11, 0x88}));  // LC, 48 kHz, mono
  CHECK_EQ(frames[1].parsed.sample_rate, 48000u);
}

TEST(adts_refusals_name_the_byte) {
  std::vector<uint8_t> one = adts_frame(3, 1, {1, 2, 3});
  std::vector<uint8_t> truncated(one.begin(), one.end() - 1);
  CHECK(error_of([&] { audio::split_adts(truncated.data(), truncated.size()); }).find("truncated") !=
        std::string::npos);
  std::vector<uint8_t> junk = one;
  junk.insert(junk.end(), {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0});
  std::string e = error_of([&] { audio::split_adts(junk.data(), junk.size()); });
  CHECK(e.find("no ADTS sync word") != std::string::npos && e.find("at byte 10") != std::string::npos);
  std::vector<uint8_t> mixed = one;
  std::vector<uint8_t> other = adts_frame(4, 1, {1, 2, 3});  // 44.1 kHz
  mixed.insert(mixed.end(), other.begin(), other.end());
  CHECK(error_of([&] { audio::split_adts(mixed.data(), mixed.size()); }).find("within one chunk") != std::string::npos);
  CHECK(error_of([&] { audio::split_adts(one.data(), 0); }).find("no ADTS frame") != std::string::npos);
}
