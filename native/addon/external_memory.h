#pragma once
// Native memory a JS handle keeps alive, told to V8. A clip or virtual file holds sample
// tables and layouts (~0.2-0.5 MB for a minute of two cameras) that V8 does not see:
// handles a caller drops without release() were collected so late that they piled up by
// the thousand, and each new table was built in fresh pages (a clip + toVirtualMP4() cost
// four times as much with them).
#include <napi.h>

#include <atomic>
#include <cstdint>

namespace ringclip::addon {

class ExternalMemory {
 public:
  void set(Napi::BasicEnv env, int64_t bytes) { change(env, bytes - bytes_); }
  // From release() and from the finalizer (a basic one: adjusting the count is allowed there).
  void clear(Napi::BasicEnv env) { change(env, -bytes_); }
  // What every live handle holds now (unreleasedNativeBytes() in lib/): V8 does not say.
  static int64_t held() { return held_.load(std::memory_order_relaxed); }

 private:
  void change(Napi::BasicEnv env, int64_t delta) {
    if (delta == 0) return;
    Napi::MemoryManagement::AdjustExternalMemory(env, delta);
    bytes_ += delta;
    held_.fetch_add(delta, std::memory_order_relaxed);
  }
  int64_t bytes_ = 0;
  static inline std::atomic<int64_t> held_{0};
};

}  // namespace ringclip::addon
