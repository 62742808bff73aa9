// flush(): the msync of what was written, off the JS thread.
#include "errors.h"
#include "objects.h"

namespace ringclip::addon {

namespace {

// Flushes (msync) the ranges written so far, off the JS thread. Back on the JS thread the
// store advances its durable watermark (rewriting the header, synchronously) once every
// earlier flush has completed too.
class FlushWorker : public Napi::AsyncWorker {
 public:
  FlushWorker(Napi::Env env, std::shared_ptr<store::SegmentStore> s, store::SegmentStore::FlushTicket ticket)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        store_(std::move(s)),
        watermark_(ticket.watermark),
        ranges_(std::move(ticket.ranges)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      store_->sync_unless_closed(ranges_);
    } catch (const Error& e) {
      code_ = e.code();
      SetError(e.what());
    }
  }
  void OnOK() override {
    try {
      store_->end_flush(watermark_, true);
    } catch (const Error& e) {
      deferred_.Reject(to_js_error(Env(), e.code(), e.what()).Value());
      return;
    }
    deferred_.Resolve(Env().Undefined());
  }
  void OnError(const Napi::Error& e) override {
    try {
      store_->end_flush(watermark_, false);
    } catch (const Error&) {
      // the flush error below is the one to report
    }
    deferred_.Reject(to_js_error(Env(), code_, e.Message()).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<store::SegmentStore> store_;
  uint64_t watermark_;
  std::vector<store::SegmentStore::Range> ranges_;
  ErrorCode code_ = ErrorCode::Io;
};

}  // namespace

Napi::Value StoreObject::Flush(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    auto* worker = new FlushWorker(env, store_, store_->begin_flush());
    Napi::Promise p = worker->promise();
    worker->Queue();
    return p;
  });
}

}  // namespace ringclip::addon
