// parseAnnexB(bytes) -> { offsets, sizes, idr, presentation, reorderDepth, fps, rejected, skipped }:
// a whole H.264 stream described unit by unit (h264/annexb_units.h), as typed arrays.
#include "h264/annexb_units.h"

#include "errors.h"
#include "objects.h"

namespace ringclip::addon {

Napi::Value ParseAnnexB(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
    h264::AnnexBDescription d = h264::describe_annexb(bytes.Data(), bytes.ByteLength());
    size_t n = d.units.size();
    Napi::Float64Array offsets = Napi::Float64Array::New(env, n);
    Napi::Float64Array sizes = Napi::Float64Array::New(env, n);
    Napi::Float64Array presentation = Napi::Float64Array::New(env, n);
    Napi::Uint8Array idr = Napi::Uint8Array::New(env, n);
    for (size_t i = 0; i < n; ++i) {
      offsets[i] = double(d.units[i].offset);
      sizes[i] = double(d.units[i].size);
      presentation[i] = double(d.units[i].presentation);
      idr[i] = d.units[i].idr ? 1 : 0;
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("offsets", offsets);
    o.Set("sizes", sizes);
    o.Set("presentation", presentation);
    o.Set("idr", idr);
    o.Set("reorderDepth", d.reorder_depth);
    o.Set("fps", d.fps);
    o.Set("rejected", double(d.rejected));
    o.Set("skipped", double(d.skipped));
    return o;
  });
}

}  // namespace ringclip::addon
