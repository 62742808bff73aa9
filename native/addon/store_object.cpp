#include <cstring>
#include <string>

#include "addon_data.h"
#include "convert.h"
#include "errors.h"
#include "objects.h"
#include "store/frame_spans.h"
#include "store/segment_generation.h"
#include "store/store_copy.h"
#include "store/store_info.h"

namespace ringclip::addon {
namespace {

double num(int64_t v) { return double(v); }
Napi::Value time_or_null(Napi::Env env, int64_t us) {
  if (us == INT64_MIN || us == INT64_MAX) return env.Null();
  return Napi::Number::New(env, double(us));
}

// Flushes (msync) the ranges written so far, off the JS thread. Back on the JS thread the
// store advances its durable watermark (rewriting the header, synchronously) once every
// earlier flush has completed too.
class FlushWorker : public Napi::AsyncWorker {
 public:
  FlushWorker(Napi::Env env, std::shared_ptr<store::SegmentStore> s, store::SegmentStore::FlushTicket ticket)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), store_(std::move(s)),
        watermark_(ticket.watermark), ranges_(std::move(ticket.ranges)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    std::shared_lock<std::shared_mutex> lock(store_->mapping_lock());
    if (store_->closed()) return;  // close() synced everything itself
    try {
      store_->sync(ranges_);
    } catch (const Error& e) {
      code_ = e.code();
      SetError(e.what());
    }
  }
  void OnOK() override {
    try {
      store_->end_flush(watermark_, true);
    } catch (const Error& e) {
      deferred_.Reject(to_js_error(Env(), e.code(), e.what()).Value());
      return;
    }
    deferred_.Resolve(Env().Undefined());
  }
  void OnError(const Napi::Error& e) override {
    try {
      store_->end_flush(watermark_, false);
    } catch (const Error&) {
      // the flush error below is the one to report
    }
    deferred_.Reject(to_js_error(Env(), code_, e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<store::SegmentStore> store_;
  uint64_t watermark_;
  std::vector<store::SegmentStore::Range> ranges_;
  ErrorCode code_ = ErrorCode::Io;
};

}  // namespace

Napi::Function StoreObject::Define(Napi::Env env) {
  return DefineClass(env, "NativeStore",
                     {
                         StaticMethod<&StoreObject::Create>("create"),
                         StaticMethod<&StoreObject::Open>("open"),
                         InstanceMethod<&StoreObject::Write>("write"),
                         InstanceMethod<&StoreObject::WriteAudio>("writeAudio"),
                         InstanceMethod<&StoreObject::WriteMetadata>("writeMetadata"),
                         InstanceMethod<&StoreObject::TakeEvents>("takeEvents"),
                         InstanceMethod<&StoreObject::CopyTo>("copyTo"),
                         InstanceMethod<&StoreObject::Info>("info"),
                         InstanceMethod<&StoreObject::Recovery>("recovery"),
                         InstanceMethod<&StoreObject::Protect>("protect"),
                         InstanceMethod<&StoreObject::ReleaseProtection>("releaseProtection"),
                         InstanceMethod<&StoreObject::Protections>("protections"),
                         InstanceMethod<&StoreObject::Flush>("flush"),
                         InstanceMethod<&StoreObject::Close>("close"),
                         InstanceMethod<&StoreObject::Verify>("verify"),
                         InstanceMethod<&StoreObject::ListFrames>("listFrames"),
                         InstanceMethod<&StoreObject::ListFramesAfter>("listFramesAfter"),
                         InstanceMethod<&StoreObject::Spans>("spans"),
                         InstanceMethod<&StoreObject::StreamConfig>("streamConfig"),
                         InstanceMethod<&StoreObject::LastDts>("lastDts"),
                         InstanceMethod<&StoreObject::PinIfLive>("pinIfLive"),
                         InstanceMethod<&StoreObject::Unpin>("unpin"),
                         InstanceMethod<&StoreObject::SegmentBuffer>("segmentBuffer"),
                         InstanceMethod<&StoreObject::ReadFrame>("readFrame"),
                         InstanceMethod<&StoreObject::CreateIngest>("createIngest"),
                         InstanceMethod<&StoreObject::CreateSampleWriter>("createSampleWriter"),
                         InstanceMethod<&StoreObject::CreateFragmentedIngest>("createFragmentedIngest"),
                         InstanceMethod<&StoreObject::CreateLiveFragmenter>("createLiveFragmenter"),
                         InstanceMethod<&StoreObject::Clip>("clip"),
                         InstanceMethod<&StoreObject::Header>("header"),
                         InstanceMethod<&StoreObject::HeaderWrites>("headerWrites"),
                         InstanceMethod<&StoreObject::PrepareStats>("prepareStats"),
                     });
}

StoreObject::StoreObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StoreObject>(info) {}

Napi::Value StoreObject::Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::string path = info[0].As<Napi::String>();
    Napi::Object o = info[1].As<Napi::Object>();
    store::SegmentStore::CreateOptions opts;
    opts.capacity = to_safe_uint64(o.Get("capacity"), "capacity");
    opts.segment_size = o.Get("segmentSize").As<Napi::Number>().Uint32Value();
    Napi::Array streams = o.Get("streams").As<Napi::Array>();
    for (uint32_t i = 0; i < streams.Length(); ++i) opts.streams.push_back(streams.Get(i).As<Napi::String>());
    Napi::Array kinds = o.Get("kinds").As<Napi::Array>();
    for (uint32_t i = 0; i < kinds.Length(); ++i)
      opts.kinds.push_back(store::StreamKind(kinds.Get(i).As<Napi::Number>().Uint32Value()));
    opts.protect_cap_fraction = o.Get("protectCap").As<Napi::Number>().DoubleValue();
    opts.flush_policy = store::FlushPolicy(o.Get("flushPolicy").As<Napi::Number>().Uint32Value());
    opts.flush_interval_ms = o.Get("flushIntervalMs").As<Napi::Number>().Uint32Value();
    opts.prepare = store::PrepareAhead(o.Get("prepareAhead").As<Napi::Number>().Uint32Value());
    auto s = store::SegmentStore::create(path, opts);
    Napi::Object obj = info.This().As<Napi::Function>().New({});
    StoreObject::Unwrap(obj)->store_ = std::move(s);
    return obj;
  });
}

