// ParameterSets: the stream's current SPS/PPS tables with their raw NAL bytes.
#include "h264/parameter_sets.h"

#include <algorithm>
#include <atomic>

namespace ringclip::h264 {

namespace {

bool same_bytes(const std::vector<uint8_t>& stored, const NalView& nal) {
  return stored.size() == nal.size && std::equal(stored.begin(), stored.end(), nal.data);
}

}  // namespace

uint64_t ParameterSets::next_version() {
  static std::atomic<uint64_t> counter{1};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

bool ParameterSets::same_sps_bytes(uint32_t id, const NalView& nal) const {
  return id < 32 && sps_[id] && same_bytes(sps_[id]->bytes, nal);
}

bool ParameterSets::same_pps_bytes(uint32_t id, const NalView& nal) const {
  return id < 256 && pps_[id] && same_bytes(pps_[id]->bytes, nal);
}

bool ParameterSets::put_sps(const NalView& nal) {
  // Encoders repeat identical sets before every IDR: compare bytes before parsing.
  uint32_t id = peek_sps_id(nal);
  if (same_sps_bytes(id, nal)) return false;
  return put_sps(nal, parse_sps(nal));
}

bool ParameterSets::put_pps(const NalView& nal) {
  uint32_t id = peek_pps_id(nal);
  if (same_pps_bytes(id, nal)) return false;
  return put_pps(nal, parse_pps(nal, nullptr));
}

bool ParameterSets::put_sps(const NalView& nal, const Sps& parsed) {
  if (same_sps_bytes(parsed.id, nal)) return false;
  sps_[parsed.id] = StoredSps{parsed, std::vector<uint8_t>(nal.data, nal.data + nal.size)};
  version_ = next_version();
  return true;
}

bool ParameterSets::put_pps(const NalView& nal, const Pps& parsed) {
  if (same_pps_bytes(parsed.id, nal)) return false;
  pps_[parsed.id] = StoredPps{parsed, std::vector<uint8_t>(nal.data, nal.data + nal.size)};
  version_ = next_version();
  return true;
}

}  // namespace ringclip::h264
