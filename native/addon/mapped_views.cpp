#include "mapped_views.h"

#include <utility>

namespace ringclip::addon {
namespace {

void release_hold(napi_env /*env*/, void* /*data*/, void* hint) {
  delete static_cast<std::shared_ptr<const void>*>(hint);
}

}  // namespace

Napi::Value mapped_view(Napi::Env env, const uint8_t* data, size_t size, std::shared_ptr<const void> hold) {
  auto* keep = new std::shared_ptr<const void>(std::move(hold));
  napi_value buffer;
  // Read-only bytes (generated boxes, a PROT_READ mapping) behind a writable-typed array:
  // the API documents the views as read-only.
  napi_status status =
      napi_create_external_arraybuffer(env, const_cast<uint8_t*>(data), size, release_hold, keep, &buffer);
  if (status != napi_ok) {
    delete keep;
    throw Napi::Error::New(env, "could not create a view of mapped bytes");
  }
  return Napi::Uint8Array::New(env, size, Napi::ArrayBuffer(env, buffer), 0);
}

}  // namespace ringclip::addon
