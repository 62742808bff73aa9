// NativeClip.hls(openEnd): one camera of the clip as an HLS rendition (mp4/hls_layout.h):
// the table of its segments, from which lib/hls.ts writes the playlists, and a plan that
// builds the virtual fragmented MP4 when a byte of it is asked for. Kept apart from
// clip_object.cpp: one concern per file.
#include "addon_data.h"
#include "errors.h"
#include "export/etag.h"
#include "mp4/hls_layout.h"
#include "mp4/hls_playlist.h"
#include "objects.h"

namespace ringclip::addon {

// Variant of the HLS file in its ETag (progressive 1-2, fragmented 3, raw H.264 4+track).
constexpr uint32_t kHlsVariant = 0x100;

Napi::Function HlsPlanObject::Define(Napi::Env env) {
  return DefineClass(env, "NativeHlsPlan",
                     {
                         InstanceMethod<&HlsPlanObject::File>("file"),
                         InstanceMethod<&HlsPlanObject::Release>("release"),
                     });
}

HlsPlanObject::HlsPlanObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<HlsPlanObject>(info) {}

void HlsPlanObject::Init(Plan plan) {
  external_.set(Env(),
                int64_t(mp4::heap_bytes(*plan.movie) + plan.layout->ranges.capacity() * sizeof(mp4::FragmentRange)));
  plan_ = std::move(plan);
}

void HlsPlanObject::Finalize(Napi::BasicEnv env) { external_.clear(env); }

// The rendition's fMP4, built now: a playlist alone never needs it.
Napi::Value HlsPlanObject::File(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (!plan_) throw Error(ErrorCode::Closed, "the HLS rendition was released");
    const Plan& p = *plan_;
    if (p.store && p.store->closed()) throw Error(ErrorCode::Closed, "the store is closed");
    auto file = std::make_shared<const mp4::VirtualFile>(mp4::build_hls_file(*p.movie, *p.layout));
    std::string etag = exporting::make_etag(*file, p.identity(), kHlsVariant + (p.open_end ? 1 : 0));
    Napi::Object vf = addon_data(env).virtual_file.New({});
    auto keep = std::make_shared<std::pair<std::shared_ptr<const void>, std::shared_ptr<void>>>(p.cut, p.source);
    VirtualFileObject::Unwrap(vf)->Init(file, keep, mp4::heap_bytes(*p.movie), p.store, etag, p.source_file, p.guard);
    return vf;
  });
}

// Lets go of the clip's tables and pins (a file built from the plan keeps its own).
Napi::Value HlsPlanObject::Release(const Napi::CallbackInfo& info) {
  plan_.reset();
  external_.clear(info.Env());
  return info.Env().Undefined();
}

Napi::Value ClipObject::Hls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (released_) throw Error(ErrorCode::Closed, "the clip was released");
    if (store_ && store_->closed()) throw Error(ErrorCode::Closed, "the store is closed");
    mp4::HlsOptions options;
    options.open_end = info[0].ToBoolean();
    auto layout = std::make_shared<const mp4::HlsLayout>(mp4::plan_hls_layout(*movie_, options));
    Napi::Object plan = addon_data(env).hls_plan.New({});
    HlsPlanObject::Unwrap(plan)->Init(
        {layout, cut_, source_, movie_, store_, guard_, identity_, source_file_, options.open_end});

    // Segments as one Float64Array of 5 numbers each: offset, size, key frame end, start
    // (µs), duration (µs): a 1-hour drive has 3600 of them, one allocation instead of 3600.
    const size_t n = layout->segments.size();
    Napi::Float64Array table = Napi::Float64Array::New(env, n * 5);
    double* t = table.Data();
    for (size_t i = 0; i < n; ++i) {
      const mp4::HlsSegment& s = layout->segments[i];
      t[i * 5 + 0] = double(s.offset);
      t[i * 5 + 1] = double(s.size);
      t[i * 5 + 2] = double(s.key_frame_end);
      t[i * 5 + 3] = double(s.start_us);
      t[i * 5 + 4] = double(s.duration_us);
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("plan", plan);
    o.Set("size", double(layout->file_size));
    o.Set("initSize", double(layout->init.size()));
    o.Set("segments", table);
    o.Set("codecs", layout->codecs);
    o.Set("width", layout->width);
    o.Set("height", layout->height);
    o.Set("origin", double(layout->origin_us));
    Napi::Array dropped = Napi::Array::New(env, layout->dropped.size());
    for (size_t i = 0; i < layout->dropped.size(); ++i) dropped.Set(uint32_t(i), layout->dropped[i]);
    o.Set("dropped", dropped);
    return o;
  });
}

// hlsSegmentLines(table, iframes, name, suffix): the per-segment lines of a media or I-frame
// playlist (mp4/hls_playlist.h) from the Float64Array hls() returned.
Napi::Value HlsSegmentLines(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Napi::Float64Array table = info[0].As<Napi::Float64Array>();
    const size_t n = table.ElementLength() / 5;
    std::vector<mp4::HlsSegment> segments(n);
    const double* t = table.Data();
    for (size_t i = 0; i < n; ++i) {
      segments[i].offset = uint64_t(t[i * 5 + 0]);
      segments[i].size = uint64_t(t[i * 5 + 1]);
      segments[i].key_frame_end = uint64_t(t[i * 5 + 2]);
      segments[i].start_us = int64_t(t[i * 5 + 3]);
      segments[i].duration_us = int64_t(t[i * 5 + 4]);
    }
    const auto kind = info[1].ToBoolean() ? mp4::HlsPlaylistKind::IFrames : mp4::HlsPlaylistKind::Media;
    const std::string name = info[2].As<Napi::String>().Utf8Value(), suffix = info[3].As<Napi::String>().Utf8Value();
    std::string lines = mp4::hls_segment_lines(segments, kind, name, suffix);
    // The lines are ASCII but for what the caller's name and query bring: then V8 copies
    // them as one-byte text instead of decoding UTF-8 (a third of the text's cost).
    auto ascii = [](const std::string& s) {
      for (unsigned char c : s)
        if (c >= 0x80) return false;
      return true;
    };
    if (!ascii(name) || !ascii(suffix)) return Napi::String::New(env, lines);
    napi_value text;
    NAPI_THROW_IF_FAILED(env, napi_create_string_latin1(env, lines.data(), lines.size(), &text), Napi::Value());
    return Napi::Value(env, text);
  });
}

}  // namespace ringclip::addon
