// The generation check of readers that hold no pin the writer knows about (a read-only open
// of a store another process records into): a segment's on-disk generation, the snapshot a
// read-only open takes of it, and the copies checked against it. Two SegmentStore objects
// on one file share its pages exactly as two processes do (MAP_SHARED).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "check.h"
#include "export/file_output.h"
#include "store/format.h"
#include "store/guarded_read.h"
#include "store/index_access.h"
#include "store/mapped_read.h"
#include "store/segment_generation.h"
#include "store/segment_store.h"
#include "store/stream_ingest.h"
#include "util/error.h"

using namespace ringclip;
using namespace ringclip::store;

namespace {

constexpr int64_t kT0 = 1767225600000000;  // 2026-01-01

struct Ring {
  std::string dir, path;
  std::unique_ptr<SegmentStore> writer;
  std::vector<uint8_t> road = test::read_fixture("road_1080p30_high_gop30.h264");
  int64_t next_start = kT0;

  // 3 segments of 1 MiB, about 2 s of road footage each: 6 s fill the ring.
  Ring() {
    char name[] = "/tmp/ringclip_generation_XXXXXX";
    dir = mkdtemp(name) ? name : "";
    path = dir + "/ring.ring";
    SegmentStore::CreateOptions options;
    options.capacity = kDataOffset + 3 * (1u << 20);
    options.segment_size = 1u << 20;
    options.streams = {"road"};
    writer = SegmentStore::create(path, options);
  }
  ~Ring() {
    if (writer) writer->close();
    std::remove(path.c_str());
    ::rmdir(dir.c_str());
  }
  // About `seconds` of road footage (the first bytes of the 10 s fixture); each call starts
  // 10 s after the previous one, so timestamps only grow.
  void record(int seconds) {
    StreamIngest ingest(*writer, 0, 30, next_start);
    ingest.feed(road.data(), road.size() * size_t(seconds) / 10);
    ingest.finish();
    next_start += 10000000;
  }
  std::unique_ptr<SegmentStore> reader() const { return SegmentStore::open(path, false); }
  // What another process's writer does to a segment header, straight to the file.
  void put_header(uint32_t segment, const uint8_t* bytes) const {
    int fd = ::open(path.c_str(), O_WRONLY);
    CHECK(fd >= 0);
    CHECK(::pwrite(fd, bytes, kSegmentHeaderSize, off_t(kDataOffset + uint64_t(segment) * (1u << 20))) ==
          off_t(kSegmentHeaderSize));
    ::close(fd);
  }
};

std::vector<uint32_t> live(const SegmentStore& s) { return s.live_segments_in_order(); }

// The record header of one frame, rewritten in the ring's file as a writer in another process
// would (the reader's mapping shares the page), while the segment header stays as it was.
struct RecordRewrite {
  std::string path;
  off_t at;
  uint8_t original[kRecordHeaderSize];
  RecordHeader header;  // as written
  RecordRewrite(const Ring& ring, const SegmentStore& reader, uint32_t segment, const IndexEntry& frame)
      : path(ring.path), at(off_t(kDataOffset + uint64_t(segment) * (1u << 20) + frame.offset)) {
    std::memcpy(original, reader.segment_data(segment) + frame.offset, kRecordHeaderSize);
    CHECK(decode_record_header(original, header));
  }
  void put_bytes(const uint8_t* bytes) const {
    int fd = ::open(path.c_str(), O_WRONLY);
    CHECK(fd >= 0);
    CHECK(::pwrite(fd, bytes, kRecordHeaderSize, at) == off_t(kRecordHeaderSize));
    ::close(fd);
  }
  void put(const RecordHeader& h) const {
    uint8_t bytes[kRecordHeaderSize];
    encode_record_header(h, bytes);
    put_bytes(bytes);
  }
  void restore() const { put_bytes(original); }
  // A whole header of a later generation: a sequence number past the segment's, a later pts.
  RecordHeader later(const SegmentStore& reader, uint32_t segment) const {
    RecordHeader h = header;
    h.seq = IndexAccess::segments(reader)[segment].next_record_seq + 400;
    h.pts_us = header.pts_us + 12000000;
    return h;
  }
  // This generation's header with another pts (as an index block that disagrees would index it).
  RecordHeader moved() const {
    RecordHeader h = header;
    h.pts_us = header.pts_us + 1;
    return h;
  }
};

}  // namespace

