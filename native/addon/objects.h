#pragma once
// The JS-visible native objects. Each method converts arguments (already validated by
// lib/), calls the core once, and converts the result back. No logic lives here.
#include <napi.h>

#include <functional>
#include <memory>
#include <optional>

#include "export/clip_cutter.h"
#include "export/mp4_source.h"
#include "external_memory.h"
#include "mp4/hls_layout.h"
#include "mp4/virtual_file.h"
#include "store/fragmented_ingest.h"
#include "store/guarded_read.h"
#include "store/live_fragmenter.h"
#include "store/sample_writer.h"
#include "store/segment_store.h"
#include "store/store_clip.h"
#include "store/stream_ingest.h"
#include "util/file_identity.h"

namespace ringclip::addon {

Napi::Value ParseAdts(const Napi::CallbackInfo& info);        // store_timed_writes.cpp
Napi::Value HlsSegmentLines(const Napi::CallbackInfo& info);  // clip_hls.cpp
Napi::Value ParseAnnexB(const Napi::CallbackInfo& info);      // annexb_units.cpp

// What a write did, as lib/ reads it: 1 stored, 2 overwrite events to take, 4 a random access point.
inline Napi::Value write_flags(Napi::Env env, const store::WriteResult& r) {
  return Napi::Number::New(env, (r.stored ? 1 : 0) | (r.events_pending ? 2 : 0) | (r.random_access ? 4 : 0));
}

class StoreObject : public Napi::ObjectWrap<StoreObject> {
 public:
  static Napi::Function Define(Napi::Env env);
  StoreObject(const Napi::CallbackInfo& info);
  static Napi::Value Create(const Napi::CallbackInfo& info);
  static Napi::Value Open(const Napi::CallbackInfo& info);
  std::shared_ptr<store::SegmentStore> store() const { return store_; }

