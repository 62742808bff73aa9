// avcC (AVCDecoderConfigurationRecord, ISO/IEC 14496-15 5.3.3.1). The few SPS fields the
// High-profile extension needs are read here with a private Exp-Golomb reader so the MP4
// layer does not depend on the h264 module.
#include <string>

#include "mp4/box_reader.h"
#include "mp4/box_writer.h"
#include "mp4/movie.h"
#include "mp4/reader.h"
#include "util/error.h"

namespace ringclip::mp4 {
namespace {

// Reads bits from an SPS, skipping emulation-prevention bytes on the fly. Running past the
// end sets `failed` instead of throwing: the caller falls back to 4:2:0 8-bit defaults.
class SpsBits {
 public:
  SpsBits(const std::vector<uint8_t>& nal, size_t start) : nal_(nal), byte_(start) {}
  bool failed = false;

  uint32_t bit() {
    if (bit_ == 0) {
      if (!load_byte()) {
        failed = true;
        return 0;
      }
    }
    --bit_;
    return (current_ >> bit_) & 1;
  }
  uint32_t ue() {
    int leading_zeros = 0;
    while (!failed && bit() == 0) {
      if (++leading_zeros > 31) {
        failed = true;
        return 0;
      }
    }
    if (failed) return 0;
    uint64_t value = 0;
    for (int i = 0; i < leading_zeros; ++i) value = (value << 1) | bit();
    return uint32_t((uint64_t(1) << leading_zeros) - 1 + value);
  }

