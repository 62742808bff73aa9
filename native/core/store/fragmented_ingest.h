#pragma once
// A fragmented MP4 stream (another ringclip's live stream, or any fMP4 with H.264 tracks,
// and AAC and camm tracks) into a store's streams: mp4::FragmentStreamReader parses it as
// it arrives, a SampleWriter per video track stores the samples as they are (no Annex B
// round trip); audio and metadata samples go in with their sample entry's configuration. Times
// come from the stream's prft boxes to the microsecond (docs/TIME.md), else from a given
// origin, else from the init segment's creation time (whole seconds).
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "mp4/fragment_stream.h"
#include "mp4/movie_boxes.h"
#include "store/sample_writer.h"
#include "store/segment_store.h"

namespace ringclip::store {

class FragmentedIngest : private mp4::FragmentStreamReader::Listener {
 public:
  static constexpr int64_t kNoOrigin = INT64_MIN;
  struct Options {
    // Track name → stream. Empty: each track goes to the stream of its own name, and a
    // track no stream is named after is ignored (counted).
    std::vector<std::pair<std::string, uint32_t>> tracks;
    int64_t origin_us = kNoOrigin;  // µs since the epoch of media time 0, for streams without prft
    // Samples at or before the stream's last stored decode time are skipped and counted: a
    // stream resumed after a disconnect starts again at a key frame already stored.
    bool skip_stored = true;
  };
  struct TrackReport {
    std::string name;
    int64_t stream = -1;  // -1: ignored
    uint64_t stored = 0, skipped = 0, dropped = 0;
    int64_t first_us = kNoOrigin, last_us = kNoOrigin;  // decode times of the samples seen
  };

  FragmentedIngest(SegmentStore& store, Options options);
  // Throws what the reader or the store throws; samples stored before stay stored.
  void push(ByteSpan chunk) {  // Error(Closed) once the store is closed, even for bytes it would only buffer
    store_.check_open();
    reader_.push(chunk);
  }
  void finish() { reader_.finish(); }

  bool started() const { return !tracks_.empty(); }
  uint64_t fragments() const { return reader_.fragments(); }
  uint32_t skipped_tracks() const { return skipped_tracks_; }  // of codecs ringclip does not store
  const std::vector<TrackReport>& tracks() const { return reports_; }
  // True when the times came from prft boxes (exact), false: from an origin.
  bool exact_time() const { return exact_; }

 private:
  struct TrackWriter {
    uint32_t track_id;
    uint32_t timescale;
    mp4::PresentationStart start;  // where its edit list puts it on the movie timeline
    mp4::TrackKind kind;
    int64_t stream;                        // -1: ignored
    std::unique_ptr<SampleWriter> writer;  // video tracks that go to a stream
    // Its sample entries (0: the track's own, k: later_descriptions[k - 1]), and the one the
    // writer is configured with.
    std::vector<mp4::SampleDescription> descriptions;
    uint32_t configured = 0;
  };
  void on_init(const std::vector<mp4::Track>& tracks, const mp4::MovieHeader& header, uint32_t skipped_tracks) override;
  void on_samples(size_t index, const std::vector<mp4::Sample>& samples,
                  const mp4::ProducerReference* reference) override;
  // The movie time (µs) of a track's media time, as its edit list places it.
  __int128 movie_us(const TrackWriter& track, int64_t ticks) const;
  int64_t capture_us(const TrackWriter& track, int64_t ticks) const;

  SegmentStore& store_;
  Options options_;
  mp4::FragmentStreamReader reader_{*this};
  std::vector<TrackWriter> tracks_;
  std::vector<TrackReport> reports_;
  uint32_t skipped_tracks_ = 0;
  // The capture time (µs since the epoch) of movie time 0: from a prft (exact), from the
  // given origin, or from the movie header's creation time.
  __int128 origin_us_ = kNoOrigin;
  bool exact_ = false;
};

}  // namespace ringclip::store
