#include "export/clip_file.h"

#include "export/annexb_export.h"
#include "export/etag.h"
#include "mp4/writer.h"
#include "util/error.h"

namespace ringclip::exporting {

ClipFormat clip_format(const std::string& name) {
  if (name == "mp4") return ClipFormat::Mp4;
  if (name == "fmp4") return ClipFormat::FragmentedMp4;
  if (name == "h264") return ClipFormat::AnnexB;
  throw Error(ErrorCode::InvalidArgument, "no clip format '" + name + "': the formats are 'mp4', 'fmp4' and 'h264'");
}

uint32_t etag_variant(const ClipFileRequest& request) {
  switch (request.format) {
    case ClipFormat::Mp4:
      return request.force_co64 ? 2 : 1;
    case ClipFormat::FragmentedMp4:
      return 3;
    case ClipFormat::AnnexB:
      return 4 + request.track;
  }
  return 0;
}

ClipFile build_clip_file(const mp4::Movie& movie, const ClipFileRequest& request, uint64_t source_identity,
                         const SampleReads& read_samples) {
  ClipFile out;
  switch (request.format) {
    case ClipFormat::Mp4: {
      mp4::ProgressiveOptions options;
      options.force_co64 = request.force_co64;
      out.file = mp4::build_progressive(movie, options);
      break;
    }
    case ClipFormat::FragmentedMp4:
      out.file = mp4::build_fragmented(movie);
      break;
    case ClipFormat::AnnexB: {
      if (request.track >= movie.tracks.size())
        throw Error(ErrorCode::InvalidArgument, "no track " + std::to_string(request.track) + ": the clip has " +
                                                    std::to_string(movie.tracks.size()) + " track(s)");
      auto build = [&] { out.file = build_annexb(movie.tracks[request.track]); };
      if (read_samples)
        read_samples(build);
      else
        build();
      break;
    }
  }
  out.etag = make_etag(out.file, source_identity, etag_variant(request));
  return out;
}

}  // namespace ringclip::exporting
