#include "addon_data.h"
#include "errors.h"
#include "objects.h"

namespace ringclip::addon {

Napi::Function IngestObject::Define(Napi::Env env) {
  return DefineClass(env, "NativeIngest",
                     {
                         InstanceMethod<&IngestObject::Feed>("feed"),
                         InstanceMethod<&IngestObject::Finish>("finish"),
                         InstanceMethod<&IngestObject::Stats>("stats"),
                     });
}

IngestObject::IngestObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<IngestObject>(info) {}

void IngestObject::Init(std::shared_ptr<store::SegmentStore> s, uint32_t stream, double fps, int64_t start_us) {
  store_ = std::move(s);
  ingest_ = std::make_unique<store::StreamIngest>(*store_, stream, fps, start_us);
}

Napi::Value IngestObject::Feed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
    ingest_->feed(bytes.Data(), bytes.ByteLength());
    return env.Undefined();
  });
}

Napi::Value IngestObject::Finish(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    ingest_->finish();
    return env.Undefined();
  });
}

Napi::Value IngestObject::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("stored", double(ingest_->stored()));
  o.Set("dropped", double(ingest_->dropped()));
  o.Set("rejected", double(ingest_->rejected()));
  o.Set("fps", ingest_->fps());
  return o;
}

}  // namespace ringclip::addon
