// What a store reports about itself: info(), recovery(), verify() and its diagnostics.
#include <cstring>

#include "convert.h"
#include "errors.h"
#include "objects.h"
#include "store/store_info.h"

namespace ringclip::addon {

Napi::Value StoreObject::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    store::StoreInfo si = store::describe(*store_);
    Napi::Object o = Napi::Object::New(env);
    o.Set("capacity", double(si.capacity));
    o.Set("used", double(si.used));
    o.Set("segmentSize", double(si.segment_size));
    o.Set("segments", si.segments);
    o.Set("liveSegments", si.live_segments);
    o.Set("pinnedSegments", si.pinned_segments);
    o.Set("protectedBytes", double(si.protected_bytes));
    o.Set("protectCapBytes", double(si.protect_cap_bytes));
    o.Set("protections", si.protections);
    o.Set("currentDrive", si.current_drive);
    o.Set("overwrittenFrames", double(si.overwritten_frames));
    o.Set("droppedFrames", double(si.dropped_frames));
    o.Set("headerWrites", double(store_->header_writes()));
    Napi::Array streams = Napi::Array::New(env, si.streams.size());
    for (size_t i = 0; i < si.streams.size(); ++i) {
      const store::StreamInfo& s = si.streams[i];
      Napi::Object so = Napi::Object::New(env);
      so.Set("name", s.name);
      so.Set("kind", store::stream_kind_name(s.kind));
      so.Set("sampleRate", s.sample_rate);
      so.Set("channels", s.channels);
      so.Set("codec", s.codec.empty() ? env.Null() : Napi::String::New(env, s.codec));
      so.Set("width", s.width);
      so.Set("height", s.height);
      so.Set("profile", s.profile_idc);
      so.Set("level", s.level_idc);
      so.Set("frames", double(s.frames));
      so.Set("keyframes", double(s.keyframes));
      so.Set("idrFrames", double(s.idr_frames));
      so.Set("recoveryPoints", double(s.recovery_points));
      so.Set("bytes", double(s.bytes));
      so.Set("first", time_or_null(env, s.first_us));
      so.Set("last", time_or_null(env, s.last_us));
      so.Set("overwrittenFrames", double(s.overwritten_frames));
      so.Set("droppedFrames", double(s.dropped_frames));
      so.Set("rejectedUnits", double(s.rejected_units));
      streams.Set(uint32_t(i), so);
    }
    o.Set("streams", streams);
    Napi::Array drives = Napi::Array::New(env, si.drives.size());
    for (size_t i = 0; i < si.drives.size(); ++i) {
      const store::DriveInfo& d = si.drives[i];
      Napi::Object dobj = Napi::Object::New(env);
      dobj.Set("id", d.id);
      dobj.Set("first", time_or_null(env, d.first_us));
      dobj.Set("last", time_or_null(env, d.last_us));
      dobj.Set("frames", double(d.frames));
      Napi::Array names = Napi::Array::New(env, d.streams.size());
      for (size_t k = 0; k < d.streams.size(); ++k) names.Set(uint32_t(k), d.streams[k]);
      dobj.Set("streams", names);
      drives.Set(uint32_t(i), dobj);
    }
    o.Set("drives", drives);
    return o;
  });
}

Napi::Value StoreObject::Recovery(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const store::RecoveryReport& r = store_->recovery();
  Napi::Object o = Napi::Object::New(env);
  o.Set("segmentsScanned", double(r.segments_scanned));
  o.Set("segmentsFromIndex", double(r.segments_from_index));
  o.Set("indexBlocksRefused", double(r.index_blocks_refused));
  o.Set("recordsKept", double(r.records_kept));
  o.Set("damagedRecords", double(r.damaged_records));
  o.Set("damagedBytes", double(r.damaged_bytes));
  o.Set("tornTailRecords", double(r.torn_tail_records));
  o.Set("tornTailBytes", double(r.torn_tail_bytes));
  o.Set("usedBackupHeader", r.used_backup_header);
  o.Set("damagedSegmentHeaders", double(r.damaged_segment_headers));
  Napi::Array ranges = Napi::Array::New(env, r.damaged.size());
  for (size_t i = 0; i < r.damaged.size(); ++i) {
    Napi::Object d = Napi::Object::New(env);
    d.Set("segment", r.damaged[i].segment);
    d.Set("bytes", double(r.damaged[i].bytes));
    d.Set("records", double(r.damaged[i].records));
    d.Set("from", time_or_null(env, r.damaged[i].from_us));
    d.Set("to", time_or_null(env, r.damaged[i].to_us));
    ranges.Set(uint32_t(i), d);
  }
  o.Set("damaged", ranges);
  return o;
}

Napi::Value StoreObject::Verify(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    auto r = store_->verify();
    Napi::Object o = Napi::Object::New(env);
    o.Set("records", double(r.records));
    o.Set("bytes", double(r.bytes));
    o.Set("badRecords", double(r.bad_records));
    Napi::Array problems = Napi::Array::New(env, r.problems.size());
    for (size_t i = 0; i < r.problems.size(); ++i) problems.Set(uint32_t(i), r.problems[i]);
    o.Set("problems", problems);
    return o;
  });
}

// prepareStats(): what the thread preparing the writer's next segment did (diagnostic).
Napi::Value StoreObject::PrepareStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  store::PreparerStats s = store_->preparer_stats();
  Napi::Object o = Napi::Object::New(env);
  o.Set("segmentsPrepared", double(s.segments_prepared));
  o.Set("segmentsDiscarded", double(s.segments_discarded));
  o.Set("rangesReleased", double(s.ranges_released));
  o.Set("hintFailures", double(s.hint_failures));
  o.Set("lastError", s.last_errno ? Napi::Value(Napi::String::New(env, std::strerror(s.last_errno))) : env.Null());
  return o;
}

// headerWrites(): header slot writes since open (diagnostic; cheap, unlike info()).
Napi::Value StoreObject::HeaderWrites(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(store_->header_writes()));
}

}  // namespace ringclip::addon