 private:
  bool load_byte() {
    if (byte_ >= nal_.size()) return false;
    // 00 00 03 -> the 03 is an emulation-prevention byte, not payload.
    if (nal_[byte_] == 3 && zero_run_ >= 2) {
      zero_run_ = 0;
      if (++byte_ >= nal_.size()) return false;
    }
    current_ = nal_[byte_++];
    zero_run_ = current_ == 0 ? zero_run_ + 1 : 0;
    bit_ = 8;
    return true;
  }
  const std::vector<uint8_t>& nal_;
  size_t byte_;
  uint8_t current_ = 0;
  int bit_ = 0;
  int zero_run_ = 0;
};

bool has_avcc_extension(uint8_t profile_idc) {
  return profile_idc == 100 || profile_idc == 110 || profile_idc == 122 || profile_idc == 144;
}

struct ChromaFormat {
  uint32_t chroma_format_idc = 1;  // 4:2:0
  uint32_t bit_depth_luma_minus8 = 0;
  uint32_t bit_depth_chroma_minus8 = 0;
};

// SPS: header byte, profile_idc, constraint flags, level_idc, ue(sps_id), then for High
// profiles ue(chroma_format_idc) [u(1) separate_colour_plane if 3], ue(luma), ue(chroma).
ChromaFormat read_chroma_format(const std::vector<uint8_t>& sps) {
  ChromaFormat format;
  SpsBits bits(sps, 1);                     // from byte 1 so the emulation-prevention state sees every byte
  for (int i = 0; i < 24; ++i) bits.bit();  // profile_idc, constraint flags, level_idc
  bits.ue();                                // seq_parameter_set_id
  uint32_t chroma = bits.ue();
  if (chroma == 3) bits.bit();  // separate_colour_plane_flag
  uint32_t luma = bits.ue();
  uint32_t chroma_depth = bits.ue();
  if (bits.failed || chroma > 3 || luma > 6 || chroma_depth > 6) return format;
  format.chroma_format_idc = chroma;
  format.bit_depth_luma_minus8 = luma;
  format.bit_depth_chroma_minus8 = chroma_depth;
  return format;
}

}  // namespace

std::vector<uint8_t> build_avcc(const Track& track) {
  if (track.sps.empty()) throw Error(ErrorCode::InvalidArgument, "track " + track.name + " has no SPS");
  if (track.pps.empty()) throw Error(ErrorCode::InvalidArgument, "track " + track.name + " has no PPS");
  return build_avcc(track.sps, track.pps);
}

std::vector<uint8_t> build_avcc(const std::vector<std::vector<uint8_t>>& sps_list,
                                const std::vector<std::vector<uint8_t>>& pps_list) {
  struct Sets {
    const std::vector<std::vector<uint8_t>>& sps;
    const std::vector<std::vector<uint8_t>>& pps;
  } track{sps_list, pps_list};
  if (track.sps.empty()) throw Error(ErrorCode::InvalidArgument, "a sample description has no SPS");
  if (track.pps.empty()) throw Error(ErrorCode::InvalidArgument, "a sample description has no PPS");
  if (track.sps.size() > 31) throw Error(ErrorCode::InvalidArgument, "more than 31 SPS in one track");
  if (track.pps.size() > 255) throw Error(ErrorCode::InvalidArgument, "more than 255 PPS in one track");
  const std::vector<uint8_t>& first = track.sps.front();
  if (first.size() < 4) throw Error(ErrorCode::InvalidArgument, "SPS shorter than 4 bytes");

  std::vector<uint8_t> out;
  size_t total = 11;
  for (auto& s : track.sps) total += 2 + s.size();
  for (auto& p : track.pps) total += 2 + p.size();
  out.reserve(total);
  BoxWriter w(out);
  w.u8(1);         // configurationVersion
  w.u8(first[1]);  // AVCProfileIndication
  w.u8(first[2]);  // profile_compatibility (the constraint flags byte)
  w.u8(first[3]);  // AVCLevelIndication
  w.u8(0xFC | 3);  // lengthSizeMinusOne = 3: samples carry 4-byte NAL lengths
  w.u8(uint8_t(0xE0 | track.sps.size()));
  for (auto& s : track.sps) {
    if (s.size() > 0xFFFF) throw Error(ErrorCode::InvalidArgument, "SPS larger than 65535 bytes");
    w.u16(uint16_t(s.size()));
    w.raw(s.data(), s.size());
  }
  w.u8(uint8_t(track.pps.size()));
  for (auto& p : track.pps) {
    if (p.size() > 0xFFFF) throw Error(ErrorCode::InvalidArgument, "PPS larger than 65535 bytes");
    w.u16(uint16_t(p.size()));
    w.raw(p.data(), p.size());
  }
  if (has_avcc_extension(first[1])) {
    ChromaFormat format = read_chroma_format(first);
    w.u8(uint8_t(0xFC | format.chroma_format_idc));
    w.u8(uint8_t(0xF8 | format.bit_depth_luma_minus8));
    w.u8(uint8_t(0xF8 | format.bit_depth_chroma_minus8));
    w.u8(0);  // numOfSequenceParameterSetExt: we never carry SPS extensions
  }
  return out;
}

void read_avcc(ByteSpan payload, Track& track) {
  ByteReader r(payload, fourcc("avcC"));
  if (r.u8() != 1) throw_invalid("avcC configurationVersion is not 1");
  r.skip(3);  // profile, compatibility, level: the SPS carries them
  uint32_t length_size = (r.u8() & 3) + 1;
  // Samples are handed on as 4-byte length-prefixed NAL units; other sizes would need
  // rewriting every sample, which a zero-copy reader does not do.
  if (length_size != 4)
    throw_invalid("avcC NAL length size " + std::to_string(length_size) + " is not supported (only 4)");
  uint32_t sps_count = r.u8() & 0x1F;
  for (uint32_t i = 0; i < sps_count; ++i) {
    ByteSpan s = r.bytes(r.u16());
    track.sps.emplace_back(s.data, s.data + s.size);
  }
  uint32_t pps_count = r.u8();
  for (uint32_t i = 0; i < pps_count; ++i) {
    ByteSpan p = r.bytes(r.u16());
    track.pps.emplace_back(p.data, p.data + p.size);
  }
  // High-profile extension bytes (chroma format, bit depths) are not needed to decode.
}

}  // namespace ringclip::mp4
