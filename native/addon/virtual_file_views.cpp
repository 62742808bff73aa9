// VirtualMP4.views(start, end): the bytes [start, end) of a virtual file as views, not copies,
// so a server can hand the stored bytes to a socket without copying them through JS buffers.
//
// An MP4 source keeps its mapping for as long as anything holds it: every view holds the
// virtual file (its generated boxes) and the source's mapping until the view is collected,
// the way lmdb-js ties a view's lifetime to its read pin. A ring store can close or (read-only,
// another process writing) reclaim what a view would point into, so there the range is one
// checked copy, exactly what read() returns.
#include <memory>
#include <shared_mutex>
#include <utility>

#include "convert.h"
#include "errors.h"
#include "objects.h"

namespace ringclip::addon {
namespace {

// What one view keeps alive: the virtual file (generated pieces live in it) and the mapping.
struct ViewHold {
  std::shared_ptr<const mp4::VirtualFile> file;
  std::shared_ptr<void> mapping;
};

void release_view(napi_env /*env*/, void* /*data*/, void* hint) { delete static_cast<ViewHold*>(hint); }

Napi::Value view_of(Napi::Env env, ByteSpan span, const ViewHold& hold) {
  auto* keep = new ViewHold(hold);
  napi_value buffer;
  // The bytes are read-only (generated boxes, or a PROT_READ mapping): the API says so.
  napi_status status = napi_create_external_arraybuffer(env, const_cast<uint8_t*>(span.data), span.size, release_view,
                                                        keep, &buffer);
  if (status != napi_ok) {
    delete keep;
    throw Napi::Error::New(env, "could not create a view of the virtual file");
  }
  return Napi::Uint8Array::New(env, span.size, Napi::ArrayBuffer(env, buffer), 0);
}

}  // namespace

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
      std::shared_lock<std::shared_mutex> lock(store_->mapping_lock());
      if (store_->closed()) throw Error(ErrorCode::Closed, "the store is closed");
      Napi::Buffer<uint8_t> copy = Napi::Buffer<uint8_t>::New(env, size_t(end - start));
      store::read_guarded(guard_.get(), store_.get(), [&] { file_->copy(start, end, copy.Data()); });
      out.Set(uint32_t(0), copy);
      return out;
    }
    // Neighbouring pieces that are neighbours in memory too (consecutive samples of one
    // chunk) become one view: a socket then gets a few large writes, not one per sample.
    ViewHold hold{file_, keep_alive_};
    ByteSpan run;
    uint32_t n = 0;
    file_->read(start, end, [&](ByteSpan s) {
      if (run.data && run.data + run.size == s.data) {
        run.size += s.size;
        return;
      }
      if (run.data) out.Set(n++, view_of(env, run, hold));
      run = s;
    });
    if (run.data) out.Set(n++, view_of(env, run, hold));
    return out;
  });
}

}  // namespace ringclip::addon
