#include "h264/staged_sets.h"

namespace ringclip::h264::detail {

bool StagedSets::add_sps(const NalView& nal, size_t index, const ParameterSets& committed) {
  uint32_t id = peek_sps_id(nal);
  if (committed.same_sps_bytes(id, nal)) {
    // A repeat of the committed set after a different one in the same unit wins again.
    std::erase_if(sps_, [id](const Staged<Sps>& s) { return s.id == id; });
    return false;
  }
  sps_.push_back({id, index, parse_sps(nal)});
  return true;
}

bool StagedSets::add_pps(const NalView& nal, size_t index, const ParameterSets& committed) {
  uint32_t id = peek_pps_id(nal);
  if (committed.same_pps_bytes(id, nal)) {
    std::erase_if(pps_, [id](const Staged<Pps>& s) { return s.id == id; });
    return false;
  }
  pps_.push_back({id, index, parse_pps(nal, nullptr)});
  return true;
}

const Sps* StagedSets::sps(uint32_t id, const ParameterSets& committed) const {
  for (auto it = sps_.rbegin(); it != sps_.rend(); ++it) {
    if (it->id == id) return &it->parsed;
  }
  return committed.sps(id);
}

const Pps* StagedSets::pps(uint32_t id, const ParameterSets& committed) const {
  for (auto it = pps_.rbegin(); it != pps_.rend(); ++it) {
    if (it->id == id) return &it->parsed;
  }
  return committed.pps(id);
}

SliceSets StagedSets::slice_sets(uint32_t pps_id, const ParameterSets& committed) const {
  const Pps* p = pps(pps_id, committed);
  return SliceSets{p, p ? sps(p->sps_id, committed) : nullptr};
}

void StagedSets::commit(ParameterSets& sets, const std::vector<NalView>& nals) const {
  for (const auto& s : sps_) sets.put_sps(nals[s.index], s.parsed);
  for (const auto& p : pps_) sets.put_pps(nals[p.index], p.parsed);
}

}  // namespace ringclip::h264::detail
