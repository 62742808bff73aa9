#pragma once
// Parameter sets met inside one access unit, held apart from the stream's committed sets
// until the whole unit has parsed: a unit that fails leaves the stream's sets untouched,
// and its slices are still parsed with the sets that precede them in the unit.
#include <cstddef>
#include <vector>

#include "h264/parameter_sets.h"
#include "h264/slice_header.h"

namespace ringclip::h264::detail {

class StagedSets {
 public:
  // Stage the set carried by nals[index] when its bytes differ from the committed one (the
  // only case that parses). Returns true when it differs. Throws Error(InvalidData).
  bool add_sps(const NalView& nal, size_t index, const ParameterSets& committed);
  bool add_pps(const NalView& nal, size_t index, const ParameterSets& committed);

  // The staged set with that id if any, else the committed one.
  const Sps* sps(uint32_t id, const ParameterSets& committed) const;
  const Pps* pps(uint32_t id, const ParameterSets& committed) const;
  // The PPS with that id and the SPS it names, each staged or committed: a slice's sets.
  SliceSets slice_sets(uint32_t pps_id, const ParameterSets& committed) const;

  // Stores the staged sets (in unit order) into `sets`; `nals` are the unit's NAL units.
  void commit(ParameterSets& sets, const std::vector<NalView>& nals) const;
  void clear() {
    sps_.clear();
    pps_.clear();
  }

 private:
  template <typename T>
  struct Staged {
    uint32_t id;
    size_t index;  // of the NAL unit in its access unit
    T parsed;
  };
  std::vector<Staged<Sps>> sps_;
  std::vector<Staged<Pps>> pps_;
};

}  // namespace ringclip::h264::detail
