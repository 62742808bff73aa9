#pragma once
// An existing MP4 file (progressive or fragmented; written by ringclip, ffmpeg or x264) as
// a sample source: mapped read-only, parsed by mp4::read_movie, and cut through the same
// clip cutter as the store, zero-copy from the mapping.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "export/clip_cutter.h"
#include "mp4/movie.h"
#include "util/file_identity.h"

namespace ringclip::exporting {

class Mp4Source {
 public:
  // Throws Error(InvalidArgument) for a missing file, Error(InvalidData) for one that is not
  // an MP4 with an H.264 track (the message says what was wrong).
  static std::shared_ptr<Mp4Source> open(const std::string& path);
  ~Mp4Source();
  Mp4Source(const Mp4Source&) = delete;
  Mp4Source& operator=(const Mp4Source&) = delete;

  const mp4::Movie& movie() const { return movie_; }
  // The timeline: µs since the epoch of the movie's presentation time 0 when the file says
  // when it was captured (a prft to the µs, which ringclip writes; else the creation time,
  // whole seconds), else µs from the start of the file's presentation.
  int64_t origin_us() const { return origin_us_; }
  const std::vector<SourceTrack>& tracks() const { return tracks_; }
  // A clip of the tracks at these indexes; its result lists the file's tracks it cannot carry.
  CutResult cut(const std::vector<uint32_t>& track_indexes, const CutRequest& request) const;
  const std::vector<std::string>& dropped_tracks() const { return dropped_; }
  // The samples of a track presented in [from_us, to_us) and by the file's edit list, in
  // decode order (the telemetry of a clip, for a viewer). Throws Error(InvalidArgument) for a
  // track number it does not have.
  std::vector<const SourceSample*> samples(uint32_t track, int64_t from_us, int64_t to_us) const;
  uint64_t size() const { return size_; }
  const uint8_t* data() const { return data_; }  // the read-only mapping of the whole file
  // The file, open for reading for as long as the source lives: what sendfile(2) sends the
  // mapping's bytes from (socket_send.h).
  int fd() const { return fd_; }
  uint64_t identity() const { return identity_; }  // changes when the file does (size, mtime, inode)
  FileIdentity file() const { return file_; }      // the file itself (device, inode)

 private:
  Mp4Source() = default;
  void build_tracks();
  std::optional<int64_t> reference_origin_us() const;  // from the file's prft, when it has a usable one
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  int fd_ = -1;
  mp4::Movie movie_;
  int64_t origin_us_ = 0;
  std::vector<SourceTrack> tracks_;
  std::vector<std::string> dropped_;
  uint64_t identity_ = 0;
  FileIdentity file_;
};

}  // namespace ringclip::exporting