Napi::Value StoreObject::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    std::string path = info[0].As<Napi::String>();
    store::SegmentStore::OpenOptions options;
    options.writable = info[1].As<Napi::Boolean>();
    options.verify_full = info.Length() > 2 && info[2].ToBoolean();
    if (info.Length() > 3) options.prepare = store::PrepareAhead(info[3].As<Napi::Number>().Uint32Value());
    auto s = store::SegmentStore::open(path, options);
    Napi::Object obj = info.This().As<Napi::Function>().New({});
    StoreObject* self = StoreObject::Unwrap(obj);
    if (!options.writable) self->generations_ = std::make_shared<const store::GenerationSnapshot>(*s);
    self->store_ = std::move(s);
    return obj;
  });
}

Napi::Value StoreObject::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
    Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
    int64_t pts = to_safe_int64(info[2], "pts");
    int64_t dts = to_safe_int64(info[3], "dts");
    int64_t capture = to_safe_int64(info[4], "capture time");
    store::WriteResult r = store_->write(stream, bytes.Data(), bytes.ByteLength(), pts, dts, capture);
    return Napi::Number::New(env, (r.stored ? 1 : 0) | (r.events_pending ? 2 : 0) | (r.random_access ? 4 : 0));
  });
}

// copyTo(destination: NativeStore, from, to) -> { frames, bytes, notStored }
Napi::Value StoreObject::CopyTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    StoreObject* destination = StoreObject::Unwrap(info[0].As<Napi::Object>());
    if (!store_ || !destination->store_) throw Error(ErrorCode::Closed, "copyTo(): the store is closed");
    store::CopyRequest request;
    request.from_us = to_safe_int64(info[1], "from");
    request.to_us = to_safe_int64(info[2], "to");
    store::CopyResult r = store::copy_records(*store_, *destination->store_, request);
    Napi::Object o = Napi::Object::New(env);
    o.Set("frames", double(r.frames));
    o.Set("bytes", double(r.bytes));
    o.Set("notStored", double(r.not_stored));
    return o;
  });
}

Napi::Value StoreObject::TakeEvents(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto events = store_->take_events();
  Napi::Array out = Napi::Array::New(env, events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    Napi::Object e = Napi::Object::New(env);
    e.Set("stream", store_->streams()[events[i].stream].name);
    e.Set("from", num(events[i].from_us));
    e.Set("to", num(events[i].to_us));
    e.Set("frames", double(events[i].frames));
    out.Set(uint32_t(i), e);
  }
  return out;
}

