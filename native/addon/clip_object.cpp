#include "addon_data.h"
#include "errors.h"
#include "export/clip_file.h"
#include "objects.h"
#include "store/mapped_read.h"

namespace ringclip::addon {

Napi::Function ClipObject::Define(Napi::Env env) {
  return DefineClass(env, "NativeClip",
                     {
                         InstanceMethod<&ClipObject::Info>("info"),
                         InstanceMethod<&ClipObject::Build>("build"),
                         InstanceMethod<&ClipObject::Hls>("hls"),
                         InstanceMethod<&ClipObject::Release>("release"),
                     });
}

ClipObject::ClipObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ClipObject>(info) {}

void ClipObject::Init(std::shared_ptr<store::SegmentStore> s, std::shared_ptr<void> source_keep_alive,
                      std::shared_ptr<const exporting::CutResult> cut, std::function<uint64_t()> identity,
                      FileIdentity source_file, std::shared_ptr<const store::GenerationGuard> guard) {
  source_file_ = source_file;
  guard_ = std::move(guard);
  store_ = std::move(s);
  source_ = std::move(source_keep_alive);
  cut_ = std::move(cut);
  movie_ = &cut_->movie;
  identity_ = std::move(identity);
  external_.set(Env(), int64_t(mp4::heap_bytes(*movie_)));
}

void ClipObject::Finalize(Napi::BasicEnv env) { external_.clear(env); }

Napi::Value ClipObject::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (released_) throw to_js_error(env, ErrorCode::Closed, "the clip was released");
  Napi::Object o = Napi::Object::New(env);
  Napi::Array tracks = Napi::Array::New(env, movie_->tracks.size());
  for (size_t i = 0; i < movie_->tracks.size(); ++i) {
    const mp4::Track& t = movie_->tracks[i];
    Napi::Object to = Napi::Object::New(env);
    to.Set("name", t.name);
    static constexpr const char* kKinds[] = {"video", "audio", "metadata"};
    to.Set("kind", kKinds[uint8_t(t.kind)]);
    to.Set("width", t.width);
    to.Set("height", t.height);
    // Counted by the cut as it took the samples (another pass over an hour's 108,000 of
    // them cost as much as a tenth of an HLS playlist).
    const exporting::CutTrackReport& r = cut_->tracks[i];
    to.Set("samples", double(t.samples.size()));
    to.Set("bytes", double(r.bytes));
    to.Set("syncSamples", double(r.sync_samples));
    to.Set("timescale", t.timescale);
    to.Set("first", double(r.first_pts_us));
    to.Set("end", double(r.end_pts_us));
    to.Set("droppedLeading", double(r.dropped_leading));
    to.Set("partial", r.partial);
    to.Set("note", r.note);
    tracks.Set(uint32_t(i), to);
  }
  o.Set("tracks", tracks);
  if (cut_) {
    o.Set("start", double(cut_->start_us));
    o.Set("end", double(cut_->end_us));
    o.Set("partial", cut_->partial());
    Napi::Array empty = Napi::Array::New(env, cut_->empty.size());
    for (size_t i = 0; i < cut_->empty.size(); ++i) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("stream", cut_->empty[i].name);
      e.Set("reason", cut_->empty[i].note);
      empty.Set(uint32_t(i), e);
    }
    o.Set("empty", empty);
    Napi::Array dropped = Napi::Array::New(env, cut_->dropped.size());
    for (size_t i = 0; i < cut_->dropped.size(); ++i) dropped.Set(uint32_t(i), cut_->dropped[i]);
    o.Set("dropped", dropped);
  }
  return o;
}

// build(kind, options): kind 'mp4' | 'fmp4' | 'h264'; options { track?: index, forceCo64? }.
Napi::Value ClipObject::Build(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (released_) throw Error(ErrorCode::Closed, "the clip was released");
    Napi::Object o = info[1].IsObject() ? info[1].As<Napi::Object>() : Napi::Object::New(env);
    exporting::ClipFileRequest request;
    request.format = exporting::clip_format(info[0].As<Napi::String>());
    request.force_co64 = o.Get("forceCo64").ToBoolean();
    if (o.Has("track")) request.track = o.Get("track").As<Napi::Number>().Uint32Value();
    exporting::ClipFile built = store::build_clip_file(store_.get(), guard_.get(), *movie_, request, identity_());
    auto file = std::make_shared<const mp4::VirtualFile>(std::move(built.file));
    Napi::Object obj = addon_data(env).virtual_file.New({});
    // The virtual file keeps the clip (its pins) and the source mapping alive.
    auto keep = std::make_shared<std::pair<std::shared_ptr<const void>, std::shared_ptr<void>>>(cut_, source_);
    VirtualFileObject* vf = VirtualFileObject::Unwrap(obj);
    vf->Init(file, keep, mp4::heap_bytes(*movie_), store_, built.etag, source_file_, guard_);
    vf->SetMp4Source(mp4_source_);
    return obj;
  });
}

Napi::Value ClipObject::Release(const Napi::CallbackInfo& info) {
  released_ = true;
  cut_.reset();  // pins go when the last virtual file built from this clip goes too
  source_.reset();
  mp4_source_.reset();
  identity_ = nullptr;  // it holds the store clip (and so its pins) too
  movie_ = nullptr;
  external_.clear(info.Env());
  return info.Env().Undefined();
}

}  // namespace ringclip::addon
