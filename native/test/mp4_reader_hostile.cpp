// read_movie on truncated, corrupted and crafted input: Error(InvalidData), never a crash.
// Meant to run under ASan/UBSan too.
#include <cstring>
#include <random>

#include "check.h"
#include "mp4/reader.h"
#include "mp4/writer.h"
#include "mp4_test_movie.h"
#include "util/error.h"

using namespace ringclip;
using namespace ringclip::test;

namespace {

enum class Outcome { Ok, InvalidData, Other };

Outcome try_read(const std::vector<uint8_t>& bytes, std::string* message = nullptr) {
  try {
    mp4::read_movie(as_span(bytes));
    return Outcome::Ok;
  } catch (const Error& e) {
    if (message) *message = e.what();
    return e.code() == ErrorCode::InvalidData ? Outcome::InvalidData : Outcome::Other;
  } catch (...) {
    return Outcome::Other;
  }
}

TestMovie small_movie() {
  TestMovie tm = fixture_movie({"cabin_720p30_main_gop30.h264", "road_1080p30_high_gop30.h264"});
  for (auto& t : tm.movie.tracks) t.samples.resize(40);
  tm.movie.tracks[1].edits = {{1000, -1}, {1300, 0}};
  return tm;
}

std::vector<size_t> top_level_ends(const std::vector<uint8_t>& bytes) {
  std::vector<size_t> ends;
  size_t pos = 0;
  while (pos + 8 <= bytes.size()) {
    pos += get_be32(&bytes[pos]);
    ends.push_back(pos);
  }
  return ends;
}

void check_truncations(const std::vector<uint8_t>& whole, bool fragmented) {
  std::vector<size_t> ends = top_level_ends(whole);
  size_t ok_cuts = 0, cuts = 0;
  for (size_t cut = 0; cut < whole.size(); cut += (cut < 4096 ? 1 : 97)) {
    std::vector<uint8_t> part(whole.begin(), whole.begin() + cut);
    Outcome o = try_read(part);
    ++cuts;
    if (o == Outcome::Other) {
      CHECK(!"a truncated file threw something other than InvalidData");
      return;
    }
    if (o == Outcome::Ok) {
      // Only a cut after the init segment or a complete fragment (plus < 8 stray bytes) is
      // a valid file.
      bool at_boundary = false;
      for (size_t e : ends) at_boundary = at_boundary || (cut >= e && cut < e + 8 && e >= ends[1]);
      if (!fragmented || !at_boundary) {
        fail(__FILE__, __LINE__,
             "truncated at " + std::to_string(cut) + " of " + std::to_string(whole.size()) + " read as valid");
        return;
      }
      ++ok_cuts;
    }
  }
  CHECK(cuts > 4000);
  if (fragmented) CHECK(ok_cuts > 0);
}

}  // namespace

TEST(mp4_reader_truncated_progressive_throws_invalid_data) {
  TestMovie tm = small_movie();
  std::vector<uint8_t> whole = materialise(mp4::build_progressive(tm.movie));
  CHECK(try_read(whole) == Outcome::Ok);
  check_truncations(whole, false);
  std::string message;
  std::vector<uint8_t> part(whole.begin(), whole.end() - 1);
  try_read(part, &message);
  CHECK(message.find("truncated") != std::string::npos);
}

TEST(mp4_reader_truncated_fragmented_throws_invalid_data) {
  TestMovie tm = small_movie();
  std::vector<uint8_t> whole = materialise(mp4::build_fragmented(tm.movie));
  CHECK(try_read(whole) == Outcome::Ok);
  check_truncations(whole, true);
}

TEST(mp4_reader_random_garbage_throws_invalid_data) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 3000; ++i) {
    std::vector<uint8_t> junk(rng() % 600);
    for (auto& b : junk) b = uint8_t(rng());
    if (i % 2 && junk.size() >= 8) {  // plausible top-level headers get further in
      static const char* kTypes[] = {"moov", "moof", "ftyp", "mdat"};
      put_be32(junk.data(), uint32_t(junk.size()));
      std::memcpy(&junk[4], kTypes[rng() % 4], 4);
    }
    if (try_read(junk) != Outcome::InvalidData) {
      fail(__FILE__, __LINE__, "garbage input " + std::to_string(i) + " was not rejected as InvalidData");
      return;
    }
  }
}

TEST(mp4_reader_corrupted_metadata_never_crashes) {
  TestMovie tm = small_movie();
  for (int kind = 0; kind < 2; ++kind) {
    std::vector<uint8_t> whole =
        materialise(kind == 0 ? mp4::build_progressive(tm.movie) : mp4::build_fragmented(tm.movie));
    auto moov = find_boxes(whole, "moov");
    size_t meta_end = moov[0].offset + moov[0].size;
    std::mt19937 rng(99 + kind);
    int others = 0;
    for (int i = 0; i < 4000; ++i) {
      std::vector<uint8_t> bytes = whole;
      int flips = 1 + rng() % 4;
      for (int f = 0; f < flips; ++f) {
        // Mostly the metadata (moov, or moofs for fragmented), where parsing decisions live.
        size_t at = kind == 0 ? rng() % meta_end : rng() % bytes.size();
        switch (rng() % 3) {
          case 0:
            bytes[at] ^= uint8_t(1 << (rng() % 8));
            break;
          case 1:
            bytes[at] = 0xFF;
            break;
          default:
            bytes[at] = 0;
            break;
        }
      }
      if (try_read(bytes) == Outcome::Other) ++others;
    }
    CHECK_EQ(others, 0);
  }
}

