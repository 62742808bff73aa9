#include "mp4_test_movie.h"

#include <cstring>

#include "check.h"

namespace ringclip::test {
namespace {

struct Nal {
  size_t offset, size;
};

std::vector<Nal> split_annexb(const std::vector<uint8_t>& s) {
  std::vector<Nal> nals;
  size_t i = 0, start = SIZE_MAX;
  while (i + 3 <= s.size()) {
    if (s[i] == 0 && s[i + 1] == 0 && s[i + 2] == 1) {
      if (start != SIZE_MAX) {
        size_t end = i;
        while (end > start && s[end - 1] == 0) --end;  // 4-byte start codes, trailing zeros
        nals.push_back({start, end - start});
      }
      i += 3;
      start = i;
    } else {
      ++i;
    }
  }
  if (start != SIZE_MAX && start < s.size()) nals.push_back({start, s.size() - start});
  return nals;
}

}  // namespace

void add_fixture_track(TestMovie& tm, const std::string& fixture, uint32_t track_id, const std::string& name) {
  std::vector<uint8_t> stream = read_fixture(fixture);
  std::vector<Nal> nals = split_annexb(stream);
  mp4::Track track;
  track.track_id = track_id;
  track.name = name;
  track.timescale = 90000;

  // Group NALs into frames first (sizes), then fill one buffer so spans stay valid.
  struct Frame {
    std::vector<size_t> nals;
    bool idr = false;
  };
  std::vector<Frame> frames;
  std::vector<size_t> pending;  // SEI etc. before the frame's first slice
  size_t total = 0;
  for (size_t n = 0; n < nals.size(); ++n) {
    const uint8_t* p = stream.data() + nals[n].offset;
    uint8_t type = p[0] & 0x1F;
    if (type == 7 || type == 8) {
      std::vector<uint8_t> ps(p, p + nals[n].size);
      auto& list = type == 7 ? track.sps : track.pps;
      bool known = false;
      for (auto& x : list) known = known || x == ps;
      if (!known) list.push_back(ps);
      continue;
    }
    if (type == 9) continue;
    bool slice = type == 1 || type == 5;
    bool first_mb_zero = slice && nals[n].size > 1 && (p[1] & 0x80);
    if (slice && first_mb_zero) {
      frames.push_back({});
      frames.back().nals = pending;
      pending.clear();
    }
    if (slice && !frames.empty()) {
      frames.back().nals.push_back(n);
      frames.back().idr = frames.back().idr || type == 5;
    } else {
      pending.push_back(n);
    }
    total += 4 + nals[n].size;
  }
  // SPS dimensions are not parsed here: the fixtures' sizes are known from their names.
  if (fixture.find("1080p") != std::string::npos) {
    track.width = 1920;
    track.height = 1080;
  } else if (fixture.find("720p") != std::string::npos) {
    track.width = 1280;
    track.height = 720;
  } else {
    track.width = 640;
    track.height = 480;
  }

  auto bytes = std::make_unique<std::vector<uint8_t>>();
  bytes->reserve(total);
  for (size_t f = 0; f < frames.size(); ++f) {
    size_t begin = bytes->size();
    for (size_t n : frames[f].nals) {
      uint8_t len[4];
      put_be32(len, uint32_t(nals[n].size));
      bytes->insert(bytes->end(), len, len + 4);
      const uint8_t* p = stream.data() + nals[n].offset;
      bytes->insert(bytes->end(), p, p + nals[n].size);
    }
    mp4::Sample s;
    s.dts = int64_t(f) * 3000;
    s.pts = s.dts;
    s.duration = 3000;
    s.sync = frames[f].idr;
    s.data = ByteSpan{bytes->data() + begin, bytes->size() - begin};
    track.samples.push_back(s);
  }
  tm.storage.push_back(std::move(bytes));
  tm.movie.tracks.push_back(std::move(track));
}

TestMovie fixture_movie(const std::vector<std::string>& fixtures) {
  static const char* kNames[] = {"road", "cabin", "rear", "side"};
  TestMovie tm;
  tm.movie.timescale = 1000;
  tm.movie.creation_time_us = 1700000000123456;  // 2023-11-14
  for (size_t i = 0; i < fixtures.size(); ++i) add_fixture_track(tm, fixtures[i], uint32_t(i + 1), kNames[i % 4]);
  return tm;
}

std::vector<uint8_t> materialise(const mp4::VirtualFile& file) {
  std::vector<uint8_t> out(file.size());
  file.copy(0, file.size(), out.data());
  return out;
}

ByteSpan as_span(const std::vector<uint8_t>& bytes) { return ByteSpan{bytes.data(), bytes.size()}; }

namespace {

size_t children_start(const std::string& type) {
  if (type == "stsd") return 8;
  if (type == "avc1" || type == "avc3") return 78;
  return 0;
}

void find_in(const std::vector<uint8_t>& file, size_t begin, size_t end, const std::vector<std::string>& path,
             size_t depth, std::vector<FoundBox>& found) {
  size_t pos = begin;
  while (pos + 8 <= end) {
    uint64_t size = get_be32(&file[pos]);
    std::string type(reinterpret_cast<const char*>(&file[pos + 4]), 4);
    size_t header = 8;
    if (size == 1) {
      size = get_be64(&file[pos + 8]);
      header = 16;
    }
    if (size == 0) size = end - pos;
    if (size < header || pos + size > end) return;
    if (type == path[depth]) {
      if (depth + 1 == path.size()) {
        found.push_back({pos, size_t(size), header});
      } else {
        find_in(file, pos + header + children_start(type), pos + size, path, depth + 1, found);
      }
    }
    pos += size;
  }
}

}  // namespace

std::vector<FoundBox> find_boxes(const std::vector<uint8_t>& file, const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  std::vector<FoundBox> found;
  find_in(file, 0, file.size(), parts, 0, found);
  return found;
}

std::vector<std::string> top_level_types(const std::vector<uint8_t>& file) {
  std::vector<std::string> types;
  size_t pos = 0;
  while (pos + 8 <= file.size()) {
    uint64_t size = get_be32(&file[pos]);
    if (size == 1) size = get_be64(&file[pos + 8]);
    if (size == 0) size = file.size() - pos;
    types.emplace_back(reinterpret_cast<const char*>(&file[pos + 4]), 4);
    if (size < 8) break;
    pos += size;
  }
  return types;
}

void check_same_samples(const mp4::Track& expected, const mp4::Track& actual) {
  CHECK_EQ(actual.samples.size(), expected.samples.size());
  if (actual.samples.size() != expected.samples.size()) return;
  size_t mismatches = 0;
  for (size_t i = 0; i < expected.samples.size(); ++i) {
    const mp4::Sample& e = expected.samples[i];
    const mp4::Sample& a = actual.samples[i];
    bool same = e.dts == a.dts && e.pts == a.pts && e.duration == a.duration && e.sync == a.sync &&
                e.data.size == a.data.size && std::memcmp(e.data.data, a.data.data, e.data.size) == 0;
    if (!same && ++mismatches <= 3) {
      fail(__FILE__, __LINE__,
           "sample " + std::to_string(i) + " differs: dts " + std::to_string(a.dts) + "/" + std::to_string(e.dts) +
               " pts " + std::to_string(a.pts) + "/" + std::to_string(e.pts) + " size " + std::to_string(a.data.size) +
               "/" + std::to_string(e.data.size) + " sync " + std::to_string(a.sync) + "/" + std::to_string(e.sync));
    }
  }
  CHECK_EQ(mismatches, size_t(0));
}

}  // namespace ringclip::test
