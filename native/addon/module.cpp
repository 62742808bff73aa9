// The addon's entry point: registers the native classes and takes lib/'s error classes.
#include <napi.h>

#include "addon_data.h"
#include "errors.h"
#include "external_memory.h"
#include "mp4/writer.h"
#include "objects.h"
#include "store/crc32c.h"
#include "store/format.h"

namespace ringclip::addon {
namespace {

Napi::Value SetErrorClasses(const Napi::CallbackInfo& info) {
  set_error_classes(info.Env(), info[0].As<Napi::Object>());
  return info.Env().Undefined();
}

// Detaches an ArrayBuffer that wraps store memory, so no view outlives the mapping.
Napi::Value Detach(const Napi::CallbackInfo& info) {
  Napi::ArrayBuffer ab = info[0].As<Napi::ArrayBuffer>();
  if (!ab.IsDetached()) ab.Detach();
  return info.Env().Undefined();
}

Napi::Value UnreleasedNativeBytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), double(ExternalMemory::held()));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  AddonData& data = addon_data(env);
  exports.Set("NativeStore", StoreObject::Define(env));
  exports.Set("NativeMp4Source", DefineMp4Source(env));
  data.ingest = Napi::Persistent(IngestObject::Define(env));
  data.sample_writer = Napi::Persistent(SampleWriterObject::Define(env));
  data.fragmented_ingest = Napi::Persistent(FragmentedIngestObject::Define(env));
  data.live_fragmenter = Napi::Persistent(LiveFragmenterObject::Define(env));
  data.virtual_file = Napi::Persistent(VirtualFileObject::Define(env));
  data.clip = Napi::Persistent(ClipObject::Define(env));
  data.hls_plan = Napi::Persistent(HlsPlanObject::Define(env));
  exports.Set("setErrorClasses", Napi::Function::New(env, SetErrorClasses));
  exports.Set("detach", Napi::Function::New(env, Detach));
  exports.Set("unreleasedNativeBytes", Napi::Function::New(env, UnreleasedNativeBytes));
  exports.Set("parseAdts", Napi::Function::New(env, ParseAdts));
  exports.Set("hlsSegmentLines", Napi::Function::New(env, HlsSegmentLines));
  exports.Set("parseAnnexB", Napi::Function::New(env, ParseAnnexB));
  exports.Set("formatVersion", Napi::Number::New(env, store::kFormatVersion));
  exports.Set("mp4WriterVersion", Napi::Number::New(env, mp4::kWriterVersion));
  exports.Set("crc32cHardware", Napi::Boolean::New(env, store::crc32c_is_hardware()));
  return exports;
}

}  // namespace
}  // namespace ringclip::addon

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return ringclip::addon::Init(env, exports); }
NODE_API_MODULE(ringclip, InitModule)
