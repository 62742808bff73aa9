#include "store/stream_ingest.h"

#include <cmath>
#include <cstdio>
#include <cstring>

#include "util/error.h"
#include "util/time_range.h"

namespace ringclip::store {

StreamIngest::StreamIngest(SegmentStore& store, uint32_t stream, double fps, int64_t start_us)
    : store_(store), stream_(stream), fps_(fps), start_us_(start_us), assembler_([this](const h264::AccessUnit& unit) {
        on_unit(unit);
      }) {
  if (stream >= store.streams().size())
    throw Error(ErrorCode::InvalidArgument, "no stream number " + std::to_string(stream));
  if (fps < 0 || fps > 1000 || std::isnan(fps))
    throw Error(ErrorCode::InvalidArgument, "fps must be between 0 (exclusive) and 1000");
  check_time("a write stream's start", start_us);
}

void StreamIngest::feed(const uint8_t* data, size_t size) {
  store_.check_open();  // also when the chunk would only be buffered
  chunk_begin_ = data;
  chunk_end_ = data + size;
  // Whatever happens (a store error propagates), nothing may keep pointing into the chunk.
  struct ChunkEnds {
    StreamIngest* self;
    ~ChunkEnds() {
      self->assembler_.own_borrowed();
      self->own_held();
      self->chunk_begin_ = self->chunk_end_ = nullptr;
    }
  } chunk_ends{this};
  scanner_.feed(data, size, [this](const h264::NalView& nal) { assembler_.push(nal, in_chunk(nal.data)); });
  count_rejections();
}

void StreamIngest::own_held() {
  for (Held& h : held_) {
    bool borrows = false;
    for (const h264::NalView& nal : h.unit.nals) borrows = borrows || in_chunk(nal.data);
    if (!borrows) continue;
    size_t total = 0;
    for (const h264::NalView& nal : h.unit.nals) total += nal.size;
    std::vector<uint8_t> bytes = take_spare_buffer();
    bytes.resize(total);
    size_t at = 0;
    for (h264::NalView& nal : h.unit.nals) {
      std::memcpy(bytes.data() + at, nal.data, nal.size);
      nal.data = bytes.data() + at;
      at += nal.size;
    }
    h.bytes.swap(bytes);
    give_back_buffer(std::move(bytes));
  }
}

std::vector<uint8_t> StreamIngest::take_spare_buffer() {
  if (spare_buffers_.empty()) return {};
  std::vector<uint8_t> b = std::move(spare_buffers_.back());
  spare_buffers_.pop_back();
  return b;
}

void StreamIngest::give_back_buffer(std::vector<uint8_t> buffer) {
  // A few buffers cover the units in flight (the reorder depth); their capacity is what
  // saves the allocations and first-touch page faults of a fresh buffer per frame.
  if (spare_buffers_.size() < 4) spare_buffers_.push_back(std::move(buffer));
}

void StreamIngest::finish() {
  store_.check_open();
  scanner_.finish([this](const h264::NalView& nal) { assembler_.push(nal); });
  assembler_.finish();
  if (order_) order_->finish();
  count_rejections();
}

void StreamIngest::count_rejections() {
  // Units that did not parse count in the store's info() as well as in this ingest's stats.
  uint64_t now = assembler_.rejected_units();
  if (now > rejected_counted_) store_.count_rejected(stream_, now - rejected_counted_);
  rejected_counted_ = now;
}

void StreamIngest::on_unit(const h264::AccessUnit& unit) {
  if (!order_) {
    const h264::Sps* sps = assembler_.parameter_sets().sps(unit.sps_id);
    if (fps_ == 0) {
      fps_ = sps ? sps->vui_fps() : 0;
      if (!(fps_ > 0 && fps_ <= 1000))
        throw Error(ErrorCode::InvalidArgument,
                    "stream '" + store_.streams()[stream_].name +
                        "' carries no frame rate (no VUI timing in its SPS): give the frame rate (fps) explicitly");
    }
    depth_ = sps ? sps->reorder_depth() : 0;
    order_ = std::make_unique<h264::PresentationOrder>(
        depth_, [this](const h264::PresentationOrder::Released& r) { on_release(r); });
  }
  Held h;
  h.token = next_token_++;
  h.config_id = store_.config_for(stream_, unit, assembler_.parameter_sets());
  h.unit = unit;
  h.bytes = assembler_.take_unit_bytes(take_spare_buffer());
  held_.push_back(std::move(h));
  order_->push(held_.back().token, unit.poc, unit.poc_reset);
}

void StreamIngest::on_release(const h264::PresentationOrder::Released& r) {
  // Releases come in decode order, so the unit is the oldest one held.
  Held h = std::move(held_.front());
  held_.pop_front();
  int64_t dts = frame_time("decode", r.decode_index);
  int64_t pts = frame_time("presentation", r.presentation_index);
  WriteResult w = store_.append(stream_, h.unit, h.config_id, pts, dts, pts);
  if (w.stored)
    stored_++;
  else
    dropped_++;
  give_back_buffer(std::move(h.bytes));
}

int64_t StreamIngest::frame_time(const char* what, uint64_t index) const {
  // A tiny frame rate (fps is a double; VUI timing can claim one frame an hour) can carry
  // the n-th frame past the latest time a store holds; decode times start `depth_` frames
  // before `start`, so a stream starting at the epoch with B-frames reaches before 1970.
  // Checked in double before converting, so the conversion itself stays defined.
  const double offset_us = (double(index) - depth_) * (1e6 / fps_);
  const double time_us = double(start_us_) + offset_us;
  if (!(time_us >= double(kMinTimeUs) && time_us <= double(kMaxTimeUs))) {
    char value[48], fps[32];
    std::snprintf(value, sizeof value, std::fabs(time_us) < 1e18 ? "%.0f" : "%.6g", time_us);
    std::snprintf(fps, sizeof fps, "%g", fps_);
    throw Error(ErrorCode::InvalidArgument,
                "stream '" + store_.streams()[stream_].name + "': the " + what + " time of frame " +
                    std::to_string(index) + " (from the start " + iso_time_us(start_us_) + " at " + fps + " fps" +
                    (depth_ ? ", " + std::to_string(depth_) + " frames of reordering" : std::string()) + ") is " +
                    value + " µs, outside the times ringclip holds: " + time_range_text());
  }
  const int64_t us = start_us_ + int64_t(std::llround(offset_us));
  check_time(what, us);  // rounding at the very edge of the range
  return us;
}

}  // namespace ringclip::store
