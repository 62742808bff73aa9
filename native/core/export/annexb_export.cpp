#include "export/annexb_export.h"

#include "util/bytes.h"
#include "util/error.h"

namespace ringclip::exporting {

mp4::VirtualFile build_annexb(const mp4::Track& track) {
  if (track.kind != mp4::TrackKind::Video)
    throw Error(ErrorCode::InvalidArgument,
                "track '" + track.name + "' is not video: a raw H.264 export takes a video track");
  mp4::VirtualFile out;
  static const uint8_t kStartCode[4] = {0, 0, 0, 1};
  std::vector<uint8_t> params;
  for (const auto* list : {&track.sps, &track.pps})
    for (const auto& nal : *list) {
      params.insert(params.end(), kStartCode, kStartCode + 4);
      params.insert(params.end(), nal.begin(), nal.end());
    }
  for (const mp4::Sample& s : track.samples) {
    std::vector<uint8_t> lead;
    if (s.sync) lead = params;
    const uint8_t* p = s.data.data;
    const uint8_t* end = p + s.data.size;
    while (end - p >= 4) {
      uint32_t n = get_be32(p);
      if (n == 0 || n > uint64_t(end - p - 4))
        throw Error(ErrorCode::InvalidData, "a stored sample has a NAL length prefix that runs past its end");
      lead.insert(lead.end(), kStartCode, kStartCode + 4);
      out.append_generated(std::move(lead));
      lead.clear();
      out.append_span(ByteSpan{p + 4, n});
      p += 4 + n;
    }
  }
  return out;
}

}  // namespace ringclip::exporting