 private:
  Napi::Value Write(const Napi::CallbackInfo& info);
  Napi::Value WriteAudio(const Napi::CallbackInfo& info);  // store_timed_writes.cpp
  Napi::Value WriteMetadata(const Napi::CallbackInfo& info);
  Napi::Value TakeEvents(const Napi::CallbackInfo& info);
  Napi::Value CopyTo(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Recovery(const Napi::CallbackInfo& info);
  Napi::Value Protect(const Napi::CallbackInfo& info);
  Napi::Value ReleaseProtection(const Napi::CallbackInfo& info);
  Napi::Value Protections(const Napi::CallbackInfo& info);
  Napi::Value Flush(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Verify(const Napi::CallbackInfo& info);
  Napi::Value ListFrames(const Napi::CallbackInfo& info);
  Napi::Value ListFramesAfter(const Napi::CallbackInfo& info);
  Napi::Value Spans(const Napi::CallbackInfo& info);
  Napi::Value StreamConfig(const Napi::CallbackInfo& info);
  Napi::Value LastDts(const Napi::CallbackInfo& info);
  Napi::Value PinIfLive(const Napi::CallbackInfo& info);
  Napi::Value Unpin(const Napi::CallbackInfo& info);
  Napi::Value SegmentBuffer(const Napi::CallbackInfo& info);
  Napi::Value ReadFrame(const Napi::CallbackInfo& info);
  Napi::Value CreateIngest(const Napi::CallbackInfo& info);
  Napi::Value CreateSampleWriter(const Napi::CallbackInfo& info);
  Napi::Value CreateFragmentedIngest(const Napi::CallbackInfo& info);
  Napi::Value CreateLiveFragmenter(const Napi::CallbackInfo& info);
  Napi::Value Clip(const Napi::CallbackInfo& info);
  Napi::Value Header(const Napi::CallbackInfo& info);
  Napi::Value HeaderWrites(const Napi::CallbackInfo& info);
  Napi::Value PrepareStats(const Napi::CallbackInfo& info);

  std::shared_ptr<store::SegmentStore> store_;
  // Read-only stores only: the generations their index describes (store/segment_generation.h).
  std::shared_ptr<const store::GenerationSnapshot> generations_;
};

class IngestObject : public Napi::ObjectWrap<IngestObject> {
 public:
  static Napi::Function Define(Napi::Env env);
  IngestObject(const Napi::CallbackInfo& info);
  void Init(std::shared_ptr<store::SegmentStore> s, uint32_t stream, double fps, int64_t start_us);

 private:
  Napi::Value Feed(const Napi::CallbackInfo& info);
  Napi::Value Finish(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  std::shared_ptr<store::SegmentStore> store_;
  std::unique_ptr<store::StreamIngest> ingest_;
};

class SampleWriterObject : public Napi::ObjectWrap<SampleWriterObject> {
 public:
  static Napi::Function Define(Napi::Env env);
  SampleWriterObject(const Napi::CallbackInfo& info);
  void Init(std::shared_ptr<store::SegmentStore> s, uint32_t stream);

 private:
  Napi::Value Write(const Napi::CallbackInfo& info);
  std::shared_ptr<store::SegmentStore> store_;
  std::unique_ptr<store::SampleWriter> writer_;
};

class FragmentedIngestObject : public Napi::ObjectWrap<FragmentedIngestObject> {
 public:
  static Napi::Function Define(Napi::Env env);
  FragmentedIngestObject(const Napi::CallbackInfo& info);
  void Init(std::shared_ptr<store::SegmentStore> s, store::FragmentedIngest::Options options);

 private:
  Napi::Value Push(const Napi::CallbackInfo& info);
  Napi::Value Finish(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  std::shared_ptr<store::SegmentStore> store_;
  std::unique_ptr<store::FragmentedIngest> ingest_;
};

// A clip's bytes: a virtual file over generated boxes and spans of pinned stored bytes.
// It keeps its source alive (the store clip's pins, or an MP4 file's mapping).
class VirtualFileObject : public Napi::ObjectWrap<VirtualFileObject> {
 public:
  static Napi::Function Define(Napi::Env env);
  VirtualFileObject(const Napi::CallbackInfo& info);
  // `source_file`: the file the stored bytes come from, which writeTo() refuses to overwrite.
  // `guard`: for a read-only store, checks the borrowed bytes around every read of them.
  // `kept_bytes`: heap bytes `keep_alive` holds (the clip's tables), reported to V8 with the file's.
  void Init(std::shared_ptr<const mp4::VirtualFile> file, std::shared_ptr<void> keep_alive, size_t kept_bytes,
            std::shared_ptr<store::SegmentStore> store, std::string etag, FileIdentity source_file,
            std::shared_ptr<const store::GenerationGuard> guard);
  // A clip of an MP4 source: the source its spans point into, which sendTo() sends them from.
  void SetMp4Source(std::shared_ptr<const exporting::Mp4Source> source) { mp4_source_ = std::move(source); }

 private:
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Etag(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value Views(const Napi::CallbackInfo& info);   // virtual_file_views.cpp
  Napi::Value SendTo(const Napi::CallbackInfo& info);  // virtual_file_send.cpp
  Napi::Value WriteTo(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);
  void Finalize(Napi::BasicEnv env) override;
  void check_live() const;
  ExternalMemory external_;
  std::shared_ptr<const mp4::VirtualFile> file_;
  std::shared_ptr<void> keep_alive_;
  std::shared_ptr<store::SegmentStore> store_;              // null for MP4 sources
  std::shared_ptr<const store::GenerationGuard> guard_;     // null unless the store is read-only
  std::shared_ptr<const exporting::Mp4Source> mp4_source_;  // null for ring stores
  std::string etag_;
  FileIdentity source_file_;
};

class ClipObject : public Napi::ObjectWrap<ClipObject> {
 public:
  static Napi::Function Define(Napi::Env env);
  ClipObject(const Napi::CallbackInfo& info);
  // `source_keep_alive` owns what the movie's spans point into: the store clip's pins, or
  // the input MP4's mapping; `cut` may alias it.
  // `source_file` is the store file or the input MP4 (exports never overwrite it).
  // `guard` (read-only stores) checks the clip's segments around every read of their bytes.
  // `identity` says what the clip's ETags are made of (store::StoreClip::identity()), asked
  // only when a file is built.
  void Init(std::shared_ptr<store::SegmentStore> s, std::shared_ptr<void> source_keep_alive,
            std::shared_ptr<const exporting::CutResult> cut, std::function<uint64_t()> identity,
            FileIdentity source_file, std::shared_ptr<const store::GenerationGuard> guard = nullptr);
  // A clip of an MP4 source: the files built from it can be sent to a socket by sendfile.
  void SetMp4Source(std::shared_ptr<const exporting::Mp4Source> source) { mp4_source_ = std::move(source); }

 private:
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Build(const Napi::CallbackInfo& info);
  Napi::Value Hls(const Napi::CallbackInfo& info);  // clip_hls.cpp
  Napi::Value Release(const Napi::CallbackInfo& info);
  void Finalize(Napi::BasicEnv env) override;
  ExternalMemory external_;
  std::shared_ptr<store::SegmentStore> store_;
  std::shared_ptr<void> source_;                            // what the movie's spans point into
  std::shared_ptr<const exporting::Mp4Source> mp4_source_;  // null for ring stores
  std::shared_ptr<const exporting::CutResult> cut_;
  std::shared_ptr<const store::GenerationGuard> guard_;
  const mp4::Movie* movie_ = nullptr;
  std::function<uint64_t()> identity_;
  FileIdentity source_file_;
  bool released_ = false;
};

// One camera of a clip as an HLS rendition, planned (mp4/hls_layout.h): holds what the
// rendition's file is built from (the clip's movie and pins) until release().
class HlsPlanObject : public Napi::ObjectWrap<HlsPlanObject> {
 public:
  struct Plan {
    std::shared_ptr<const mp4::HlsLayout> layout;
    std::shared_ptr<const exporting::CutResult> cut;
    std::shared_ptr<void> source;
    std::shared_ptr<const exporting::Mp4Source> mp4_source;  // null for ring stores
    const mp4::Movie* movie = nullptr;                       // cut's or source's
    std::shared_ptr<store::SegmentStore> store;
    std::shared_ptr<const store::GenerationGuard> guard;
    std::function<uint64_t()> identity;
    FileIdentity source_file;
    bool open_end = false;
  };
  static Napi::Function Define(Napi::Env env);
  HlsPlanObject(const Napi::CallbackInfo& info);
  void Init(Plan plan);

 private:
  Napi::Value File(const Napi::CallbackInfo& info);
  Napi::Value Part(const Napi::CallbackInfo& info);
  Napi::Value Release(const Napi::CallbackInfo& info);
  void Finalize(Napi::BasicEnv env) override;
  void check_usable() const;
  Napi::Value Wrap(Napi::Env env, mp4::VirtualFile built, uint32_t variant) const;
  ExternalMemory external_;
  std::optional<Plan> plan_;
};

Napi::Function DefineMp4Source(Napi::Env env);
class LiveFragmenterObject : public Napi::ObjectWrap<LiveFragmenterObject> {
 public:
  static Napi::Function Define(Napi::Env env);
  LiveFragmenterObject(const Napi::CallbackInfo& info);
  void Init(std::shared_ptr<store::SegmentStore> s, std::shared_ptr<const store::GenerationSnapshot> snapshot,
            store::LiveFragmenter::Options options);

 private:
  Napi::Value Poll(const Napi::CallbackInfo& info);
  std::unique_ptr<store::LiveFragmenter> fragmenter_;
};

}  // namespace ringclip::addon
