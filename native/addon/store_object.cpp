// NativeStore: its methods, and the calls that create, open and close a store. The other
// methods live one concern per file (store_*.cpp).
#include <string>

#include "addon_data.h"
#include "convert.h"
#include "errors.h"
#include "objects.h"
#include "store/segment_generation.h"

namespace ringclip::addon {

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

Napi::Value StoreObject::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    store_->close();
    return env.Undefined();
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

}  // namespace ringclip::addon
