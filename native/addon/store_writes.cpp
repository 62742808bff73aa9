// Writes into a store (video access units, copies from another store) and the overwrite
// events they cause. Audio and metadata: store_timed_writes.cpp.
#include "convert.h"
#include "errors.h"
#include "objects.h"
#include "store/store_copy.h"

namespace ringclip::addon {

Napi::Value StoreObject::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
    Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
    int64_t pts = to_safe_int64(info[2], "pts");
    int64_t dts = to_safe_int64(info[3], "dts");
    int64_t capture = to_safe_int64(info[4], "capture time");
    store::WriteResult r = store_->write(stream, bytes.Data(), bytes.ByteLength(), pts, dts, capture);
    return write_flags(env, r);
  });
}

// copyTo(destination: NativeStore, from, to) -> { frames, bytes, notStored }
Napi::Value StoreObject::CopyTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    StoreObject* destination = StoreObject::Unwrap(info[0].As<Napi::Object>());
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
    e.Set("from", double(events[i].from_us));
    e.Set("to", double(events[i].to_us));
    e.Set("frames", double(events[i].frames));
    out.Set(uint32_t(i), e);
  }
  return out;
}

}  // namespace ringclip::addon
