// Fragmented MP4 for live streaming: an init segment for a set of tracks, then one media
// segment per call from frames handed in by lib/ (copies the writer already made, so the
// ring may wrap underneath without tearing a fragment).
#include <algorithm>
#include <cmath>

#include "addon_data.h"
#include "convert.h"
#include "errors.h"
#include "mp4/producer_reference.h"
#include "mp4/writer.h"
#include "objects.h"
#include "util/time_range.h"

namespace ringclip::addon {
namespace {

std::vector<std::vector<uint8_t>> byte_list(Napi::Array arr) {
  std::vector<std::vector<uint8_t>> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Uint8Array b = arr.Get(i).As<Napi::Uint8Array>();
    out.emplace_back(b.Data(), b.Data() + b.ByteLength());
  }
  return out;
}

Napi::Buffer<uint8_t> to_buffer(Napi::Env env, const mp4::VirtualFile& file) {
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, size_t(file.size()));
  file.copy(0, file.size(), out.Data());
  return out;
}

class LiveMuxerObject : public Napi::ObjectWrap<LiveMuxerObject> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "LiveMuxer",
                       {
                           InstanceMethod<&LiveMuxerObject::Init>("init"),
                           InstanceMethod<&LiveMuxerObject::Fragment>("fragment"),
                       });
  }

  // new LiveMuxer([{ name, width, height, sps: [Uint8Array], pps: [Uint8Array] }], creationTimeUs?)
  LiveMuxerObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<LiveMuxerObject>(info) {
    guarded(info.Env(), [&] {
      Napi::Array tracks = info[0].As<Napi::Array>();
      movie_.timescale = 90000;
      for (uint32_t i = 0; i < tracks.Length(); ++i) {
        Napi::Object t = tracks.Get(i).As<Napi::Object>();
        mp4::Track track;
        track.track_id = i + 1;
        track.name = t.Get("name").As<Napi::String>();
        track.timescale = 90000;
        track.width = t.Get("width").As<Napi::Number>().Uint32Value();
        track.height = t.Get("height").As<Napi::Number>().Uint32Value();
        track.sps = byte_list(t.Get("sps").As<Napi::Array>());
        track.pps = byte_list(t.Get("pps").As<Napi::Array>());
        movie_.tracks.push_back(std::move(track));
      }
      if (info.Length() > 1 && !info[1].IsUndefined()) {
        movie_.creation_time_us = to_safe_int64(info[1], "creation time");
        check_time("a live stream's creation time", movie_.creation_time_us);
      }
    });
  }

  Napi::Value Init(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      mp4::FragmentedOptions o;
      o.known_duration = false;  // live: the duration is not known
      std::vector<uint8_t> bytes = mp4::build_init_segment(movie_, o);
      return Napi::Buffer<uint8_t>::Copy(env, bytes.data(), bytes.size());
    });
  }

  // fragment(track, sequence, dtsTicks: Float64Array, ptsTicks: Float64Array, durations:
  // Float64Array, sync: Uint8Array, payloads: Uint8Array[], firstDtsUs) -> Buffer (prft +
  // moof + mdat). The prft pairs the first sample's decode time with its capture time to
  // the µs (docs/TIME.md): the ticks alone would round it.
  Napi::Value Fragment(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    return guarded(env, [&]() -> Napi::Value {
      uint32_t index = info[0].As<Napi::Number>().Uint32Value();
      uint32_t sequence = info[1].As<Napi::Number>().Uint32Value();
      Napi::Float64Array dts = info[2].As<Napi::Float64Array>();
      Napi::Float64Array pts = info[3].As<Napi::Float64Array>();
      Napi::Float64Array durations = info[4].As<Napi::Float64Array>();
      Napi::Uint8Array sync = info[5].As<Napi::Uint8Array>();
      Napi::Array payloads = info[6].As<Napi::Array>();
      if (index >= movie_.tracks.size()) throw Error(ErrorCode::InvalidArgument, "no such live track");
      const size_t n = payloads.Length();
      if (dts.ElementLength() < n || pts.ElementLength() < n || durations.ElementLength() < n || sync.ElementLength() < n)
        throw Error(ErrorCode::InvalidArgument, "fragment(): dts, pts, durations and sync need an entry per payload");
      // A movie whose only samples are this fragment's; the others stay empty.
      mp4::Movie m = movie_;
      mp4::Track& t = m.tracks[index];
      std::vector<Napi::Uint8Array> keep;  // the payload views stay referenced during the call
      for (uint32_t i = 0; i < n; ++i) {
        Napi::Uint8Array p = payloads.Get(i).As<Napi::Uint8Array>();
        keep.push_back(p);
        mp4::Sample s;
        s.dts = to_safe_int64(dts[i], "a live sample's dts (ticks)");
        s.pts = to_safe_int64(pts[i], "a live sample's pts (ticks)");
        s.duration = to_uint32(durations[i], "a live sample's duration (ticks)");
        s.sync = sync[i] != 0;
        s.data = ByteSpan{p.Data(), p.ByteLength()};
        t.samples.push_back(s);
      }
      std::vector<mp4::FragmentRange> ranges(m.tracks.size());
      ranges[index] = {0, t.samples.size()};
      mp4::VirtualFile out;
      if (n > 0 && info.Length() > 7) {
        mp4::ProducerReference ref;
        ref.track_id = t.track_id;
        ref.media_time = uint64_t(std::max<int64_t>(t.samples.front().dts, 0));
        ref.unix_us = to_safe_int64(info[7], "a live fragment's first decode time (µs)");
        check_time("a live fragment's first decode time", ref.unix_us);
        std::vector<uint8_t> prft;
        mp4::BoxWriter w(prft);
        if (mp4::write_prft(w, ref)) out.append_generated(std::move(prft));
      }
      mp4::append_fragment(out, m, ranges, sequence);
      return to_buffer(env, out);
    });
  }

 private:
  mp4::Movie movie_;
};

}  // namespace

Napi::Function DefineLiveMuxer(Napi::Env env) { return LiveMuxerObject::Define(env); }

}  // namespace ringclip::addon
