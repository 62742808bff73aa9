#pragma once
// Test-only helpers for the mp4_* tests: turns an Annex B fixture into a Track (its own
// tiny start-code splitter, independent of the h264 module) and finds boxes in output.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mp4/movie.h"
#include "mp4/virtual_file.h"

namespace ringclip::test {

// Owns the sample bytes the Movie's spans point into.
struct TestMovie {
  std::vector<std::unique_ptr<std::vector<uint8_t>>> storage;
  mp4::Movie movie;
};

// One track from an Annex B fixture: SPS/PPS go to the track, AUD is dropped, every other
// NAL becomes part of a sample (a new sample starts at each slice with first_mb == 0).
// 90 kHz, 3000 ticks per frame (30 fps), pts == dts.
void add_fixture_track(TestMovie& tm, const std::string& fixture, uint32_t track_id, const std::string& name);
TestMovie fixture_movie(const std::vector<std::string>& fixtures);  // tracks named "road", "cabin"...

std::vector<uint8_t> materialise(const mp4::VirtualFile& file);
ByteSpan as_span(const std::vector<uint8_t>& bytes);

struct FoundBox {
  size_t offset = 0;  // of the box header
  size_t size = 0;    // whole box
  size_t header = 8;
};
// Boxes along a path like "moov/trak/mdia/minf/stbl/stsz" (every match, depth first).
// Understands the containers the tests look into (and stsd's 8-byte prefix, avc1's 78).
std::vector<FoundBox> find_boxes(const std::vector<uint8_t>& file, const std::string& path);
std::vector<std::string> top_level_types(const std::vector<uint8_t>& file);

// Checks that two tracks carry identical samples (sizes, times, sync flags, bytes).
void check_same_samples(const mp4::Track& expected, const mp4::Track& actual);

}  // namespace ringclip::test
