#pragma once
// Per-environment state of the addon (one per Node.js environment / worker thread).
#include <napi.h>

#include <map>
#include <string>

namespace ringclip::addon {

struct AddonData {
  std::map<std::string, Napi::FunctionReference> error_classes;
  Napi::FunctionReference ingest, sample_writer, fragmented_ingest, live_fragmenter, virtual_file, clip, hls_plan;
};

inline AddonData& addon_data(Napi::Env env) {
  AddonData* d = env.GetInstanceData<AddonData>();
  if (!d) {
    d = new AddonData();
    env.SetInstanceData(d);
  }
  return *d;
}

}  // namespace ringclip::addon