Napi::Value StoreObject::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (store_->closed()) throw Error(ErrorCode::Closed, "the store is closed");
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

Napi::Value StoreObject::Protect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    int64_t from = to_safe_int64(info[0], "from");
    int64_t to = to_safe_int64(info[1], "to");
    return Napi::Number::New(env, double(store_->protect(from, to)));
  });
}

Napi::Value StoreObject::ReleaseProtection(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    store_->release_protection(to_safe_uint64(info[0], "protection id"));
    return env.Undefined();
  });
}

Napi::Value StoreObject::Protections(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto list = store_->protections();
  Napi::Array out = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("id", double(list[i].protection.id));
    p.Set("from", num(list[i].protection.from_us));
    p.Set("to", num(list[i].protection.to_us));
    p.Set("coveredFrom", num(list[i].protection.covered_from_us));
    p.Set("bytes", double(list[i].bytes));
    out.Set(uint32_t(i), p);
  }
  return out;
}

Napi::Value StoreObject::Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (store_->closed()) throw Error(ErrorCode::Closed, "the store is closed");
    auto* worker = new FlushWorker(env, store_, store_->begin_flush());
    Napi::Promise p = worker->promise();
    worker->Queue();
    return p;
  });
}

Napi::Value StoreObject::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    store_->close();
    return env.Undefined();
  });
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

namespace {

// Rows of 8 numbers: segment, segment seq, dts, pts, payload offset, size, random access, config.
Napi::Float64Array frame_rows(Napi::Env env, const std::vector<store::FrameRef>& refs) {
    Napi::Float64Array out = Napi::Float64Array::New(env, refs.size() * 8);
    double* d = out.Data();
    for (const auto& r : refs) {
      *d++ = r.segment;
      *d++ = double(r.segment_seq);
      *d++ = double(r.entry->dts_us);
      *d++ = double(r.entry->pts_us);
      *d++ = double(r.entry->offset + store::kRecordHeaderSize);
      *d++ = r.entry->payload_size;
      *d++ = r.entry->random_access;
      *d++ = r.entry->config_id;
    }
    return out;
}

}  // namespace

Napi::Value StoreObject::ListFrames(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (store_->closed()) throw Error(ErrorCode::Closed, "the store is closed");
    uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
    int64_t from = to_safe_int64(info[1], "from");
    int64_t to = to_safe_int64(info[2], "to");
    std::lock_guard<std::mutex> lock(store_->mutex());
    return frame_rows(env, store::find_frames(*store_, stream, from, to));
  });
}

// spans(stream, from, to, maxGap) -> Float64Array of [from, to, frames] triples
Napi::Value StoreObject::Spans(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (store_->closed()) throw Error(ErrorCode::Closed, "the store is closed");
    uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
    int64_t from = to_safe_int64(info[1], "from");
    int64_t to = to_safe_int64(info[2], "to");
    int64_t max_gap = to_safe_int64(info[3], "maxGap");
    std::vector<store::FrameSpan> spans;
    {
      std::lock_guard<std::mutex> lock(store_->mutex());
      spans = store::frame_spans(*store_, stream, from, to, max_gap);
    }
    Napi::Float64Array out = Napi::Float64Array::New(env, spans.size() * 3);
    for (size_t i = 0; i < spans.size(); ++i) {
      out[i * 3] = double(spans[i].from_us);
      out[i * 3 + 1] = double(spans[i].to_us);
      out[i * 3 + 2] = double(spans[i].frames);
    }
    return out;
  });
}

// listFramesAfter(stream, afterDts, max): the next frames in decode order (followers).
Napi::Value StoreObject::ListFramesAfter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (store_->closed()) throw Error(ErrorCode::Closed, "the store is closed");
    uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
    int64_t after = to_safe_int64(info[1], "after dts");
    std::lock_guard<std::mutex> lock(store_->mutex());
    return frame_rows(env, store::frames_after(*store_, stream, after, info[2].As<Napi::Number>().Uint32Value()));
  });
}

