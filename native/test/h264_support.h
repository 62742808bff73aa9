#pragma once
// Helpers shared by the h264_*.cpp tests: whole-stream runs, hashes, and a bit writer for
// crafting parameter sets and slice headers that the fixtures do not contain.
#include <cstdint>
#include <string>
#include <vector>

#include "h264/access_unit.h"
#include "h264/annexb.h"

namespace ringclip::test {

inline uint64_t fnv1a(const uint8_t* data, size_t size, uint64_t h = 1469598103934665603ull) {
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 1099511628211ull;
  return h;
}

// What a test remembers of one access unit (the views die after the callback).
struct UnitSummary {
  size_t bytes = 0;
  uint64_t hash = 0;  // over every NAL unit's bytes and size
  h264::RandomAccess random_access = h264::RandomAccess::None;
  int32_t poc = 0;
  bool poc_reset = false;
  uint32_t slice_count = 0;
  size_t nal_count = 0;
  uint8_t first_nal_type = 0;
  uint8_t primary_slice_type = 0;
  bool parameter_sets_changed = false;
  uint32_t recovery_frame_cnt = 0;
  bool operator==(const UnitSummary&) const = default;
};

inline UnitSummary summarize(const h264::AccessUnit& unit) {
  UnitSummary s;
  s.hash = 1469598103934665603ull;
  for (const auto& nal : unit.nals) {
    s.bytes += nal.size;
    uint8_t size_bytes[8];
    for (int i = 0; i < 8; ++i) size_bytes[i] = uint8_t(uint64_t(nal.size) >> (8 * i));
    s.hash = fnv1a(size_bytes, 8, s.hash);
    s.hash = fnv1a(nal.data, nal.size, s.hash);
  }
  s.random_access = unit.random_access;
  s.poc = unit.poc;
  s.poc_reset = unit.poc_reset;
  s.slice_count = unit.slice_count;
  s.nal_count = unit.nals.size();
  s.first_nal_type = unit.nals.empty() ? 0 : unit.nals[0].type();
  s.primary_slice_type = unit.primary_slice_type;
  s.parameter_sets_changed = unit.parameter_sets_changed;
  s.recovery_frame_cnt = unit.recovery_frame_cnt;
  return s;
}

struct StreamResult {
  std::vector<UnitSummary> units;
  uint64_t rejected = 0;
  uint64_t skipped = 0;
  h264::ParameterSets sets;
};

// Feeds `bytes` to an AnnexBScanner in chunks of the sizes `next_chunk()` returns, then
// assembles access units.
template <typename NextChunk>
StreamResult run_stream(const std::vector<uint8_t>& bytes, NextChunk next_chunk) {
  StreamResult result;
  h264::AccessUnitAssembler assembler([&](const h264::AccessUnit& u) { result.units.push_back(summarize(u)); });
  h264::AnnexBScanner scanner;
  auto on_nal = [&](const h264::NalView& nal) { assembler.push(nal); };
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t n = std::min<size_t>(next_chunk(), bytes.size() - pos);
    scanner.feed(bytes.data() + pos, n, on_nal);
    pos += n;
  }
  scanner.finish(on_nal);
  assembler.finish();
  result.rejected = assembler.rejected_units();
  result.skipped = scanner.skipped_bytes();
  result.sets = assembler.parameter_sets();
  return result;
}

inline StreamResult run_stream(const std::vector<uint8_t>& bytes) {
  return run_stream(bytes, [&] { return bytes.size() ? bytes.size() : 1; });
}

// Every NAL unit of a complete Annex B buffer, copied.
inline std::vector<std::vector<uint8_t>> split_nals(const std::vector<uint8_t>& bytes) {
  std::vector<std::vector<uint8_t>> nals;
  h264::for_each_nal(bytes.data(), bytes.size(),
                     [&](const h264::NalView& n) { nals.emplace_back(n.data, n.data + n.size); });
  return nals;
}

// Joins NAL units with the given start code (3 or 4 bytes).
inline std::vector<uint8_t> join_nals(const std::vector<std::vector<uint8_t>>& nals, int start_code_size) {
  std::vector<uint8_t> out;
  for (const auto& n : nals) {
    for (int i = 0; i < start_code_size - 1; ++i) out.push_back(0);
    out.push_back(1);
    out.insert(out.end(), n.begin(), n.end());
  }
  return out;
}

// Deterministic generator for tests (no <random> distribution differences across libraries).
struct SplitMix {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }
};

// Writes RBSP bits MSB first; nal() adds the header byte, the stop bit and emulation prevention.
class BitWriter {
 public:
  void bits(unsigned n, uint64_t v) {
    for (unsigned i = n; i-- > 0;) bit((v >> i) & 1);
  }
  void bit(bool b) {
    if (used_ == 0) out_.push_back(0);
    if (b) out_.back() |= uint8_t(0x80 >> used_);
    used_ = (used_ + 1) & 7;
  }
  void flag(bool b) { bit(b); }
  void ue(uint32_t v) {
    uint64_t x = uint64_t(v) + 1;
    unsigned len = 0;
    while ((x >> len) > 1) ++len;
    bits(len, 0);
    bits(len + 1, x);
  }
  void se(int32_t v) { ue(v > 0 ? uint32_t(2 * int64_t(v) - 1) : uint32_t(-2 * int64_t(v))); }
  std::vector<uint8_t> nal(uint8_t header, bool stop_bit = true) const {
    BitWriter copy = *this;
    if (stop_bit) {
      copy.bit(true);
      while (copy.used_ != 0) copy.bit(false);
    }
    std::vector<uint8_t> out{header};
    unsigned zeros = 0;
    for (uint8_t b : copy.out_) {
      if (zeros >= 2 && b <= 3) {
        out.push_back(3);
        zeros = 0;
      }
      out.push_back(b);
      zeros = b == 0 ? zeros + 1 : 0;
    }
    return out;
  }

 private:
  std::vector<uint8_t> out_;
  unsigned used_ = 0;
};

inline h264::NalView view(const std::vector<uint8_t>& v) { return h264::NalView{v.data(), v.size()}; }

}  // namespace ringclip::test
