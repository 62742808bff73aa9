// Mp4Source.views(start, end): bytes of the source file itself as views of its read-only
// mapping, so a server sends a stored MP4 as it is without copying it through JS buffers.
// Each view holds the mapping until collected, even after close().
#include "mp4_source_views.h"

#include "convert.h"
#include "mapped_views.h"

namespace ringclip::addon {

Napi::Value mp4_source_views(Napi::Env env, const std::shared_ptr<exporting::Mp4Source>& source,
                             const Napi::Value& start_arg, const Napi::Value& end_arg) {
  uint64_t start = to_safe_uint64(start_arg, "start");
  uint64_t end = to_safe_uint64(end_arg, "end");
  if (end > source->size()) end = source->size();
  if (start > end) start = end;
  Napi::Array out = Napi::Array::New(env);
  if (start < end) out.Set(uint32_t(0), mapped_view(env, source->data() + start, size_t(end - start), source));
  return out;
}

}  // namespace ringclip::addon