// streamConfig(stream, configId) -> { sps: Buffer[], pps: Buffer[], width, height, codec } | null
Napi::Value StoreObject::StreamConfig(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::lock_guard<std::mutex> lock(store_->mutex());
  const store::StreamConfig* c = store_->config(info[0].As<Napi::Number>().Uint32Value(), info[1].As<Napi::Number>().Uint32Value());
  if (!c) return env.Null();
  auto list = [&](const std::vector<std::vector<uint8_t>>& v) {
    Napi::Array a = Napi::Array::New(env, v.size());
    for (size_t i = 0; i < v.size(); ++i) a.Set(uint32_t(i), Napi::Buffer<uint8_t>::Copy(env, v[i].data(), v[i].size()));
    return a;
  };
  Napi::Object o = Napi::Object::New(env);
  o.Set("sps", list(c->sps));
  o.Set("pps", list(c->pps));
  o.Set("width", c->width);
  o.Set("height", c->height);
  o.Set("codec", c->codec());
  return o;
}

Napi::Value StoreObject::PinIfLive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    uint32_t segment = info[0].As<Napi::Number>().Uint32Value();
    uint64_t seq = to_safe_uint64(info[1], "segment sequence");
    std::lock_guard<std::mutex> lock(store_->mutex());
    if (store_->closed() || segment >= store_->segments().size() || store_->segments()[segment].seq != seq)
      return Napi::Boolean::New(env, false);
    store_->pin_locked(segment);
    return Napi::Boolean::New(env, true);
  });
}

Napi::Value StoreObject::Unpin(const Napi::CallbackInfo& info) {
  store_->unpin(info[0].As<Napi::Number>().Uint32Value());
  return info.Env().Undefined();
}

// One external ArrayBuffer per segment for the store's lifetime (lib/ caches it and
// detaches it at close), so no address is ever wrapped twice while alive.
Napi::Value StoreObject::SegmentBuffer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (store_->closed()) throw Error(ErrorCode::Closed, "the store is closed");
    uint32_t segment = info[0].As<Napi::Number>().Uint32Value();
    uint8_t* data = const_cast<uint8_t*>(store_->segment_data(segment));
    return Napi::ArrayBuffer::New(env, data, store_->header().segment_size);
  });
}

// readFrame(stream, segment, payloadOffset, size): a copy of one indexed frame's payload,
// checked against the writer's loop recording when the store is read-only.
Napi::Value StoreObject::ReadFrame(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (store_->closed()) throw Error(ErrorCode::Closed, "the store is closed");
    uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
    uint32_t segment = info[1].As<Napi::Number>().Uint32Value();
    const store::IndexEntry& frame = store::indexed_frame(*store_, stream, segment, to_safe_uint64(info[2], "payload offset"),
                                                          to_safe_uint64(info[3], "payload size"));
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, frame.payload_size);
    store::copy_frame(*store_, generations_.get(), stream, segment, frame, out.Data());
    return out;
  });
}

Napi::Value StoreObject::Header(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const store::Header& h = store_->header();
  Napi::Object o = Napi::Object::New(env);
  Napi::Array streams = Napi::Array::New(env, h.streams.size());
  Napi::Array kinds = Napi::Array::New(env, h.streams.size());
  for (size_t i = 0; i < h.streams.size(); ++i) {
    streams.Set(uint32_t(i), h.streams[i]);
    kinds.Set(uint32_t(i), store::stream_kind_name(i < h.kinds.size() ? h.kinds[i] : store::StreamKind::Video));
  }
  o.Set("streams", streams);
  o.Set("kinds", kinds);
  o.Set("capacity", double(h.file_size));
  o.Set("segmentSize", h.segment_size);
  o.Set("createdUs", double(h.created_us));
  o.Set("flushPolicy", uint32_t(h.flush_policy));
  o.Set("flushIntervalMs", h.flush_interval_ms);
  o.Set("writable", store_->writable());
  return o;
}

// headerWrites(): header slot writes since open (diagnostic; cheap, unlike info()).
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

Napi::Value StoreObject::HeaderWrites(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(store_->header_writes()));
}

// lastDts(stream): dts of the stream's newest frame, or null (followers starting 'now').
Napi::Value StoreObject::LastDts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t dts = store_->streams().at(info[0].As<Napi::Number>().Uint32Value()).last_dts_us;
  return dts == INT64_MIN ? env.Null() : Napi::Number::New(env, double(dts));
}

Napi::Value StoreObject::CreateIngest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Napi::Object obj = addon_data(env).ingest.New({});
    uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
    double fps = info[1].As<Napi::Number>().DoubleValue();
    int64_t start = to_safe_int64(info[2], "start");
    IngestObject::Unwrap(obj)->Init(store_, stream, fps, start);
    return obj;
  });
}

