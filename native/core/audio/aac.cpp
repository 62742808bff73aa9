#include "audio/aac.h"

#include <string>

#include "util/error.h"

namespace ringclip::audio {
namespace {

constexpr uint32_t kSampleRates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                       22050, 16000, 12000, 11025, 8000,  7350};

// MSB-first bits of a short config; reading past the end throws.
class ConfigBits {
 public:
  ConfigBits(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint32_t read(uint32_t n) {
    uint32_t v = 0;
    for (uint32_t i = 0; i < n; ++i) {
      if (pos_ >= size_ * 8)
        throw Error(ErrorCode::InvalidData,
                    "the AudioSpecificConfig ends after " + std::to_string(size_) + " bytes, inside a field");
      v = v << 1 | ((data_[pos_ / 8] >> (7 - pos_ % 8)) & 1);
      ++pos_;
    }
    return v;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

uint32_t read_object_type(ConfigBits& bits) {
  uint32_t type = bits.read(5);
  return type == 31 ? 32 + bits.read(6) : type;
}

uint32_t read_sample_rate(ConfigBits& bits) {
  uint32_t index = bits.read(4);
  if (index == 15) return bits.read(24);
  if (index >= 13)
    throw Error(ErrorCode::InvalidData,
                "the AudioSpecificConfig's sampling frequency index " + std::to_string(index) + " is reserved");
  return kSampleRates[index];
}

// AAC object types whose GASpecificConfig (frameLengthFlag) follows the channel config.
bool general_audio(uint32_t type) {
  return type == 1 || type == 2 || type == 3 || type == 4 || type == 6 || type == 7 || type == 17 ||
         (type >= 19 && type <= 23);
}

}  // namespace

AudioSpecificConfig parse_audio_specific_config(const uint8_t* data, size_t size) {
  if (size < 2)
    throw Error(ErrorCode::InvalidData, "an AudioSpecificConfig has at least 2 bytes, got " + std::to_string(size));
  ConfigBits bits(data, size);
  AudioSpecificConfig c;
  c.object_type = read_object_type(bits);
  c.sample_rate = read_sample_rate(bits);
  uint32_t channel_config = bits.read(4);
  if (c.object_type == 5 || c.object_type == 29) {
    // Explicit SBR/PS signalling: the extension rate, then the core's object type.
    read_sample_rate(bits);
    c.object_type = read_object_type(bits);
  }
  if (!general_audio(c.object_type))
    throw Error(ErrorCode::InvalidData, "audio object type " + std::to_string(c.object_type) +
                                            " is not AAC (ringclip stores AAC: object types 1-4, 6, 7, 17, 19-23)");
  if (channel_config == 0)
    throw Error(ErrorCode::InvalidData, "channel configuration 0 (a program config element) is not supported: use 1-7");
  if (channel_config > 7)
    throw Error(ErrorCode::InvalidData, "channel configuration " + std::to_string(channel_config) + " is reserved");
  c.channels = channel_config == 7 ? 8 : channel_config;
  c.frame_samples = bits.read(1) ? 960 : 1024;
  if (c.sample_rate == 0) throw Error(ErrorCode::InvalidData, "the AudioSpecificConfig states a sampling rate of 0");
  return c;
}

std::string codec_string(const AudioSpecificConfig& config) { return "mp4a.40." + std::to_string(config.object_type); }

std::vector<AdtsFrame> split_adts(const uint8_t* data, size_t size) {
  std::vector<AdtsFrame> frames;
  size_t at = 0;
  while (at < size) {
    const std::string where = " at byte " + std::to_string(at) + " of " + std::to_string(size);
    if (size - at < 7) throw Error(ErrorCode::InvalidData, "a truncated ADTS header" + where);
    const uint8_t* h = data + at;
    if (h[0] != 0xFF || (h[1] & 0xF0) != 0xF0)
      throw Error(ErrorCode::InvalidData,
                  "no ADTS sync word (FFF)" + where + ": not an ADTS stream, or not cut at a frame");
    if (h[1] & 0x06)
      throw Error(ErrorCode::InvalidData,
                  "an ADTS header with MPEG layer " + std::to_string((h[1] >> 1) & 3) + where + " (must be 0)");
    const bool has_crc = (h[1] & 0x01) == 0;
    const uint32_t profile = h[2] >> 6;
    const uint32_t rate_index = (h[2] >> 2) & 0x0F;
    const uint32_t channel_config = ((h[2] & 0x01) << 2) | (h[3] >> 6);
    const uint32_t frame_length = ((uint32_t(h[3]) & 0x03) << 11) | (uint32_t(h[4]) << 3) | (h[5] >> 5);
    const uint32_t blocks = (h[6] & 0x03) + 1;
    const uint32_t header = has_crc ? 9 : 7;
    if (blocks != 1)
      throw Error(ErrorCode::InvalidData, "an ADTS frame with " + std::to_string(blocks) + " raw data blocks" + where +
                                              " (one per frame is supported)");
    if (frame_length <= header)
      throw Error(ErrorCode::InvalidData, "an ADTS frame length of " + std::to_string(frame_length) + where);
    if (frame_length > size - at)
      throw Error(ErrorCode::InvalidData,
                  "an ADTS frame of " + std::to_string(frame_length) + " bytes is truncated" + where);
    AdtsFrame f;
    // profile is object type - 1; the GASpecificConfig's three flags are 0.
    const uint32_t object_type = profile + 1;
    f.config = {uint8_t(object_type << 3 | rate_index >> 1), uint8_t((rate_index & 1) << 7 | channel_config << 3)};
    f.parsed = parse_audio_specific_config(f.config.data(), f.config.size());
    f.payload = ByteSpan{h + header, frame_length - header};
    // One chunk is one configuration: its frames are stored with one AudioSpecificConfig.
    if (!frames.empty() && f.config != frames.front().config)
      throw Error(ErrorCode::InvalidData,
                  "the ADTS frame" + where + " changes the stream's profile, rate or channels within one chunk");
    frames.push_back(std::move(f));
    at += frame_length;
  }
  if (frames.empty()) throw Error(ErrorCode::InvalidData, "no ADTS frame in 0 bytes");
  return frames;
}

}  // namespace ringclip::audio