TEST(segment_generation_is_the_segment_seq_on_disk) {
  Ring ring;
  ring.record(3);
  auto reader = ring.reader();
  CHECK(live(*reader).size() >= 2);
  for (uint32_t i = 0; i < IndexAccess::segments(*reader).size(); ++i)
    CHECK_EQ(load_segment_generation(reader->segment_data(i)),
             IndexAccess::segments(*reader)[i].seq);  // 0 for unused ones
}

TEST(segment_generation_snapshot_refuses_a_segment_reclaimed_after_the_open) {
  Ring ring;
  ring.record(6);  // the ring is full: the next segment started reclaims the oldest
  auto reader = ring.reader();
  GenerationSnapshot snapshot(*reader);
  const std::vector<uint32_t> order = live(*reader);
  for (uint32_t i : order) CHECK(snapshot.holds(*reader, i));
  const uint32_t oldest = order.front();
  ring.record(3);
  CHECK(IndexAccess::segments(*ring.writer)[oldest].seq >
        IndexAccess::segments(*reader)[oldest].seq);  // it was reclaimed
  CHECK(!snapshot.holds(*reader, oldest));
  CHECK(snapshot.holds(*reader, order.back()));  // still the generation indexed (written on)
  // A fresh open indexes the new generation and holds it.
  auto again = ring.reader();
  CHECK(GenerationSnapshot(*again).holds(*again, oldest));
}

TEST(segment_generation_copy_frame_is_the_written_bytes_or_overrun) {
  Ring ring;
  ring.record(6);
  auto reader = ring.reader();
  auto snapshot = std::make_shared<const GenerationSnapshot>(*reader);
  const std::vector<uint32_t> order = live(*reader);
  const uint32_t oldest = order.front(), newest = order.back();
  const IndexEntry& old_frame = IndexAccess::segments(*reader)[oldest].frames[0].back();
  const IndexEntry& new_frame = IndexAccess::segments(*reader)[newest].frames[0].front();
  std::vector<uint8_t> written(reader->payload(oldest, old_frame),
                               reader->payload(oldest, old_frame) + old_frame.payload_size);

  std::vector<uint8_t> out(old_frame.payload_size);
  const IndexEntry& found =
      indexed_frame(*reader, 0, oldest, old_frame.offset + kRecordHeaderSize, old_frame.payload_size);
  CHECK_EQ(&found, &old_frame);
  copy_frame(*reader, snapshot.get(), 0, oldest, found, out.data());
  CHECK(out == written);

  ring.record(3);  // reclaims `oldest`
  bool overrun = false;
  try {
    copy_frame(*reader, snapshot.get(), 0, oldest, old_frame, out.data());
  } catch (const Error& e) {
    overrun = e.code() == ErrorCode::Overrun;
    CHECK(std::string(e.what()).find("the frame of 'road' at 2026-01-01T00:00:0") != std::string::npos);
    CHECK(std::string(e.what()).find("overwritten by loop recording") != std::string::npos);
  }
  CHECK(overrun);
  // Without a snapshot (a writable store: its readers hold pins) the copy is not checked.
  copy_frame(*reader, nullptr, 0, oldest, old_frame, out.data());
  // Frames of segments not reclaimed still come out.
  std::vector<uint8_t> fresh(new_frame.payload_size);
  copy_frame(*reader, snapshot.get(), 0, newest, new_frame, fresh.data());
  CHECK(std::memcmp(fresh.data(), reader->payload(newest, new_frame), fresh.size()) == 0);
}

