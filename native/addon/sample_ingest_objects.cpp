// MP4 samples into a store: one object per stream for samples with their avcC
// (store/sample_writer.h), one per fragmented MP4 stream (store/fragmented_ingest.h).
#include "addon_data.h"
#include "convert.h"
#include "errors.h"
#include "objects.h"

namespace ringclip::addon {

Napi::Function SampleWriterObject::Define(Napi::Env env) {
  return DefineClass(env, "NativeSampleWriter", {InstanceMethod<&SampleWriterObject::Write>("write")});
}

SampleWriterObject::SampleWriterObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SampleWriterObject>(info) {}

void SampleWriterObject::Init(std::shared_ptr<store::SegmentStore> s, uint32_t stream) {
  store_ = std::move(s);
  writer_ = std::make_unique<store::SampleWriter>(*store_, stream);
}

// write(sample, pts, dts, capture, avcC) -> flags as NativeStore.write()
Napi::Value SampleWriterObject::Write(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Napi::Uint8Array sample = info[0].As<Napi::Uint8Array>();
    int64_t pts = to_safe_int64(info[1], "pts");
    int64_t dts = to_safe_int64(info[2], "dts");
    int64_t capture = to_safe_int64(info[3], "capture time");
    Napi::Uint8Array avcc = info[4].As<Napi::Uint8Array>();
    writer_->configure(ByteSpan{avcc.Data(), avcc.ByteLength()});
    store::WriteResult r = writer_->write(ByteSpan{sample.Data(), sample.ByteLength()}, pts, dts, capture);
    return write_flags(env, r);
  });
}

Napi::Function FragmentedIngestObject::Define(Napi::Env env) {
  return DefineClass(env, "NativeFragmentedIngest",
                     {
                         InstanceMethod<&FragmentedIngestObject::Push>("push"),
                         InstanceMethod<&FragmentedIngestObject::Finish>("finish"),
                         InstanceMethod<&FragmentedIngestObject::Stats>("stats"),
                     });
}

FragmentedIngestObject::FragmentedIngestObject(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<FragmentedIngestObject>(info) {}

void FragmentedIngestObject::Init(std::shared_ptr<store::SegmentStore> s, store::FragmentedIngest::Options options) {
  store_ = std::move(s);
  ingest_ = std::make_unique<store::FragmentedIngest>(*store_, std::move(options));
}

Napi::Value FragmentedIngestObject::Push(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
    ingest_->push(ByteSpan{bytes.Data(), bytes.ByteLength()});
    return env.Undefined();
  });
}

Napi::Value FragmentedIngestObject::Finish(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    ingest_->finish();
    return env.Undefined();
  });
}

Napi::Value FragmentedIngestObject::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("fragments", double(ingest_->fragments()));
  o.Set("skippedTracks", double(ingest_->skipped_tracks()));
  o.Set("exactTime", ingest_->exact_time());
  Napi::Array tracks = Napi::Array::New(env);
  uint32_t i = 0;
  for (const store::FragmentedIngest::TrackReport& t : ingest_->tracks()) {
    Napi::Object r = Napi::Object::New(env);
    r.Set("name", t.name);
    r.Set("stream", double(t.stream));
    r.Set("stored", double(t.stored));
    r.Set("skipped", double(t.skipped));
    r.Set("dropped", double(t.dropped));
    r.Set("first",
          t.first_us == store::FragmentedIngest::kNoOrigin ? env.Null() : Napi::Number::New(env, double(t.first_us)));
    r.Set("last",
          t.last_us == store::FragmentedIngest::kNoOrigin ? env.Null() : Napi::Number::New(env, double(t.last_us)));
    tracks.Set(i++, r);
  }
  o.Set("tracks", tracks);
  return o;
}

}  // namespace ringclip::addon