TEST(mp4_reader_rejects_crafted_counts_and_sizes) {
  TestMovie tm = small_movie();
  const std::vector<uint8_t> whole = materialise(mp4::build_progressive(tm.movie));
  std::string message;

  {  // stsz claiming 4 billion samples: refused before any allocation
    std::vector<uint8_t> b = whole;
    auto stsz = find_boxes(b, "moov/trak/mdia/minf/stbl/stsz");
    put_be32(&b[stsz[0].offset + 16], 0xFFFFFFFF);
    CHECK(try_read(b, &message) == Outcome::InvalidData);
    CHECK(message.find("stsz") != std::string::npos);
  }
  {  // uniform sample size of 4 GiB - 1 for each sample
    std::vector<uint8_t> b = whole;
    auto stsz = find_boxes(b, "moov/trak/mdia/minf/stbl/stsz");
    put_be32(&b[stsz[0].offset + 12], 0xFFFFFFFF);
    CHECK(try_read(b, &message) == Outcome::InvalidData);
  }
  {  // a child box larger than its parent
    std::vector<uint8_t> b = whole;
    auto mdia = find_boxes(b, "moov/trak/mdia");
    put_be32(&b[mdia[0].offset], uint32_t(mdia[0].size + 100));
    CHECK(try_read(b, &message) == Outcome::InvalidData);
    CHECK(message.find("past its parent") != std::string::npos);
  }
  {  // size 1 with a largesize smaller than the header
    std::vector<uint8_t> b = whole;
    auto moov = find_boxes(b, "moov");
    put_be32(&b[moov[0].offset], 1);
    CHECK(try_read(b) == Outcome::InvalidData);
  }
  {  // a chunk offset past the end of the file
    std::vector<uint8_t> b = whole;
    auto stco = find_boxes(b, "moov/trak/mdia/minf/stbl/stco");
    put_be32(&b[stco[0].offset + 16], 0xFFFFFF00);
    CHECK(try_read(b, &message) == Outcome::InvalidData);
    CHECK(message.find("truncated") != std::string::npos);
  }
  {  // no video track: both handlers say 'soun'
    std::vector<uint8_t> b = whole;
    for (auto& hdlr : find_boxes(b, "moov/trak/mdia/hdlr")) std::memcpy(&b[hdlr.offset + 16], "soun", 4);
    CHECK(try_read(b, &message) == Outcome::InvalidData);
    CHECK(message.find("no H.264 video track") != std::string::npos);
  }
  {  // one non-H.264 track is skipped, the other returned
    std::vector<uint8_t> b = whole;
    auto avc1 = find_boxes(b, "moov/trak/mdia/minf/stbl/stsd/avc1");
    std::memcpy(&b[avc1[0].offset + 4], "hvc1", 4);
    mp4::Movie m = mp4::read_movie(as_span(b));
    CHECK_EQ(m.tracks.size(), size_t(1));
    CHECK_EQ(m.tracks[0].name, std::string("cabin"));  // fixture_movie names the 2nd track cabin
  }
  {  // stss naming a sample that does not exist
    std::vector<uint8_t> b = whole;
    auto stss = find_boxes(b, "moov/trak/mdia/minf/stbl/stss");
    put_be32(&b[stss[0].offset + 16], 41);
    CHECK(try_read(b, &message) == Outcome::InvalidData);
  }
  CHECK(try_read({}, &message) == Outcome::InvalidData);
  CHECK(message.find("no moov") != std::string::npos);
  CHECK(try_read({0, 0, 0, 8, 'f', 'r', 'e'}) == Outcome::InvalidData);
}

TEST(mp4_reader_rejects_hostile_trun_counts) {
  TestMovie tm = small_movie();
  const std::vector<uint8_t> whole = materialise(mp4::build_fragmented(tm.movie));
  {  // sample_count of 4 billion with per-sample fields: must not fit the box
    std::vector<uint8_t> b = whole;
    auto trun = find_boxes(b, "moof/traf/trun");
    put_be32(&b[trun[0].offset + 12], 0xFFFFFFFF);
    CHECK(try_read(b) == Outcome::InvalidData);
  }
  {  // no per-sample fields at all (defaults only) and 4 billion samples: the budget stops it
    std::vector<uint8_t> b = whole;
    auto trun = find_boxes(b, "moof/traf/trun");
    b[trun[0].offset + 10] = 0;  // flags: only data_offset
    b[trun[0].offset + 11] = 1;
    put_be32(&b[trun[0].offset + 12], 0xFFFFFFFF);
    std::string message;
    CHECK(try_read(b, &message) == Outcome::InvalidData);
    CHECK(message.find("more samples than the file") != std::string::npos);
  }
  {  // traf for a track the moov does not declare
    std::vector<uint8_t> b = whole;
    auto tfhd = find_boxes(b, "moof/traf/tfhd");
    put_be32(&b[tfhd[0].offset + 12], 77);
    CHECK(try_read(b) == Outcome::InvalidData);
  }
}
