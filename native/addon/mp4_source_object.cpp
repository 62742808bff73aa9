#include <cstdio>

#include "addon_data.h"
#include "convert.h"
#include "errors.h"
#include "export/mp4_source.h"
#include "export/sample_stats.h"
#include "export/socket_send.h"
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
                           InstanceMethod<&Mp4SourceObject::Samples>("samples"),
                           InstanceMethod<&Mp4SourceObject::Close>("close"),
                           InstanceMethod<&Mp4SourceObject::Views>("views"),
                           InstanceMethod<&Mp4SourceObject::SendTo>("sendTo"),
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
      static constexpr const char* kKinds[] = {"video", "audio", "metadata"};
      to.Set("kind", kKinds[uint8_t(t.kind)]);
      to.Set("width", t.configs.front().width);
      const std::string codec = exporting::codec_string(t.kind, t.configs.front());
      if (!codec.empty()) to.Set("codec", codec);
      to.Set("sampleRate", t.configs.front().sample_rate);
      to.Set("channels", t.configs.front().channels);
      to.Set("height", t.configs.front().height);
      const exporting::SampleStats stats = exporting::sample_stats(t);  // first and last: what the edit list presents
      to.Set("samples", double(stats.samples));
      to.Set("syncSamples", double(stats.sync_samples));
      to.Set("first", double(stats.first_pts_us));
      to.Set("last", double(stats.last_pts_us));
      arr.Set(uint32_t(i), to);
    }
    o.Set("tracks", arr);
    Napi::Array dropped = Napi::Array::New(env, source_->dropped_tracks().size());
    for (size_t i = 0; i < source_->dropped_tracks().size(); ++i)
      dropped.Set(uint32_t(i), source_->dropped_tracks()[i]);
    o.Set("dropped", dropped);
    return o;
  }

  // sendTo(fd, start, end): the file's own bytes to a non-blocking socket by sendfile(2);
  // the bytes the socket took (fewer than asked when it is full).
  Napi::Value SendTo(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      if (!source_) throw Error(ErrorCode::Closed, "the MP4 source is closed");
      int socket = to_socket(info[0]);
      uint64_t start = to_safe_uint64(info[1], "start");
      uint64_t end = to_safe_uint64(info[2], "end");
      return Napi::Number::New(env, double(exporting::send_to_socket(socket, *source_, start, end)));
    });
  }

  Napi::Value Views(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!source_) throw to_js_error(env, ErrorCode::Closed, "the MP4 source is closed");
    return guarded(env, [&]() -> Napi::Value { return mp4_source_views(env, source_, info[0], info[1]); });
  }

  // Drops this object's hold on the mapping; clips cut from it keep their own.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    source_.reset();
    return info.Env().Undefined();
  }

  // samples(track, from, to) -> { pts: Float64Array, data: Buffer[] }: copies of the track's
  // samples presented in [from, to), in decode order.
  Napi::Value Samples(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      if (!source_) throw Error(ErrorCode::Closed, "the MP4 source is closed");
      const uint32_t index = info[0].As<Napi::Number>().Uint32Value();
      const int64_t from = to_safe_int64(info[1], "from"), to = to_safe_int64(info[2], "to");
      std::vector<const exporting::SourceSample*> chosen = source_->samples(index, from, to);
      Napi::Float64Array pts = Napi::Float64Array::New(env, chosen.size());
      Napi::Array data = Napi::Array::New(env, chosen.size());
      for (size_t i = 0; i < chosen.size(); ++i) {
        pts[i] = double(chosen[i]->pts_us);
        data.Set(uint32_t(i), Napi::Buffer<uint8_t>::Copy(env, chosen[i]->data.data, chosen[i]->data.size));
      }
      Napi::Object o = Napi::Object::New(env);
      o.Set("pts", pts);
      o.Set("data", data);
      return o;
    });
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
      if (o.Has("timelapseEvery")) {
        req.timelapse_every_us = to_safe_int64(o.Get("timelapseEvery"), "timelapse interval");
        req.timelapse_frame_us = to_safe_int64(o.Get("timelapseFrame"), "timelapse frame");
      }
      Napi::Array indexes = o.Get("tracks").As<Napi::Array>();
      std::vector<uint32_t> tracks;
      for (uint32_t i = 0; i < indexes.Length(); ++i) tracks.push_back(indexes.Get(i).As<Napi::Number>().Uint32Value());
      auto cut = std::make_shared<const exporting::CutResult>(source_->cut(tracks, req));
      Napi::Object obj = addon_data(env).clip.New({});
      ClipObject::Unwrap(obj)->Init(
          nullptr, source_, cut, [identity = source_->identity()] { return identity; }, source_->file());
      ClipObject::Unwrap(obj)->SetMp4Source(source_);
      return obj;
    });
  }

 private:
  std::shared_ptr<exporting::Mp4Source> source_;
};

}  // namespace

Napi::Function DefineMp4Source(Napi::Env env) { return Mp4SourceObject::Define(env); }

}  // namespace ringclip::addon
