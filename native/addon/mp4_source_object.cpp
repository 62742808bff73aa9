#include <cstdio>

#include "addon_data.h"
#include "convert.h"
#include "errors.h"
#include "export/mp4_source.h"
#include "mp4_source_views.h"
#include "objects.h"

namespace ringclip::addon {
namespace {

class Mp4SourceObject : public Napi::ObjectWrap<Mp4SourceObject> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeMp4Source",
                       {
                           StaticMethod<&Mp4SourceObject::Open>("open"),
                           InstanceMethod<&Mp4SourceObject::Info>("info"),
                           InstanceMethod<&Mp4SourceObject::Clip>("clip"),
                           InstanceMethod<&Mp4SourceObject::Close>("close"),
                           InstanceMethod<&Mp4SourceObject::Views>("views"),
                       });
  }
  Mp4SourceObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Mp4SourceObject>(info) {}

  static Napi::Value Open(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      auto src = exporting::Mp4Source::open(info[0].As<Napi::String>());
      Napi::Object obj = info.This().As<Napi::Function>().New({});
      Mp4SourceObject::Unwrap(obj)->source_ = std::move(src);
      return obj;
    });
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!source_) throw to_js_error(env, ErrorCode::Closed, "the MP4 source is closed");
    Napi::Object o = Napi::Object::New(env);
    o.Set("origin", double(source_->origin_us()));
    o.Set("size", double(source_->size()));
    const auto& tracks = source_->tracks();
    Napi::Array arr = Napi::Array::New(env, tracks.size());
    for (size_t i = 0; i < tracks.size(); ++i) {
      const exporting::SourceTrack& t = tracks[i];
      Napi::Object to = Napi::Object::New(env);
      to.Set("name", t.name);
      to.Set("width", t.configs.front().width);
      const auto& sps = t.configs.front().sps;
      if (!sps.empty() && sps.front().size() >= 4) {
        char codec[16];
        std::snprintf(codec, sizeof codec, "avc1.%02x%02x%02x", sps.front()[1], sps.front()[2], sps.front()[3]);
        to.Set("codec", codec);
      }
      to.Set("height", t.configs.front().height);
      to.Set("samples", double(t.samples.size()));
      uint64_t sync = 0;
      int64_t first = INT64_MAX, last = INT64_MIN;
      for (const auto& s : t.samples) {
        sync += s.random_access ? 1 : 0;
        if (s.pts_us < t.presented_from_us || s.pts_us >= t.presented_to_us) continue;  // hidden by the file's edit list
        first = std::min(first, s.pts_us);
        last = std::max(last, s.pts_us);
      }
      to.Set("syncSamples", double(sync));
      to.Set("first", double(first));
      to.Set("last", double(last));
      arr.Set(uint32_t(i), to);
    }
    o.Set("tracks", arr);
    Napi::Array dropped = Napi::Array::New(env, source_->dropped_tracks().size());
    for (size_t i = 0; i < source_->dropped_tracks().size(); ++i) dropped.Set(uint32_t(i), source_->dropped_tracks()[i]);
    o.Set("dropped", dropped);
    return o;
  }

  // Drops this object's hold on the mapping; clips cut from it keep their own.
  Napi::Value Views(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!source_) throw to_js_error(env, ErrorCode::Closed, "the MP4 source is closed");
    return guarded(env, [&]() -> Napi::Value { return mp4_source_views(env, source_, info[0], info[1]); });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    source_.reset();
    return info.Env().Undefined();
  }

  Napi::Value Clip(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      if (!source_) throw Error(ErrorCode::Closed, "the MP4 source is closed");
      Napi::Object o = info[0].As<Napi::Object>();
      exporting::CutRequest req;
      req.from_us = to_safe_int64(o.Get("from"), "from");
      req.to_us = to_safe_int64(o.Get("to"), "to");
      req.exact = o.Get("exact").ToBoolean();
      req.allow_partial = o.Get("allowPartial").ToBoolean();
      Napi::Array indexes = o.Get("tracks").As<Napi::Array>();
      std::vector<uint32_t> tracks;
      for (uint32_t i = 0; i < indexes.Length(); ++i) tracks.push_back(indexes.Get(i).As<Napi::Number>().Uint32Value());
      auto cut = std::make_shared<const exporting::CutResult>(source_->cut(tracks, req));
      Napi::Object obj = addon_data(env).clip.New({});
      ClipObject::Unwrap(obj)->Init(nullptr, source_, cut, source_->identity(), source_->file());
      return obj;
    });
  }

 private:
  std::shared_ptr<exporting::Mp4Source> source_;
};

}  // namespace

Napi::Function DefineMp4Source(Napi::Env env) { return Mp4SourceObject::Define(env); }

}  // namespace ringclip::addon
