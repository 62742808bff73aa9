// The objects a store hands out: stream ingests, sample writers, fragmented MP4 ingests,
// live fragmenters and clips.
#include "addon_data.h"
#include "convert.h"
#include "errors.h"
#include "objects.h"

namespace ringclip::addon {

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
      options.tracks.emplace_back(pair.Get(0u).As<Napi::String>().Utf8Value(),
                                  pair.Get(1u).As<Napi::Number>().Uint32Value());
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
    store::LiveFragmenter::Options options;
    Napi::Array streams = info[0].As<Napi::Array>(), cursors = info[1].As<Napi::Array>();
    for (uint32_t i = 0; i < streams.Length(); ++i)
      options.streams.push_back(streams.Get(i).As<Napi::Number>().Uint32Value());
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
    for (uint32_t i = 0; i < streams.Length(); ++i)
      req.streams.push_back(streams.Get(i).As<Napi::Number>().Uint32Value());
    req.exact = o.Get("exact").ToBoolean();
    req.allow_partial = o.Get("allowPartial").ToBoolean();
    if (o.Has("timelapseEvery")) {
      req.timelapse_every_us = to_safe_int64(o.Get("timelapseEvery"), "timelapse interval");
      req.timelapse_frame_us = to_safe_int64(o.Get("timelapseFrame"), "timelapse frame");
    }
    auto clip = std::make_shared<store::StoreClip>(store_, req);
    std::shared_ptr<const exporting::CutResult> cut(clip, &clip->cut());
    std::shared_ptr<const store::GenerationGuard> guard;
    if (generations_)
      guard = std::make_shared<const store::GenerationGuard>(generations_, clip->cut().origins, req.streams);
    Napi::Object obj = addon_data(env).clip.New({});
    ClipObject::Unwrap(obj)->Init(
        store_, clip, cut, [clip] { return clip->identity(); }, store_->file_identity(), std::move(guard));
    return obj;
  });
}

}  // namespace ringclip::addon
