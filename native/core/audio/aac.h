#pragma once
// AAC as ringclip takes it in and writes it out: the AudioSpecificConfig (ISO/IEC 14496-3
// 1.6.2.1) that an MP4's esds carries, and ADTS framing (14496-3 1.A.2), the byte stream
// hardware encoders emit. Only what a store and a muxer need is parsed; the payloads are
// stored untouched.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "util/bytes.h"

namespace ringclip::audio {

struct AudioSpecificConfig {
  uint32_t object_type = 0;       // 2: AAC-LC; 5: SBR (HE-AAC), 29: PS (HE-AAC v2)
  uint32_t sample_rate = 0;       // of the decoded output's core (before SBR doubles it)
  uint32_t channels = 0;          // from channel_configuration (1..7 → 1..8 channels)
  uint32_t frame_samples = 1024;  // per access unit (960 with frameLengthFlag)
};

// Throws Error(InvalidData) saying what is wrong: too short, an object type that is not
// AAC, a sampling frequency index of 13 or 14 (reserved), channel configuration 0 (a
// program config element, not supported) or a reserved one.
AudioSpecificConfig parse_audio_specific_config(const uint8_t* data, size_t size);

// The RFC 6381 codec string: "mp4a.40.2".
std::string codec_string(const AudioSpecificConfig& config);

struct AdtsFrame {
  ByteSpan payload;             // the raw AAC frame, without the ADTS header (and its CRC)
  std::vector<uint8_t> config;  // the 2-byte AudioSpecificConfig the header describes
  AudioSpecificConfig parsed;
};

// Every ADTS frame of `data`, which must hold whole frames and nothing else (a chunk of an
// ADTS stream cut at frame boundaries). Throws Error(InvalidData) naming the byte offset:
// no sync word, a truncated frame, MPEG layer not 0, several raw data blocks in one frame,
// a frame whose profile, rate or channels differ from the first's.
std::vector<AdtsFrame> split_adts(const uint8_t* data, size_t size);

}  // namespace ringclip::audio
