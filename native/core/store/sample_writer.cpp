#include "store/sample_writer.h"

#include <algorithm>
#include <string>

#include "mp4/movie.h"
#include "mp4/reader.h"
#include "util/error.h"

namespace ringclip::store {

void SampleWriter::configure(ByteSpan avcc) {
  // Callers pass the track's avcC with every sample: the same bytes are not parsed again.
  if (avcc.size == avcc_.size() && avcc.size > 0 && std::equal(avcc_.begin(), avcc_.end(), avcc.data)) return;
  mp4::Track parsed;
  mp4::read_avcc(avcc, parsed);
  configure(parsed.sps, parsed.pps);
  avcc_.assign(avcc.data, avcc.data + avcc.size);
}

void SampleWriter::configure(const std::vector<std::vector<uint8_t>>& sps,
                             const std::vector<std::vector<uint8_t>>& pps) {
  if (sps.empty() || pps.empty())
    throw Error(ErrorCode::InvalidData, "the track's configuration (avcC) holds no SPS or no PPS");
  for (const auto* list : {&sps, &pps})
    for (const std::vector<uint8_t>& nal : *list)
      if (nal.empty())
        throw Error(ErrorCode::InvalidData, "the track's configuration (avcC) holds an empty parameter set");
  avcc_.clear();
  if (sps == sps_ && pps == pps_) return;
  sps_ = sps;
  pps_ = pps;
  send_sets_ = true;
}

WriteResult SampleWriter::write(ByteSpan sample, int64_t pts_us, int64_t dts_us, int64_t capture_us) {
  store_.check_open();
  if (!configured()) throw Error(ErrorCode::InvalidArgument, "a sample came before its track's configuration (avcC)");
  nals_.clear();
  bool sets_in_band = false;
  for (size_t at = 0; at < sample.size;) {
    if (sample.size - at < 4)
      throw Error(ErrorCode::InvalidData,
                  "the sample (" + std::to_string(sample.size) + " bytes) ends inside a NAL length prefix");
    uint32_t n = get_be32(sample.data + at);
    if (n == 0 || n > sample.size - at - 4)
      throw Error(ErrorCode::InvalidData, "the sample's NAL length " + std::to_string(n) + " at byte " +
                                              std::to_string(at) + " runs past its " + std::to_string(sample.size) +
                                              " bytes");
    h264::NalView nal{sample.data + at + 4, n};
    sets_in_band = sets_in_band || nal.type() == h264::kNalSps;
    nals_.push_back(nal);
    at += 4 + n;
  }
  if (nals_.empty()) throw Error(ErrorCode::InvalidData, "the sample is empty");
  if (send_sets_ && !sets_in_band) {
    // The avcC's sets go in front of the picture (after an access unit delimiter, which
    // must come first), as an Annex B stream would carry them.
    size_t at = nals_.front().type() == h264::kNalAud ? 1 : 0;
    std::vector<h264::NalView> sets;
    for (const auto& s : sps_) sets.push_back({s.data(), s.size()});
    for (const auto& p : pps_) sets.push_back({p.data(), p.size()});
    nals_.insert(nals_.begin() + ptrdiff_t(at), sets.begin(), sets.end());
  }
  WriteResult result = store_.write_nal_units(stream_, nals_, pts_us, dts_us, capture_us);
  send_sets_ = false;
  return result;
}

}  // namespace ringclip::store
