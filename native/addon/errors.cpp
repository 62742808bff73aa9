#include "errors.h"

#include <string>

#include "addon_data.h"

namespace ringclip::addon {

void set_error_classes(Napi::Env env, Napi::Object classes) {
  auto& c = addon_data(env).error_classes;
  Napi::Array keys = classes.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string code = keys.Get(i).As<Napi::String>();
    c[code] = Napi::Persistent(classes.Get(code).As<Napi::Function>());
  }
}

Napi::Error to_js_error(Napi::Env env, ErrorCode code, const std::string& message) {
  auto& c = addon_data(env).error_classes;
  auto it = c.find(error_code_name(code));
  if (it == c.end()) {
    Napi::Error e = Napi::Error::New(env, message);
    e.Set("code", Napi::String::New(env, error_code_name(code)));
    return e;
  }
  Napi::Value instance = it->second.New({Napi::String::New(env, message)});
  return Napi::Error(env, instance);
}

void throw_js(Napi::Env env, const Error& e) { throw to_js_error(env, e.code(), e.what()); }

}  // namespace ringclip::addon
