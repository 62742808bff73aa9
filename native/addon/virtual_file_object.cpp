#include "addon_data.h"
#include "convert.h"
#include "errors.h"
#include "objects.h"
#include "store/mapped_read.h"

namespace ringclip::addon {
namespace {

// Writes a virtual file with scatter I/O straight from the mapping, off the JS thread.
class WriteWorker : public Napi::AsyncWorker {
 public:
  WriteWorker(Napi::Env env, std::shared_ptr<const mp4::VirtualFile> file, std::shared_ptr<void> keep,
              std::shared_ptr<store::SegmentStore> s, std::string path, int fd, FileIdentity source_file,
              std::shared_ptr<const store::GenerationGuard> guard)
      : Napi::AsyncWorker(env),
        deferred_(Napi::Promise::Deferred::New(env)),
        file_(std::move(file)),
        keep_(std::move(keep)),
        store_(std::move(s)),
        path_(std::move(path)),
        fd_(fd),
        source_file_(source_file),
        guard_(std::move(guard)) {}
  Napi::Promise promise() { return deferred_.Promise(); }
  void Execute() override {
    try {
      store::write_mapped(store_.get(), guard_.get(), *file_, path_, fd_, source_file_);
    } catch (const Error& e) {
      code_ = e.code();
      SetError(e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(Napi::Number::New(Env(), double(file_->size()))); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(to_js_error(Env(), code_, e.Message()).Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<const mp4::VirtualFile> file_;
  std::shared_ptr<void> keep_;
  std::shared_ptr<store::SegmentStore> store_;
  std::string path_;
  int fd_;
  FileIdentity source_file_;
  std::shared_ptr<const store::GenerationGuard> guard_;
  ErrorCode code_ = ErrorCode::Io;
};

}  // namespace

Napi::Function VirtualFileObject::Define(Napi::Env env) {
  return DefineClass(env, "NativeVirtualFile",
                     {
                         InstanceAccessor<&VirtualFileObject::Size>("size"),
                         InstanceAccessor<&VirtualFileObject::Etag>("etag"),
                         InstanceMethod<&VirtualFileObject::Read>("read"),
                         InstanceMethod<&VirtualFileObject::Views>("views"),
                         InstanceMethod<&VirtualFileObject::SendTo>("sendTo"),
                         InstanceMethod<&VirtualFileObject::WriteTo>("writeTo"),
                         InstanceMethod<&VirtualFileObject::Release>("release"),
                     });
}

VirtualFileObject::VirtualFileObject(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VirtualFileObject>(info) {}

void VirtualFileObject::Init(std::shared_ptr<const mp4::VirtualFile> file, std::shared_ptr<void> keep_alive,
                             size_t kept_bytes, std::shared_ptr<store::SegmentStore> s, std::string etag,
                             FileIdentity source_file, std::shared_ptr<const store::GenerationGuard> guard) {
  external_.set(Env(), int64_t(file->heap_bytes() + kept_bytes));
  source_file_ = source_file;
  guard_ = std::move(guard);
  file_ = std::move(file);
  keep_alive_ = std::move(keep_alive);
  store_ = std::move(s);
  etag_ = std::move(etag);
}

Napi::Value VirtualFileObject::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), file_ ? double(file_->size()) : 0);
}
Napi::Value VirtualFileObject::Etag(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), etag_); }

Napi::Value VirtualFileObject::Release(const Napi::CallbackInfo& info) {
  file_.reset();  // a WriteWorker in flight holds its own references
  keep_alive_.reset();
  mp4_source_.reset();
  external_.clear(info.Env());
  return info.Env().Undefined();
}

void VirtualFileObject::Finalize(Napi::BasicEnv env) { external_.clear(env); }

void VirtualFileObject::check_live() const {
  if (!file_) throw Error(ErrorCode::Closed, "the virtual file was released");
}

// read(start, end): a Buffer with bytes [start, end) (end exclusive, clamped to the size).
Napi::Value VirtualFileObject::Read(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_live();
    uint64_t start = to_safe_uint64(info[0], "start");
    uint64_t end = to_safe_uint64(info[1], "end");
    if (end > file_->size()) end = file_->size();
    if (start > end) start = end;
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, size_t(end - start));
    store::copy_mapped(store_.get(), guard_.get(), *file_, start, end, out.Data());
    return out;
  });
}

// writeTo(pathOrFd): resolves with the byte count once written.
Napi::Value VirtualFileObject::WriteTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!file_) throw to_js_error(env, ErrorCode::Closed, "the virtual file was released");
  std::string path;
  int fd = -1;
  if (info[0].IsNumber())
    fd = info[0].As<Napi::Number>().Int32Value();
  else
    path = info[0].As<Napi::String>();
  auto* worker = new WriteWorker(env, file_, keep_alive_, store_, path, fd, source_file_, guard_);
  Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

}  // namespace ringclip::addon
