// PresentationOrder: presentation slots from POC by the bumping process of C.4.5.3, with
// the DPB reduced to "reorder depth" waiting frames.
#include <algorithm>

#include "h264/access_unit.h"

namespace ringclip::h264 {

void PresentationOrder::assign_smallest_waiting() {
  Pending* best = nullptr;
  for (auto& p : pending_) {
    if (p.slot == kNoSlot && (!best || p.poc < best->poc)) best = &p;  // ties: decode order
  }
  if (best) {
    best->slot = next_slot_++;
    --waiting_;
  }
}

void PresentationOrder::assign_all_waiting() {
  while (waiting_ > 0) assign_smallest_waiting();
}

void PresentationOrder::release_ready() {
  // Decode order out: the store writes frames as they were decoded.
  while (!pending_.empty() && pending_.front().slot != kNoSlot) {
    Pending p = pending_.front();
    pending_.pop_front();
    on_release_(Released{p.token, p.decode_index, p.slot + depth_});
  }
}

void PresentationOrder::push(uint64_t token, int32_t poc, bool poc_reset) {
  // A new POC period: every frame of the old one is shown before any frame of the new.
  if (poc_reset) assign_all_waiting();
  pending_.push_back(Pending{token, next_decode_++, poc, kNoSlot});
  ++waiting_;
  // Slots are handed out in increasing POC once more frames wait than may be reordered. Each
  // push leaves at most depth_ frames waiting, so a frame decoded d-th gets a slot of at least
  // d - depth_: presentation_index = slot + depth_ is never below decode_index.
  while (waiting_ > depth_) assign_smallest_waiting();
  if (pending_.size() > kMaxPending && pending_.front().slot == kNoSlot) {
    pending_.front().slot = next_slot_++;
    --waiting_;
  }
  release_ready();
}

void PresentationOrder::finish() {
  assign_all_waiting();
  release_ready();
}

}  // namespace ringclip::h264