// Seen on an AMD EPYC under load: a frame copied while its segment header still showed the
// indexed generation held another record's bytes (always the first access unit of a segment,
// which every generation writes at the same offset). The copy also checks the record header
// it came from: a whole header of another generation (a sequence number the index did not
// find in that segment) is an overrun, whatever the segment header says; one of this
// generation is not, even when its fields disagree with the index (damage verify() reports).
TEST(segment_generation_copy_frame_refuses_another_generations_record_at_the_same_offset) {
  Ring ring;
  ring.record(3);
  auto reader = ring.reader();
  auto snapshot = std::make_shared<const GenerationSnapshot>(*reader);
  const uint32_t newest = live(*reader).back();
  const IndexEntry& frame = IndexAccess::segments(*reader)[newest].frames[0].front();
  std::vector<uint8_t> out(frame.payload_size);
  copy_frame(*reader, snapshot.get(), 0, newest, frame, out.data());
  const RecordRewrite rewrite(ring, *reader, newest, frame);
  auto refused = [&] {
    try {
      copy_frame(*reader, snapshot.get(), 0, newest, frame, out.data());
    } catch (const Error& e) {
      return e.code() == ErrorCode::Overrun;
    }
    return false;
  };
  // A whole header of a later generation (a later sequence number and pts), the segment header untouched.
  rewrite.put(rewrite.later(*reader, newest));
  CHECK(snapshot->holds(*reader, newest));
  CHECK(refused());
  // This generation's record with another pts: the bytes are the record's, not refused.
  rewrite.put(rewrite.moved());
  CHECK(!refused());
  rewrite.restore();  // the record as written
  CHECK(!refused());
}

TEST(segment_generation_exports_refuse_another_generations_record_under_a_copied_frame) {
  Ring ring;
  ring.record(3);
  auto reader = ring.reader();
  auto snapshot = std::make_shared<const GenerationSnapshot>(*reader);
  const uint32_t newest = live(*reader).back();
  const IndexEntry& frame = IndexAccess::segments(*reader)[newest].frames[0].front();
  // An export's file: generated boxes, then the frame's payload borrowed from the mapping.
  mp4::VirtualFile file;
  file.append_generated(std::vector<uint8_t>(100, 0xAB));
  file.append_span(ByteSpan{reader->payload(newest, frame), frame.payload_size});
  const GenerationGuard guard(snapshot, {newest}, {0});
  std::vector<uint8_t> out(file.size());
  auto refused = [&](uint64_t start, uint64_t end) {
    try {
      copy_mapped(reader.get(), &guard, file, start, end, out.data());
    } catch (const Error& e) {
      return e.code() == ErrorCode::Overrun;
    }
    return false;
  };
  CHECK(!refused(0, file.size()));
  CHECK(std::memcmp(out.data() + 100, reader->payload(newest, frame), frame.payload_size) == 0);
  const RecordRewrite rewrite(ring, *reader, newest, frame);
  // A whole header of a later generation over the frame, the segment header untouched: a
  // read that copies any of the frame is refused; one of the generated bytes alone is not.
  rewrite.put(rewrite.later(*reader, newest));
  CHECK(snapshot->holds(*reader, newest));
  CHECK(refused(0, file.size()));
  CHECK(refused(150, 160));
  CHECK(!refused(0, 100));
  // Writing the file out is refused the same way (checked after the write).
  const std::string dest = ring.dir + "/export.mp4";
  bool write_refused = false;
  try {
    write_mapped(reader.get(), &guard, file, dest, -1, {});
  } catch (const Error& e) {
    write_refused = e.code() == ErrorCode::Overrun;
  }
  CHECK(write_refused);
  std::remove(dest.c_str());
  // This generation's header with another pts (an index block that disagrees): not refused.
  rewrite.put(rewrite.moved());
  CHECK(!refused(0, file.size()));
  rewrite.restore();
  CHECK(!refused(0, file.size()));
}

TEST(segment_generation_rows_not_in_the_index_are_invalid_arguments) {
  Ring ring;
  ring.record(3);
  auto reader = ring.reader();
  const uint32_t seg = live(*reader).front();
  const IndexEntry& e = IndexAccess::segments(*reader)[seg].frames[0].front();
  auto code = [&](uint32_t stream, uint32_t segment, uint64_t offset, uint64_t size) {
    try {
      indexed_frame(*reader, stream, segment, offset, size);
    } catch (const Error& err) {
      return err.code();
    }
    return ErrorCode::Closed;  // stands for "no error"
  };
  CHECK(code(0, seg, e.offset + kRecordHeaderSize, e.payload_size) == ErrorCode::Closed);
  CHECK(code(0, seg, e.offset + kRecordHeaderSize + 8, e.payload_size) == ErrorCode::InvalidArgument);
  CHECK(code(0, seg, e.offset + kRecordHeaderSize, e.payload_size + 1) == ErrorCode::InvalidArgument);
  CHECK(code(0, seg, 0, e.payload_size) == ErrorCode::InvalidArgument);
  CHECK(code(1, seg, e.offset + kRecordHeaderSize, e.payload_size) == ErrorCode::InvalidArgument);
  CHECK(code(0, 99, e.offset + kRecordHeaderSize, e.payload_size) == ErrorCode::InvalidArgument);
}

