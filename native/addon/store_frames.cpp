// Frame-level reads of a store's index for lib/ (frames(), follow(), spans()): index rows,
// configurations, pins by row, segment buffers and checked frame copies.
#include "convert.h"
#include "errors.h"
#include "objects.h"
#include "store/frame_spans.h"
#include "store/store_info.h"

namespace ringclip::addon {

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
    uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
    int64_t from = to_safe_int64(info[1], "from");
    int64_t to = to_safe_int64(info[2], "to");
    return frame_rows(env, store::find_frames(*store_, stream, from, to));
  });
}

// spans(stream, from, to, maxGap) -> Float64Array of [from, to, frames] triples
Napi::Value StoreObject::Spans(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
    int64_t from = to_safe_int64(info[1], "from");
    int64_t to = to_safe_int64(info[2], "to");
    int64_t max_gap = to_safe_int64(info[3], "maxGap");
    const std::vector<store::FrameSpan> spans = store::frame_spans(*store_, stream, from, to, max_gap);
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
    uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
    int64_t after = to_safe_int64(info[1], "after dts");
    return frame_rows(env, store::frames_after(*store_, stream, after, info[2].As<Napi::Number>().Uint32Value()));
  });
}

// streamConfig(stream, configId) -> { sps: Buffer[], pps: Buffer[], width, height, codec } | null
Napi::Value StoreObject::StreamConfig(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::optional<store::StreamConfig> c =
      store_->config_copy(info[0].As<Napi::Number>().Uint32Value(), info[1].As<Napi::Number>().Uint32Value());
  if (!c) return env.Null();
  auto list = [&](const std::vector<std::vector<uint8_t>>& v) {
    Napi::Array a = Napi::Array::New(env, v.size());
    for (size_t i = 0; i < v.size(); ++i)
      a.Set(uint32_t(i), Napi::Buffer<uint8_t>::Copy(env, v[i].data(), v[i].size()));
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
    return Napi::Boolean::New(env, store_->pin_if_live(segment, seq));
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
    const ByteSpan bytes = store_->segment_bytes(info[0].As<Napi::Number>().Uint32Value());
    return Napi::ArrayBuffer::New(env, const_cast<uint8_t*>(bytes.data), bytes.size);
  });
}

// readFrame(stream, segment, payloadOffset, size): a copy of one indexed frame's payload,
// checked against the writer's loop recording when the store is read-only.
Napi::Value StoreObject::ReadFrame(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
    uint32_t segment = info[1].As<Napi::Number>().Uint32Value();
    const store::IndexEntry& frame = store::indexed_frame(
        *store_, stream, segment, to_safe_uint64(info[2], "payload offset"), to_safe_uint64(info[3], "payload size"));
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, frame.payload_size);
    store::copy_frame(*store_, generations_.get(), stream, segment, frame, out.Data());
    return out;
  });
}

// lastDts(stream): dts of the stream's newest frame, or null (followers starting 'now').
Napi::Value StoreObject::LastDts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t dts = store_->streams().at(info[0].As<Napi::Number>().Uint32Value()).last_dts_us;
  return dts == INT64_MIN ? env.Null() : Napi::Number::New(env, double(dts));
}

}  // namespace ringclip::addon
