#include "export/mp4_source.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "mp4/movie_boxes.h"
#include "mp4/movie_time.h"
#include "mp4/reader.h"
#include "util/error.h"
#include "util/time_range.h"

namespace ringclip::exporting {
namespace {

// Saturates for ticks beyond what µs can count (a hostile file); the range check that
// follows refuses those.
int64_t to_us(int64_t ticks, uint32_t timescale) { return mp4::rescale_signed(ticks, timescale, 1000000); }

// A source's handler name is a usable track name when it names the track, not the tool
// that wrote it: short, printable, and not a muxer's boilerplate ("VideoHandler", "Core
// Media Video", "(C) 2007 Google Inc. v08.13.2007.").
bool usable_track_name(const std::string& name) {
  if (name.empty() || name.size() > 31) return false;
  for (unsigned char c : name)
    if (!(std::isalnum(c) || c == ' ' || c == '-' || c == '_' || c == '.')) return false;
  if (!std::isalnum(static_cast<unsigned char>(name.front()))) return false;
  std::string lower;
  for (unsigned char c : name) lower += char(std::tolower(c));
  for (const char* boilerplate :
       {"handler", "media video", "iso video", "video media", "mainconcept", "gpac", "l-smash", "bento4"})
    if (lower.find(boilerplate) != std::string::npos) return false;
  return true;
}

// "dropped the AAC track 2: audio is not supported yet"
std::string dropped_text(const mp4::SkippedTrack& t) {
  constexpr uint32_t kSound = 0x736f756e, kVideo = 0x76696465;  // 'soun', 'vide'
  std::string codec;
  switch (t.sample_entry) {
    case 0x6d703461:
      codec = "MPEG-4 audio (not AAC)";
      break;  // 'mp4a' whose esds names another codec
    case 0x4f707573:
      codec = "Opus";
      break;  // 'Opus'
    case 0x61632d33:
      codec = "AC-3";
      break;  // 'ac-3'
    case 0x68766331:
    case 0x68657631:
      codec = "HEVC";
      break;  // 'hvc1', 'hev1'
    case 0x61763031:
      codec = "AV1";
      break;  // 'av01'
    case 0:
      codec = "empty";
      break;
    default:
      codec = "'" + mp4::fourcc_text(t.sample_entry) + "'";
  }
  std::string what = t.handler == kSound   ? ""
                     : t.handler == kVideo ? " video"
                                           : " '" + mp4::fourcc_text(t.handler) + "'";
  std::string why = t.handler == kSound   ? "ringclip carries AAC audio only"
                    : t.handler == kVideo ? "only H.264 video is supported"
                                          : "ringclip carries camm metadata only";
  return "dropped the " + codec + what + " track " + std::to_string(t.track_id) + ": " + why;
}

}  // namespace

std::shared_ptr<Mp4Source> Mp4Source::open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw Error(ErrorCode::InvalidArgument, "no file at '" + path + "'");
    throw Error(ErrorCode::Io, "cannot open '" + path + "': " + std::strerror(errno));
  }
  // Owned by the source from here: its destructor closes it on every way out.
  std::shared_ptr<Mp4Source> src(new Mp4Source());
  src->fd_ = fd;
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    throw Error(ErrorCode::InvalidArgument, "'" + path + "' is not a regular file");
  src->size_ = uint64_t(st.st_size);
  src->file_ = FileIdentity{uint64_t(st.st_dev), uint64_t(st.st_ino)};
  src->identity_ = uint64_t(st.st_size) * 1099511628211ull ^ uint64_t(st.st_mtim.tv_sec) * 1000000007ull ^
                   uint64_t(st.st_mtim.tv_nsec) ^ (uint64_t(st.st_ino) << 20);
  if (src->size_ < 8)
    throw Error(ErrorCode::InvalidData,
                "'" + path + "' is not an MP4: " + std::to_string(src->size_) + " bytes is too short");
  void* p = ::mmap(nullptr, src->size_, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) throw Error(ErrorCode::Io, "cannot map '" + path + "': " + std::strerror(errno));
  src->data_ = static_cast<const uint8_t*>(p);
  try {
    src->movie_ = mp4::read_movie(ByteSpan{src->data_, src->size_});
    src->build_tracks();
  } catch (const Error& e) {
    throw Error(e.code(), "'" + path + "': " + e.what());
  }
  return src;
}

Mp4Source::~Mp4Source() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
  if (fd_ >= 0) ::close(fd_);
}

std::optional<int64_t> Mp4Source::reference_origin_us() const {
  // The prft pairs a capture time with a media time of one track; the movie's time 0 lies
  // that track's presentation offset earlier (writers put it at the first presented sample,
  // so for ringclip's files this is the prft's time itself, to the µs).
  if (!movie_.reference) return std::nullopt;
  const mp4::ProducerReference& ref = *movie_.reference;
  for (const mp4::Track& t : movie_.tracks) {
    if (t.track_id != ref.track_id || t.samples.empty()) continue;
    mp4::PresentationStart start = mp4::presentation_start(t, movie_.timescale);
    __int128 origin = __int128(ref.unix_us) - start.delay_us -
                      (__int128(to_us(int64_t(std::min<uint64_t>(ref.media_time, INT64_MAX)), t.timescale)) -
                       to_us(start.media_time, t.timescale));
    if (origin <= 0 || origin > kMaxTimeUs) return std::nullopt;
    return int64_t(origin);
  }
  return std::nullopt;
}