Napi::Value StoreObject::CreateSampleWriter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Napi::Object obj = addon_data(env).sample_writer.New({});
    SampleWriterObject::Unwrap(obj)->Init(store_, info[0].As<Napi::Number>().Uint32Value());
    return obj;
  });
}

// createFragmentedIngest(tracks: Array<[trackName, stream]>, origin: number | null, skipStored)
Napi::Value StoreObject::CreateFragmentedIngest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    store::FragmentedIngest::Options options;
    Napi::Array tracks = info[0].As<Napi::Array>();
    for (uint32_t i = 0; i < tracks.Length(); ++i) {
      Napi::Array pair = tracks.Get(i).As<Napi::Array>();
      options.tracks.emplace_back(pair.Get(0u).As<Napi::String>().Utf8Value(), pair.Get(1u).As<Napi::Number>().Uint32Value());
    }
    if (!info[1].IsNull()) options.origin_us = to_safe_int64(info[1], "origin");
    options.skip_stored = info[2].ToBoolean().Value();
    Napi::Object obj = addon_data(env).fragmented_ingest.New({});
    FragmentedIngestObject::Unwrap(obj)->Init(store_, std::move(options));
    return obj;
  });
}

// createLiveFragmenter(streams: number[], cursors: number[], skipOverwritten)
Napi::Value StoreObject::CreateLiveFragmenter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (store_->closed()) throw Error(ErrorCode::Closed, "the store is closed");
    store::LiveFragmenter::Options options;
    Napi::Array streams = info[0].As<Napi::Array>(), cursors = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < streams.Length(); ++i) options.streams.push_back(streams.Get(i).As<Napi::Number>().Uint32Value());
    for (uint32_t i = 0; i < cursors.Length(); ++i) options.cursors.push_back(to_safe_int64(cursors.Get(i), "cursor"));
    options.skip_overwritten = info[2].ToBoolean().Value();
    Napi::Object obj = addon_data(env).live_fragmenter.New({});
    LiveFragmenterObject::Unwrap(obj)->Init(store_, generations_, std::move(options));
    return obj;
  });
}

Napi::Value StoreObject::Clip(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Napi::Object o = info[0].As<Napi::Object>();
    store::ClipRequest req;
    req.from_us = to_safe_int64(o.Get("from"), "from");
    req.to_us = to_safe_int64(o.Get("to"), "to");
    Napi::Array streams = o.Get("streams").As<Napi::Array>();
    for (uint32_t i = 0; i < streams.Length(); ++i) req.streams.push_back(streams.Get(i).As<Napi::Number>().Uint32Value());
    req.exact = o.Get("exact").ToBoolean();
    req.allow_partial = o.Get("allowPartial").ToBoolean();
    if (o.Has("timelapseEvery")) {
      req.timelapse_every_us = to_safe_int64(o.Get("timelapseEvery"), "timelapse interval");
      req.timelapse_frame_us = to_safe_int64(o.Get("timelapseFrame"), "timelapse frame");
    }
    auto clip = std::make_shared<store::StoreClip>(store_, req);
    std::shared_ptr<const exporting::CutResult> cut(clip, &clip->cut());
    // Identifies the stored bytes: which store, which segments (by their sequence number,
    // which changes when a segment is rewritten) and where in them.
    uint64_t identity = uint64_t(store_->header().created_us);
    {
      std::lock_guard<std::mutex> lock(store_->mutex());
      for (uint32_t seg : clip->cut().origins) identity = identity * 1099511628211ull ^ store_->segments()[seg].seq;
    }
    for (const auto& t : clip->movie().tracks)
      for (const auto& s : t.samples) identity = identity * 1099511628211ull ^ uint64_t(reinterpret_cast<uintptr_t>(s.data.data) - reinterpret_cast<uintptr_t>(store_->segment_data(0)));
    std::shared_ptr<const store::GenerationGuard> guard;
    if (generations_) guard = std::make_shared<const store::GenerationGuard>(generations_, clip->cut().origins, req.streams);
    Napi::Object obj = addon_data(env).clip.New({});
    ClipObject::Unwrap(obj)->Init(store_, clip, cut, identity, store_->file_identity(), std::move(guard));
    return obj;
  });
}

}  // namespace ringclip::addon
