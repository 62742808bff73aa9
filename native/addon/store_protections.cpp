// Protections: time ranges loop recording keeps, held in the file header.
#include "convert.h"
#include "errors.h"
#include "objects.h"

namespace ringclip::addon {

Napi::Value StoreObject::Protect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    int64_t from = to_safe_int64(info[0], "from");
    int64_t to = to_safe_int64(info[1], "to");
    return Napi::Number::New(env, double(store_->protect(from, to)));
  });
}

Napi::Value StoreObject::ReleaseProtection(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    store_->release_protection(to_safe_uint64(info[0], "protection id"));
    return env.Undefined();
  });
}

Napi::Value StoreObject::Protections(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto list = store_->protections();
  Napi::Array out = Napi::Array::New(env, list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("id", double(list[i].protection.id));
    p.Set("from", double(list[i].protection.from_us));
    p.Set("to", double(list[i].protection.to_us));
    p.Set("coveredFrom", double(list[i].protection.covered_from_us));
    p.Set("bytes", double(list[i].bytes));
    out.Set(uint32_t(i), p);
  }
  return out;
}

}  // namespace ringclip::addon