void Mp4Source::build_tracks() {
  // Files from before 1970 (a zero creation time is 1904), or after the latest time
  // ringclip holds (2255: only a damaged or hostile file), have no usable capture time.
  origin_us_ = movie_.creation_time_us > 0 && movie_.creation_time_us <= kMaxTimeUs ? movie_.creation_time_us : 0;
  origin_us_ = reference_origin_us().value_or(origin_us_);
  for (size_t i = 0; i < movie_.tracks.size(); ++i) {
    const mp4::Track& t = movie_.tracks[i];
    if (t.samples.empty()) continue;
    SourceTrack st;
    // Named from what it is when the file's name is unusable; unique either way (a clip's
    // streams are chosen by name).
    const std::string base = usable_track_name(t.name)            ? t.name
                             : t.kind == mp4::TrackKind::Audio    ? "audio"
                             : t.kind == mp4::TrackKind::Metadata ? "metadata"
                                                                  : "video";
    st.kind = t.kind;
    st.name = base;
    for (int n = 2;
         std::any_of(tracks_.begin(), tracks_.end(), [&](const SourceTrack& o) { return o.name == st.name; }); ++n)
      st.name = base + "-" + std::to_string(n);
    // Presentation on the movie timeline: an empty edit delays the track; the first media
    // edit says which media time is presented first. Sums are kept in 128 bits: a file's
    // durations and ticks may add up past int64 before the range check can refuse them.
    __int128 delay_us = 0, presented_us = -1;
    int64_t media_start = t.samples.front().pts;
    bool have_media = false;
    for (const mp4::Edit& e : t.edits) {
      if (e.media_time < 0 && !have_media)
        delay_us += mp4::rescale(e.segment_duration, movie_.timescale, 1000000);
      else if (!have_media) {
        media_start = e.media_time;
        have_media = true;
        // Duration 0 in a fragmented file's edit: "the whole media" (ISO 14496-12 8.6.6).
        if (e.segment_duration > 0) presented_us = mp4::rescale(e.segment_duration, movie_.timescale, 1000000);
      }
    }
    if (!have_media) {
      for (const mp4::Sample& s : t.samples) media_start = std::min(media_start, s.pts);
    }
    const __int128 shift = __int128(origin_us_) + delay_us - to_us(media_start, t.timescale);
    auto timeline_us = [&](int64_t ticks, const char* what) -> int64_t {
      __int128 us = shift + to_us(ticks, t.timescale);
      if (us < kMinTimelineUs || us > kMaxTimeUs)
        throw Error(ErrorCode::InvalidData,
                    "track '" + st.name + "' has a " + what + " time of " + std::to_string(ticks) + " ticks (" +
                        std::to_string(t.timescale) + " ticks/s), which lies outside the timelines ringclip can cut (" +
                        std::to_string(kMinTimelineUs) + " to " + std::to_string(kMaxTimeUs) + " µs)");
      return int64_t(us);
    };
    // The edit says what the file presents: a stream-copied cut (ffmpeg -ss) keeps the GOP
    // before its start in the media and hides it with the edit. Clips present only that window.
    if (have_media) {
      st.presented_from_us = timeline_us(media_start, "presentation");
      if (presented_us > 0 && st.presented_from_us + presented_us <= kMaxTimeUs)
        st.presented_to_us = st.presented_from_us + int64_t(presented_us);
    }
    st.matrix = t.matrix;
    st.colour = t.colour;
    // One configuration per sample entry (id = entry index + 1).
    st.configs.push_back(config_of(1, mp4::first_description(t)));
    for (size_t k = 0; k < t.later_descriptions.size(); ++k)
      st.configs.push_back(config_of(uint32_t(k + 2), t.later_descriptions[k]));
    st.samples.reserve(t.samples.size());
    for (const mp4::Sample& s : t.samples) {
      SourceSample ss;
      ss.dts_us = timeline_us(s.dts, "decode");
      ss.pts_us = timeline_us(s.pts, "presentation");
      ss.random_access = s.sync || t.kind != mp4::TrackKind::Video ? 1 : 0;
      ss.config = s.description + 1;
      ss.data = s.data;
      st.samples.push_back(ss);
    }
    tracks_.push_back(std::move(st));
  }
  if (tracks_.empty()) throw Error(ErrorCode::InvalidData, "the MP4 has no H.264 samples");
  for (const mp4::SkippedTrack& t : movie_.skipped_tracks) dropped_.push_back(dropped_text(t));
}

std::vector<const SourceSample*> Mp4Source::samples(uint32_t track, int64_t from_us, int64_t to_us) const {
  if (track >= tracks_.size()) throw Error(ErrorCode::InvalidArgument, "no track number " + std::to_string(track));
  const SourceTrack& t = tracks_[track];
  std::vector<const SourceSample*> out;
  for (const SourceSample& s : t.samples)
    if (s.pts_us >= std::max(from_us, t.presented_from_us) && s.pts_us < std::min(to_us, t.presented_to_us))
      out.push_back(&s);
  return out;
}

CutResult Mp4Source::cut(const std::vector<uint32_t>& track_indexes, const CutRequest& request) const {
  std::vector<SourceTrack> chosen;
  for (uint32_t i : track_indexes) {
    if (i >= tracks_.size()) throw Error(ErrorCode::InvalidArgument, "no track number " + std::to_string(i));
    chosen.push_back(tracks_[i]);
  }
  CutResult result = cut_clip(chosen, request);
  result.dropped = dropped_;
  return result;
}

}  // namespace ringclip::exporting
