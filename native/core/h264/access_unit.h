#pragma once
// Access units (H.264 7.4.1.2.3): the NAL units of one primary coded picture plus the
// non-VCL units that precede it. A frame of four slices is one access unit.
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "h264/nal.h"
#include "h264/parameter_sets.h"
#include "h264/slice_header.h"
#include "h264/staged_sets.h"

namespace ringclip::h264 {

// Random access points. A non-IDR I picture with a recovery point SEI (open GOP) is a
// different kind from an IDR and never confused with one.
enum class RandomAccess : uint8_t { None = 0, Idr = 1, Recovery = 2 };

// random_access is Idr for an IDR picture (nal_unit_type 5). It is Recovery for a non-IDR
// picture whose slices are all I or SI and whose unit carries a recovery point SEI: a
// decoder can start there (open GOP; frames after it in decode order but before it in
// output may be undecodable, which recovery_frame_cnt and POC tell). A recovery point SEI
// on a picture with P or B slices (gradual decoding refresh) is None: starting there needs
// frames before it.
struct AccessUnit {
  std::vector<NalView> nals;  // every NAL unit of the unit in order (AUD, SPS, PPS, SEI, slices, others)
  RandomAccess random_access = RandomAccess::None;
  uint32_t recovery_frame_cnt = 0;  // for RandomAccess::Recovery
  int32_t poc = 0;                  // picture order count (8.2.1)
  bool poc_reset = false;           // IDR or MMCO5: presentation order restarts here
  uint32_t sps_id = 0;
  uint32_t pps_id = 0;
  bool parameter_sets_changed = false;  // an SPS/PPS in this unit differs from the one before
  uint8_t primary_slice_type = 0;       // slice_type % 5 of the first slice
  uint8_t nal_ref_idc = 0;
  uint32_t slice_count = 0;  // NAL units with a slice header (types 1, 2, 5)
};

// Analyzes the NAL units of one complete access unit (what store.write() receives): updates
// `sets` with any SPS/PPS it carries, parses the first slice header, computes POC. Throws
// Error(InvalidData) when there is no slice, a slice names a missing PPS/SPS, or headers
// do not parse; `sets` and `poc` are then left as they were.
AccessUnit analyze_access_unit(std::vector<NalView> nals, ParameterSets& sets, PocState& poc);

// Groups a stream of NAL units in decode order into access units by the rules of
// 7.4.1.2.3 / 7.4.1.2.4. The assembler copies the bytes it holds, so callers may hand it
// views that die after push() — unless they say the bytes stay valid (`stable`: they lie in
// the caller's current input chunk), in which case it keeps the view until own_borrowed().
// Completed units are reported through the callback, whose views are valid during the call
// only (or, for borrowed bytes, until the caller's chunk ends).
class AccessUnitAssembler {
 public:
  using Callback = std::function<void(const AccessUnit&)>;
  explicit AccessUnitAssembler(Callback on_unit) : on_unit_(std::move(on_unit)) {}
  void push(const NalView& nal, bool stable = false);
  // The caller's chunk ends: the unit being collected copies the bytes it borrowed from it.
  void own_borrowed();
  void finish();  // reports the last unit
  ParameterSets& parameter_sets() { return sets_; }
  // From inside the callback: takes the buffer the unit's copied views point into, so a
  // caller that keeps the unit (held for presentation order) needs no copy. The views stay
  // valid (a moved vector keeps its storage); the assembler goes on with `spare`, cleared.
  // Views of borrowed bytes still point into the caller's chunk.
  std::vector<uint8_t> take_unit_bytes(std::vector<uint8_t> spare);
  // Units that did not parse (or held no slice), dropped. The callback's own exceptions
  // propagate to the caller of push()/finish() and are not counted.
  uint64_t rejected_units() const { return rejected_; }

 private:
  bool starts_new_unit(const NalView& nal, const SliceHeader* header);
  bool parse_for_boundary(const NalView& nal, SliceHeader& out) const;
  void complete_unit();
  void reset_unit();

  Callback on_unit_;
  ParameterSets sets_;
  PocState poc_;
  struct Span {
    const uint8_t* borrowed;  // the caller's bytes (stable until own_borrowed), or null: in bytes_
    size_t offset;            // in bytes_ when not borrowed
    size_t size;
  };
  std::vector<uint8_t> bytes_;  // the copied NAL bytes of the unit being collected
  std::vector<Span> spans_;     // each NAL of the unit, in order
  bool have_vcl_ = false;
  SliceHeader last_slice_;
  bool last_slice_valid_ = false;  // last_slice_ parsed (a slice naming a missing PPS does not)
  bool after_end_ = false;         // an end of sequence/stream NAL closed the unit
  detail::StagedSets staged_;      // SPS/PPS of the unit being collected, for its slice headers
  uint64_t rejected_ = 0;
};

// Presentation timestamps for streams that carry only decode order (raw files with
// B-frames). Frames are pushed in decode order with their POC; each is released, in decode
// order, once its presentation rank is certain (after the stream's reorder depth, or at a
// POC reset, or at finish()). The rank counts presentation slots from the first frame:
// pts = start + (rank + delay) * frame_duration, dts = start + decode_index * frame_duration,
// with `delay` the reorder depth so that pts >= dts always holds.
class PresentationOrder {
 public:
  struct Released {
    uint64_t token;               // what the caller passed to push()
    uint64_t decode_index;        // 0, 1, 2, ...
    uint64_t presentation_index;  // includes the constant delay
  };
  using Callback = std::function<void(const Released&)>;
  PresentationOrder(uint32_t reorder_depth, Callback on_release)
      : depth_(reorder_depth), on_release_(std::move(on_release)) {}
  void push(uint64_t token, int32_t poc, bool poc_reset);
  void finish();

 private:
  static constexpr uint64_t kNoSlot = UINT64_MAX;
  // Beyond this many held frames (a stream whose POCs never let the oldest go), the oldest
  // frame is given the next slot anyway: memory stays bounded, indexes stay unique.
  static constexpr size_t kMaxPending = 512;

  void assign_smallest_waiting();
  void assign_all_waiting();
  void release_ready();

  uint32_t depth_;
  Callback on_release_;
  struct Pending {
    uint64_t token;
    uint64_t decode_index;
    int32_t poc;
    uint64_t slot;
  };
  std::deque<Pending> pending_;  // frames not yet released, in decode order
  uint64_t next_decode_ = 0;
  uint64_t next_slot_ = 0;  // presentation slot the next assignment gets
  uint32_t waiting_ = 0;    // frames in pending_ without a slot (all of the current period)
};

}  // namespace ringclip::h264
