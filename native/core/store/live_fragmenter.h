#pragma once
// The writer's frames as a live fragmented MP4 (what the device serves the phone and live
// viewers): an init segment once every stream has reached a random access point, then a
// fragment per GOP per track, each preceded by a prft with its first frame's capture time.
// One call (poll) reads what the writer stored since the last one straight from the index,
// copies it out (so the ring may wrap under a fragment in flight) and returns the bytes
// that became ready. The 90 kHz clock of live streams lives here.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mp4/movie.h"
#include "store/segment_generation.h"
#include "store/segment_store.h"

namespace ringclip::store {

class LiveFragmenter {
 public:
  static constexpr uint32_t kTimescale = 90000;
  // A fragment never holds more than this much media: a long GOP (a parked timelapse's key
  // frame comes every 30 s) goes out in parts, so a viewer's delay stays bounded.
  static constexpr int64_t kMaxFragmentUs = 2'000'000;
  // Audio and metadata samples are all random access points: they go out in fragments of
  // this much, short enough for a live viewer's delay, long enough not to cost a moof each.
  static constexpr int64_t kTimedFragmentUs = 500'000;

  struct Options {
    std::vector<uint32_t> streams;
    std::vector<int64_t> cursors;  // per stream: frames with a dts after it are sent
    // Frames the writer reclaimed before they were read: skip to the next key frame (a live
    // viewer wants now) instead of failing with Error(Overrun).
    bool skip_overwritten = true;
  };
  // `snapshot`: for a read-only store (a writer in another process), checks every copy.
  LiveFragmenter(std::shared_ptr<SegmentStore> store, std::shared_ptr<const GenerationSnapshot> snapshot,
                 Options options);

  enum class Flush {
    None,     // only whole GOPs (a GOP is whole when the next one starts)
    Pending,  // the writer went quiet: the GOPs in progress too; they continue in later fragments
    Final,    // the stream ends: the GOPs in progress, their last frame lasting as the one before
  };
  struct Step {
    std::vector<uint8_t> bytes;     // init segment and/or fragments in order; empty: nothing ready
    bool more = false;              // frames beyond the batch are waiting: poll again at once
    int64_t origin_us = INT64_MIN;  // set on the step that carries the init segment
    uint64_t skipped_frames = 0;    // lost to the writer's wrap (skip_overwritten)
    uint64_t held_frames = 0;       // read but not sent yet (GOPs in progress)
  };
  // Reads up to `max_frames` new frames per stream. Throws Error(Overrun) when frames were
  // reclaimed before they were read and skip_overwritten is off, or when the parameter sets
  // of a stream were overwritten before the stream started.
  Step poll(uint32_t max_frames, Flush flush);

 private:
  struct Frame {
    int64_t dts, pts;
    uint8_t random_access;
    uint32_t config;
    std::vector<uint8_t> payload;
  };
  struct Track {
    uint32_t stream;
    int64_t cursor;
    // Waiting for a random access point (the start, or after a skip). After a flush of the
    // GOP in progress it stays false: the rest of that GOP continues in the next fragment.
    bool need_key = true;
    uint32_t config = 0;  // of the first random access point: the track's sample entry
    std::vector<Frame> gop;
    std::vector<Frame> waiting;          // frames read before the init segment could go out
    int64_t last_dts_ticks = INT64_MIN;  // of the last sample sent: the next decodes later
  };
  bool read_new(Track& t, uint32_t max_frames, Step& step);
  // One frame into its track's fragments (the GOP it ends goes out; a new configuration
  // brings a new init segment; a GOP longer than kMaxFragmentUs goes out in parts).
  void take(size_t index, Frame f, Step& step);
  void start_movie(Step& step);
  // The track's sample entry from the stream configuration `config` (false: overwritten).
  bool describe_track(size_t index, uint32_t config);
  // A frame whose parameter sets differ from its track's sample entry: the fragment so far
  // goes out, then a new init segment with the new entry (MSE and the ingest re-initialize).
  void change_configuration(size_t index, uint32_t config, int64_t next_dts, Step& step);
  void append_fragment(size_t index, std::vector<Frame>& frames, int64_t next_dts, Step& step);
  uint64_t ticks(int64_t us, uint32_t timescale) const;

  std::shared_ptr<SegmentStore> store_;
  std::shared_ptr<const GenerationSnapshot> snapshot_;
  bool skip_overwritten_;
  std::vector<Track> tracks_;
  bool started_ = false;
  int64_t base_us_ = 0;
  uint32_t sequence_ = 1;
  mp4::Movie movie_;  // the tracks' descriptions (no samples)
};

}  // namespace ringclip::store