TEST(segment_generation_guard_names_the_streams_and_time_range) {
  Ring ring;
  ring.record(6);
  auto reader = ring.reader();
  auto snapshot = std::make_shared<const GenerationSnapshot>(*reader);
  const std::vector<uint32_t> order = live(*reader);
  GenerationGuard guard(snapshot, order, {0});
  guard.check(*reader);
  ring.record(3);
  std::string message;
  try {
    guard.check(*reader);
  } catch (const Error& e) {
    CHECK(e.code() == ErrorCode::Overrun);
    message = e.what();
  }
  CHECK(message.find("the footage of 'road' from 2026-01-01T00:00:0") == 0);
  CHECK(message.find("read-only") != std::string::npos);
}

TEST(segment_generation_a_damaged_header_stands_as_it_was_until_rewritten) {
  Ring ring;
  ring.record(3);
  const uint32_t seg = live(*ring.writer).back();
  ring.writer->close();
  ring.writer.reset();
  // Bit rot in the header: recovery rebuilds the index from the first record, and a
  // read-only open leaves the header as it is: its segment_seq means nothing now.
  std::vector<uint8_t> header(kSegmentHeaderSize);
  {
    std::ifstream in(ring.path, std::ios::binary);
    in.seekg(std::streamoff(kDataOffset + uint64_t(seg) * (1u << 20)));
    in.read(reinterpret_cast<char*>(header.data()), std::streamsize(header.size()));
  }
  std::vector<uint8_t> damaged = header;
  damaged[8] ^= 0x40;  // segment_seq itself
  ring.put_header(seg, damaged.data());
  auto reader = ring.reader();
  CHECK_EQ(reader->recovery().damaged_segment_headers, 1u);
  CHECK(IndexAccess::segments(*reader)[seg].live());
  GenerationSnapshot snapshot(*reader);
  CHECK(snapshot.holds(*reader, seg));
  // A writer reclaiming it writes a whole new header.
  SegmentHeader sh;
  CHECK(!decode_segment_header(damaged.data(), sh));
  CHECK(decode_segment_header(header.data(), sh));
  sh.segment_seq += 100;
  std::vector<uint8_t> rewritten(kSegmentHeaderSize);
  encode_segment_header(sh, rewritten.data());
  ring.put_header(seg, rewritten.data());
  CHECK(!snapshot.holds(*reader, seg));
  // So does a header torn on its way there (only some of its 8-byte words written).
  std::vector<uint8_t> torn = damaged;
  std::memcpy(torn.data() + 8, rewritten.data() + 8, 8);  // the new segment_seq, not yet its CRC
  ring.put_header(seg, torn.data());
  CHECK(!snapshot.holds(*reader, seg));
}

TEST(segment_generation_an_emptied_segment_is_refused) {
  Ring ring;
  ring.record(3);
  auto reader = ring.reader();
  GenerationSnapshot snapshot(*reader);
  const uint32_t seg = live(*reader).front();
  CHECK(snapshot.holds(*reader, seg));
  std::vector<uint8_t> zeros(kSegmentHeaderSize, 0);
  ring.put_header(seg, zeros.data());
  CHECK_EQ(load_segment_generation(reader->segment_data(seg)), 0u);
  CHECK(!snapshot.holds(*reader, seg));
  // A segment the index does not hold is never vouched for.
  for (uint32_t i = 0; i < IndexAccess::segments(*reader).size(); ++i)
    if (!IndexAccess::segments(*reader)[i].live()) CHECK(!snapshot.holds(*reader, i));
  CHECK(!snapshot.holds(*reader, 99));
}

