// AccessUnitAssembler: finds access unit boundaries in a NAL unit stream (7.4.1.2.3/7.4.1.2.4).
#include <string>

#include "h264/access_unit.h"
#include "util/error.h"

namespace ringclip::h264 {

namespace {

// NAL unit types that, after a slice, can only belong to the next access unit.
bool opens_unit_after_slice(uint8_t type) {
  return type == kNalAud || type == kNalSps || type == kNalPps || type == kNalSei || (type >= 14 && type <= 18);
}

}  // namespace

bool AccessUnitAssembler::parse_for_boundary(const NalView& nal, SliceHeader& out) const {
  try {
    out = parse_slice_header(nal, [this](uint32_t pps_id) { return staged_.slice_sets(pps_id, sets_); });
    return true;
  } catch (const Error&) {
    return false;
  }
}

bool AccessUnitAssembler::starts_new_unit(const NalView& nal, const SliceHeader* header) {
  if (spans_.empty()) return false;
  if (after_end_) return true;
  if (!have_vcl_) return false;  // non-VCL units gathering before the picture
  uint8_t type = nal.type();
  if (opens_unit_after_slice(type)) return true;
  if (!has_slice_header(type)) return false;  // partitions B/C, filler, end of sequence, ...

  if (header && last_slice_valid_) {
    const Sps* sps = staged_.sps(header->sps_id, sets_);
    return !sps || first_slice_of_new_picture(last_slice_, *header, *sps);
  }
  // Without parameter sets (a stream joined mid-way) the header cannot be compared; a slice
  // starting at macroblock 0 begins a picture in every stream without arbitrary slice order.
  try {
    return peek_slice_prefix(nal).first_mb_in_slice == 0;
  } catch (const Error&) {
    return false;
  }
}

void AccessUnitAssembler::push(const NalView& nal, bool stable) {
  if (nal.size == 0) return;
  uint8_t type = nal.type();
  // One parse serves both the boundary test and the memory of the unit's last slice. A
  // slice never changes the sets, so resolving before a boundary commits them is the same.
  SliceHeader header;
  bool header_ok = has_slice_header(type) && parse_for_boundary(nal, header);
  if (starts_new_unit(nal, header_ok ? &header : nullptr)) complete_unit();

  if (stable) {
    spans_.push_back(Span{nal.data, 0, nal.size});
  } else {
    spans_.push_back(Span{nullptr, bytes_.size(), nal.size});
    bytes_.insert(bytes_.end(), nal.data, nal.data + nal.size);
  }

  // Sets in this unit apply to its slices; a bad one just leaves the slices unparsed here
  // (analyze_access_unit rejects the unit).
  try {
    if (type == kNalSps) staged_.add_sps(nal, spans_.size() - 1, sets_);
    if (type == kNalPps) staged_.add_pps(nal, spans_.size() - 1, sets_);
  } catch (const Error&) {
  }
  if (has_slice_header(type)) {
    last_slice_valid_ = header_ok;
    if (header_ok) last_slice_ = header;
  }
  if (nal.is_vcl()) have_vcl_ = true;
  if (type == kNalEndOfSequence || type == kNalEndOfStream) after_end_ = true;
}

void AccessUnitAssembler::finish() {
  if (!spans_.empty()) complete_unit();
}

void AccessUnitAssembler::own_borrowed() {
  for (Span& span : spans_) {
    if (!span.borrowed) continue;
    size_t offset = bytes_.size();
    bytes_.insert(bytes_.end(), span.borrowed, span.borrowed + span.size);
    span = Span{nullptr, offset, span.size};
  }
}

std::vector<uint8_t> AccessUnitAssembler::take_unit_bytes(std::vector<uint8_t> spare) {
  spare.clear();
  std::swap(bytes_, spare);
  return spare;
}

void AccessUnitAssembler::reset_unit() {
  bytes_.clear();
  spans_.clear();
  have_vcl_ = false;
  last_slice_valid_ = false;
  after_end_ = false;
  staged_.clear();
}

void AccessUnitAssembler::complete_unit() {
  std::vector<NalView> nals;
  nals.reserve(spans_.size());
  for (const Span& span : spans_)
    nals.push_back(NalView{span.borrowed ? span.borrowed : bytes_.data() + span.offset, span.size});

  // The unit's state is dropped even if the callback throws, so the next push starts clean.
  struct ResetOnExit {
    AccessUnitAssembler* self;
    ~ResetOnExit() { self->reset_unit(); }
  } reset{this};

  AccessUnit unit;
  try {
    unit = analyze_access_unit(std::move(nals), sets_, poc_);
  } catch (const Error&) {
    ++rejected_;
    return;
  }
  on_unit_(unit);
}

}  // namespace ringclip::h264
