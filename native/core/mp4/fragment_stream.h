#pragma once
// A fragmented MP4 byte stream read as it arrives (the device's live stream over HTTP, in
// any chunking): the init segment's tracks (H.264, AAC, camm), then each fragment's samples, parsed by
// the same moov/moof code as read_movie (reader_state.h). Bytes are buffered only until
// the box they belong to is whole; a fragment is its moof and the mdat after it.
#include <cstdint>
#include <optional>
#include <vector>

#include "mp4/movie.h"
#include "mp4/producer_reference.h"
#include "mp4/reader_state.h"
#include "util/bytes.h"

namespace ringclip::mp4 {

class FragmentStreamReader {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // The init segment: its tracks ringclip reads (no samples; edit lists included), its movie
    // header, and how many other tracks it skipped. Called again for a later init segment
    // (a live stream's parameter sets changed): the tracks are those from then on.
    virtual void on_init(const std::vector<Track>& tracks, const MovieHeader& header, uint32_t skipped_tracks) = 0;
    // One fragment's samples of tracks[index], in decode order; `reference` is the prft
    // that preceded the fragment, if any. Sample bytes are valid during the call only.
    virtual void on_samples(size_t index, const std::vector<Sample>& samples, const ProducerReference* reference) = 0;
  };

  // A box larger than this (a fragment's mdat included) is refused rather than buffered.
  static constexpr uint64_t kMaxBoxBytes = 256ull << 20;

  explicit FragmentStreamReader(Listener& listener) : listener_(listener) {}
  // Throws Error(InvalidData) for bytes that are not a fragmented MP4 stream; what was
  // reported to the listener before stays reported, and nothing more is accepted.
  void push(ByteSpan chunk);
  // The stream ended: throws when it ended inside a box.
  void finish();
  uint64_t buffered() const { return buffer_.size(); }
  uint64_t fragments() const { return fragments_; }

 private:
  bool parse_one();  // false: the next box is not whole yet
  void read_init(ByteSpan moov_bytes);
  void read_fragment_pair(ByteSpan bytes);
  void fail(const std::string& message);

  Listener& listener_;
  std::vector<uint8_t> buffer_;
  size_t consumed_ = 0;
  uint64_t stream_offset_ = 0;  // of buffer_[0], for messages
  bool have_init_ = false;
  bool failed_ = false;
  std::vector<TrackState> tracks_;
  std::vector<size_t> reported_;  // indexes into tracks_ of the tracks reported
  std::optional<ProducerReference> reference_;
  uint64_t fragments_ = 0;
};

}  // namespace ringclip::mp4
