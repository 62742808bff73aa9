#pragma once
// Core errors become instances of lib/'s own error classes (handed to the addon at load
// time, as better-sqlite3 does), so callers catch RingclipError subclasses with stable codes.
#include <napi.h>

#include <stdexcept>
#include <string>

#include "util/error.h"

namespace ringclip::addon {

void set_error_classes(Napi::Env env, Napi::Object classes);
[[noreturn]] void throw_js(Napi::Env env, const Error& e);
Napi::Error to_js_error(Napi::Env env, ErrorCode code, const std::string& message);

// Runs `body`, converting core errors into the matching JS errors.
template <typename F>
auto guarded(Napi::Env env, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Error& e) {
    throw_js(env, e);
  } catch (const std::bad_alloc&) {
    throw to_js_error(env, ErrorCode::Io, "out of memory");
  } catch (const std::logic_error& e) {
    // A broken invariant of the core (a bug, never bad input): a JS Error that says so,
    // not a process ended by an exception crossing into Node.
    throw Napi::Error::New(env, std::string("ringclip internal error: ") + e.what());
  }
}

}  // namespace ringclip::addon