TEST(segment_generation_write_file_takes_back_an_export_the_check_refuses) {
  char name[] = "/tmp/ringclip_generation_out_XXXXXX";
  std::string dir = mkdtemp(name) ? name : "";
  std::vector<uint8_t> body(70000, 7);
  mp4::VirtualFile file;
  file.append_generated(std::vector<uint8_t>(100, 1));
  file.append_span(ByteSpan{body.data(), body.size()});
  int calls = 0;
  auto refuse_after_write = [&] {
    if (++calls == 2) throw Error(ErrorCode::Overrun, "rewritten while read");
  };
  auto code_of = [](auto&& write) {
    try {
      write();
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::Closed;  // stands for "no error"
  };
  // A file the export created is removed.
  const std::string created = dir + "/new.mp4";
  CHECK(code_of([&] { exporting::write_file(file, created, {}, refuse_after_write); }) == ErrorCode::Overrun);
  CHECK(::access(created.c_str(), F_OK) != 0);
  // An existing file is left empty: its old bytes were already written over.
  const std::string existing = dir + "/old.mp4";
  std::ofstream(existing) << std::string(200000, 'x');
  calls = 0;
  CHECK(code_of([&] { exporting::write_file(file, existing, {}, refuse_after_write); }) == ErrorCode::Overrun);
  struct stat st;
  CHECK(::stat(existing.c_str(), &st) == 0 && st.st_size == 0);
  // Refused before the write: nothing is created.
  CHECK(code_of([&] { exporting::write_file(file, created, {}, [] { throw Error(ErrorCode::Overrun, "stale"); }); }) ==
        ErrorCode::Overrun);
  CHECK(::access(created.c_str(), F_OK) != 0);
  // A descriptor is cut back to where the export began.
  int fd = ::open(existing.c_str(), O_WRONLY);
  CHECK(::write(fd, "head", 4) == 4);
  calls = 0;
  CHECK(code_of([&] { exporting::write_descriptor(file, fd, {}, refuse_after_write); }) == ErrorCode::Overrun);
  CHECK(::fstat(fd, &st) == 0 && st.st_size == 4);
  CHECK_EQ(::lseek(fd, 0, SEEK_CUR), off_t(4));
  ::close(fd);
  // Accepted both times: the whole export.
  calls = 0;
  exporting::write_file(file, created, {}, [&] { ++calls; });
  CHECK_EQ(calls, 2);
  CHECK(::stat(created.c_str(), &st) == 0 && uint64_t(st.st_size) == file.size());
  std::remove(created.c_str());
  std::remove(existing.c_str());
  ::rmdir(dir.c_str());
}

TEST(segment_generation_a_read_failing_because_the_bytes_changed_is_an_overrun) {
  Ring ring;
  ring.record(6);
  auto reader = ring.reader();
  auto snapshot = std::make_shared<const GenerationSnapshot>(*reader);
  const GenerationGuard guard(snapshot, {live(*reader).front()}, {0});
  auto code_of = [&](const GenerationGuard* g, const std::function<void()>& read) {
    try {
      read_guarded(g, reader.get(), read);
    } catch (const Error& e) {
      return e.code();
    }
    return ErrorCode::Closed;  // stands for "no error"
  };
  int runs = 0;
  CHECK(code_of(&guard, [&] { ++runs; }) == ErrorCode::Closed);
  CHECK(code_of(nullptr, [&] { ++runs; }) == ErrorCode::Closed);
  CHECK_EQ(runs, 2);
  // Bad bytes while the generation held: the read's own error.
  CHECK(code_of(&guard, [] { throw Error(ErrorCode::InvalidData, "bad NAL length"); }) == ErrorCode::InvalidData);
  // The writer reclaimed the segment during the read, which then found nonsense: an overrun.
  CHECK(code_of(&guard, [&] {
          ring.record(3);
          throw Error(ErrorCode::InvalidData, "bad NAL length");
        }) == ErrorCode::Overrun);
  // And once reclaimed, nothing is read at all.
  runs = 0;
  CHECK(code_of(&guard, [&] { ++runs; }) == ErrorCode::Overrun);
  CHECK_EQ(runs, 0);
}
