// NativeClip.hls(openEnd): one camera of the clip as an HLS rendition (mp4/hls_layout.h):
// the virtual fragmented MP4 and the table of its segments, from which lib/hls.ts writes
// the playlists. Kept apart from clip_object.cpp: one concern per file.
#include "addon_data.h"
#include "errors.h"
#include "export/etag.h"
#include "mp4/hls_layout.h"
#include "mp4/hls_playlist.h"
#include "objects.h"

namespace ringclip::addon {

// Variant of the HLS file in its ETag (progressive 1-2, fragmented 3, raw H.264 4+track).
constexpr uint32_t kHlsVariant = 0x100;

Napi::Value ClipObject::Hls(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    if (released_) throw Error(ErrorCode::Closed, "the clip was released");
    if (store_ && store_->closed()) throw Error(ErrorCode::Closed, "the store is closed");
    mp4::HlsOptions options;
    options.open_end = info[0].ToBoolean();
    auto layout = std::make_shared<mp4::HlsLayout>(mp4::build_hls_layout(*movie_, options));
    auto file = std::shared_ptr<const mp4::VirtualFile>(layout, &layout->file);
    std::string etag = exporting::make_etag(layout->file, identity_, kHlsVariant + (options.open_end ? 1 : 0));
    Napi::Object vf = addon_data(env).virtual_file.New({});
    auto keep = std::make_shared<std::pair<std::shared_ptr<const void>, std::shared_ptr<void>>>(cut_, source_);
    VirtualFileObject::Unwrap(vf)->Init(file, keep, mp4::heap_bytes(*movie_), store_, etag, source_file_, guard_);

    // Segments as one Float64Array of 5 numbers each: offset, size, key frame end, start
    // (µs), duration (µs): a 1-hour drive has 3600 of them, one allocation instead of 3600.
    const size_t n = layout->segments.size();
    Napi::Float64Array table = Napi::Float64Array::New(env, n * 5);
    for (size_t i = 0; i < n; ++i) {
      const mp4::HlsSegment& s = layout->segments[i];
      table[i * 5 + 0] = double(s.offset);
      table[i * 5 + 1] = double(s.size);
      table[i * 5 + 2] = double(s.key_frame_end);
      table[i * 5 + 3] = double(s.start_us);
      table[i * 5 + 4] = double(s.duration_us);
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("file", vf);
    o.Set("initSize", double(layout->init_size));
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
    std::string lines = mp4::hls_segment_lines(segments, kind, info[2].As<Napi::String>().Utf8Value(),
                                               info[3].As<Napi::String>().Utf8Value());
    return Napi::String::New(env, lines);
  });
}

}  // namespace ringclip::addon
