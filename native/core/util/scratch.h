#pragma once
// Large working vectors kept per thread between uses. A clip of an hour of one camera builds
// and drops several tables of ~108,000 entries (5 MB of source samples, a pointer per
// selected sample, ...) in a few milliseconds; freed, glibc returns such blocks to the
// kernel, and the next clip takes a page fault for every 4 KiB of them again: half of an
// hour-long clip's time, measured (bench "HLS playlists of a 1-hour drive"). A few vectors
// of each type are kept for the next use instead, each up to kMaxKeptBytes (~3 hours of a
// camera's samples), so a thread holds at most kKept times that per type after the largest
// clips it made: ~35 MB after an hour of two cameras with audio.
#include <cstddef>
#include <utility>
#include <vector>

namespace ringclip {

template <typename T>
class Scratch {
 public:
  static constexpr size_t kMaxKeptBytes = size_t(16) << 20;
  static constexpr size_t kKept = 4;

  // An empty vector, with the capacity of one kept earlier when there is one.
  static std::vector<T> take() {
    Pool& pool = pool_();
    if (pool.count == 0) return {};
    std::vector<T> v = std::move(pool.kept[--pool.count]);
    v.clear();
    return v;
  }
  // Keeps `v`'s storage for a later take() (or frees it: too large, or enough kept).
  static void give(std::vector<T>&& v) {
    Pool& pool = pool_();
    if (v.capacity() == 0 || v.capacity() * sizeof(T) > kMaxKeptBytes || pool.count == kKept) return;
    pool.kept[pool.count++] = std::move(v);
  }

 private:
  struct Pool {
    std::vector<T> kept[kKept];
    size_t count = 0;
  };
  static Pool& pool_() {
    thread_local Pool pool;
    return pool;
  }
};

}  // namespace ringclip
