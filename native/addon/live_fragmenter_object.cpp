// A live fragmented MP4 of a store's streams (store/live_fragmenter.h): lib/live.ts keeps
// the Readable, the waiting and the backpressure; each poll is one native call.
#include "addon_data.h"
#include "convert.h"
#include "errors.h"
#include "objects.h"

namespace ringclip::addon {

Napi::Function LiveFragmenterObject::Define(Napi::Env env) {
  return DefineClass(env, "NativeLiveFragmenter", {InstanceMethod<&LiveFragmenterObject::Poll>("poll")});
}

LiveFragmenterObject::LiveFragmenterObject(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<LiveFragmenterObject>(info) {}

void LiveFragmenterObject::Init(std::shared_ptr<store::SegmentStore> s,
                                std::shared_ptr<const store::GenerationSnapshot> snapshot,
                                store::LiveFragmenter::Options options) {
  fragmenter_ = std::make_unique<store::LiveFragmenter>(std::move(s), std::move(snapshot), std::move(options));
}

// poll(maxFrames, flush: 0 none | 1 pending | 2 final) -> { bytes: Buffer | null, more, origin, skipped, held }
Napi::Value LiveFragmenterObject::Poll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    uint32_t max = info[0].As<Napi::Number>().Uint32Value();
    uint32_t flush = info[1].As<Napi::Number>().Uint32Value();
    if (flush > 2) throw Error(ErrorCode::InvalidArgument, "flush is 0, 1 or 2");
    store::LiveFragmenter::Step step = fragmenter_->poll(max, store::LiveFragmenter::Flush(flush));
    Napi::Object o = Napi::Object::New(env);
    o.Set("bytes", step.bytes.empty()
                       ? env.Null()
                       : Napi::Buffer<uint8_t>::Copy(env, step.bytes.data(), step.bytes.size()).As<Napi::Value>());
    o.Set("more", step.more);
    o.Set("origin", step.origin_us == INT64_MIN ? env.Null() : Napi::Number::New(env, double(step.origin_us)));
    o.Set("skipped", double(step.skipped_frames));
    o.Set("held", double(step.held_frames));
    return o;
  });
}

}  // namespace ringclip::addon
