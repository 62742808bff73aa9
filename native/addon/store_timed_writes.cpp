// Audio and metadata into a store, and ADTS framing for lib/'s writeAudio(): conversion only.
#include "audio/aac.h"
#include "convert.h"
#include "errors.h"
#include "objects.h"

namespace ringclip::addon {
// writeAudio(stream, frame, config, pts, capture) -> write flags (as write())
Napi::Value StoreObject::WriteAudio(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
    Napi::Uint8Array frame = info[1].As<Napi::Uint8Array>();
    Napi::Uint8Array config = info[2].As<Napi::Uint8Array>();
    int64_t pts = to_safe_int64(info[3], "pts");
    int64_t capture = to_safe_int64(info[4], "capture time");
    return write_flags(env, store_->write_audio(stream, frame.Data(), frame.ByteLength(), config.Data(),
                                                config.ByteLength(), pts, capture));
  });
}

// writeMetadata(stream, sample, format (fourcc as a number), entry, pts, capture) -> write flags
Napi::Value StoreObject::WriteMetadata(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    uint32_t stream = info[0].As<Napi::Number>().Uint32Value();
    Napi::Uint8Array sample = info[1].As<Napi::Uint8Array>();
    uint32_t format = info[2].As<Napi::Number>().Uint32Value();
    Napi::Uint8Array entry = info[3].As<Napi::Uint8Array>();
    int64_t pts = to_safe_int64(info[4], "pts");
    int64_t capture = to_safe_int64(info[5], "capture time");
    return write_flags(env, store_->write_metadata(stream, sample.Data(), sample.ByteLength(), format, entry.Data(),
                                                   entry.ByteLength(), pts, capture));
  });
}

// parseAdts(bytes) -> { config, sampleRate, channels, frameSamples, frames: [[offset, size], ...] }
Napi::Value ParseAdts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
    std::vector<audio::AdtsFrame> frames = audio::split_adts(bytes.Data(), bytes.ByteLength());
    Napi::Object o = Napi::Object::New(env);
    const audio::AdtsFrame& first = frames.front();
    o.Set("config", Napi::Buffer<uint8_t>::Copy(env, first.config.data(), first.config.size()));
    o.Set("sampleRate", first.parsed.sample_rate);
    o.Set("channels", first.parsed.channels);
    o.Set("frameSamples", first.parsed.frame_samples);
    Napi::Array list = Napi::Array::New(env, frames.size());
    for (size_t i = 0; i < frames.size(); ++i) {
      Napi::Array pair = Napi::Array::New(env, 2);
      pair.Set(0u, double(frames[i].payload.data - bytes.Data()));
      pair.Set(1u, double(frames[i].payload.size));
      list.Set(uint32_t(i), pair);
    }
    o.Set("frames", list);
    return o;
  });
}

}  // namespace ringclip::addon
