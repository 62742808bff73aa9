// VirtualMP4.views(start, end): the bytes [start, end) of a virtual file as views, not copies,
// so a server can hand the stored bytes to a socket without copying them through JS buffers.
//
// An MP4 source keeps its mapping for as long as anything holds it: every view holds the
// virtual file (its generated boxes) and the source's mapping until the view is collected,
// the way lmdb-js ties a view's lifetime to its read pin. A ring store can close or (read-only,
// another process writing) reclaim what a view would point into, so there the range is one
// checked copy, exactly what read() returns.
#include <memory>
#include <utility>

#include "convert.h"
#include "errors.h"
#include "mapped_views.h"
#include "objects.h"
#include "store/mapped_read.h"

namespace ringclip::addon {

Napi::Value VirtualFileObject::Views(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_live();
    uint64_t start = to_safe_uint64(info[0], "start");
    uint64_t end = to_safe_uint64(info[1], "end");
    if (end > file_->size()) end = file_->size();
    if (start > end) start = end;
    Napi::Array out = Napi::Array::New(env);
    if (start == end) return out;
    if (store_) {
      Napi::Buffer<uint8_t> copy = Napi::Buffer<uint8_t>::New(env, size_t(end - start));
      store::copy_mapped(store_.get(), guard_.get(), *file_, start, end, copy.Data());
      out.Set(uint32_t(0), copy);
      return out;
    }
    // Neighbouring pieces that are neighbours in memory too (consecutive samples of one
    // chunk) become one view: a socket then gets a few large writes, not one per sample.
    // What every view holds: the virtual file (generated pieces live in it) and the mapping.
    std::shared_ptr<const void> hold =
        std::make_shared<std::pair<std::shared_ptr<const mp4::VirtualFile>, std::shared_ptr<void>>>(file_, keep_alive_);
    ByteSpan run;
    uint32_t n = 0;
    file_->read(start, end, [&](ByteSpan s) {
      if (run.data && run.data + run.size == s.data) {
        run.size += s.size;
        return;
      }
      if (run.data) out.Set(n++, mapped_view(env, run.data, run.size, hold));
      run = s;
    });
    if (run.data) out.Set(n++, mapped_view(env, run.data, run.size, hold));
    return out;
  });
}

}  // namespace ringclip::addon
