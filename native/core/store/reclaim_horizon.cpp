#include "store/reclaim_horizon.h"

#include <algorithm>

#include "store/format.h"

namespace ringclip::store {

uint32_t horizon_lookahead(uint32_t segment_count) {
  return std::min<uint32_t>(128, std::max<uint32_t>(2, segment_count / 16));
}

std::vector<uint32_t> predict_reclaim_order(const std::vector<HorizonSegment>& segments,
                                            const std::vector<uint32_t>& exclude, uint32_t count) {
  auto excluded = [&](uint32_t i) { return std::find(exclude.begin(), exclude.end(), i) != exclude.end(); };
  std::vector<uint32_t> out;
  for (uint32_t i = 0; i < segments.size() && out.size() < count; ++i)
    if (!segments[i].live && !excluded(i)) out.push_back(i);
  if (out.size() >= count) return out;
  std::vector<uint32_t> live;
  for (uint32_t i = 0; i < segments.size(); ++i)
    if (segments[i].live && !segments[i].protected_ && !excluded(i)) live.push_back(i);
  std::sort(live.begin(), live.end(), [&](uint32_t a, uint32_t b) { return segments[a].seq < segments[b].seq; });
  for (uint32_t i : live) {
    if (out.size() >= count) break;
    out.push_back(i);
  }
  return out;
}

bool build_horizon(const std::vector<HorizonSegment>& segments, uint32_t current, uint32_t starting,
                   uint64_t durable_seq, std::vector<uint32_t>& out, const std::vector<uint32_t>& also) {
  out.clear();
  auto add = [&](uint32_t i) {
    if (i < segments.size() && std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
  };
  add(current);
  add(starting);
  for (uint32_t i : also) add(i);
  for (uint32_t i = 0; i < segments.size(); ++i) {
    const HorizonSegment& s = segments[i];
    if (s.live && (s.first_record_seq >= durable_seq || s.next_record_seq > durable_seq)) add(i);
    if (s.live && s.sealed && s.next_record_seq >= durable_seq) add(i);
    if (s.live && s.has_holes) add(i);
  }
  for (uint32_t i : predict_reclaim_order(segments, out, horizon_lookahead(uint32_t(segments.size())))) add(i);
  if (out.size() > kMaxHorizon) {
    out.clear();
    return false;
  }
  return true;
}

bool build_closed_horizon(const std::vector<HorizonSegment>& segments, std::vector<uint32_t>& out) {
  out.clear();
  for (uint32_t i = 0; i < segments.size(); ++i)
    if (segments[i].live && segments[i].has_holes) out.push_back(i);
  if (out.size() > kMaxHorizon) {
    out.clear();
    return false;
  }
  return true;
}

}  // namespace ringclip::store
