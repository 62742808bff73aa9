// Audio (mp4a/esds) and metadata (camm) tracks beside video: written progressive and
// fragmented, read back with their kind, configuration, timescale and samples.
#include <memory>

#include "check.h"
#include "mp4/reader.h"
#include "mp4/writer.h"
#include "mp4_test_movie.h"
#include "util/error.h"

using namespace ringclip;
using namespace ringclip::test;

namespace {

// 10 s of video with 48 kHz mono AAC-like frames (1024 samples each) and 100 Hz camm
// samples (16 bytes: an acceleration packet's size); the payload bytes are arbitrary.
TestMovie movie_with_timed_tracks() {
  TestMovie tm = fixture_movie({"road_1080p30_high_gop30.h264"});
  auto& bytes = *tm.storage.emplace_back(std::make_unique<std::vector<uint8_t>>(4096));
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = uint8_t(i * 7);
  mp4::Track audio;
  audio.track_id = 2;
  audio.name = "cabin-audio";
  audio.kind = mp4::TrackKind::Audio;
  audio.timescale = 48000;
  audio.config = {0x11, 0x88};
  audio.sample_rate = 48000;
  audio.channels = 1;
  for (int i = 0; i < 468; ++i) {  // ~10 s
    mp4::Sample s;
    s.dts = s.pts = int64_t(i) * 1024;
    s.duration = 1024;
    s.sync = true;
    s.data = ByteSpan{bytes.data() + (i % 100), size_t(100 + i % 50)};
    audio.samples.push_back(s);
  }
  mp4::Track camm;
  camm.track_id = 3;
  camm.name = "telemetry";
  camm.kind = mp4::TrackKind::Metadata;
  camm.format = mp4::fourcc_value("camm");
  camm.timescale = 90000;
  for (int i = 0; i < 1000; ++i) {
    mp4::Sample s;
    s.dts = s.pts = int64_t(i) * 900;
    s.duration = 900;
    s.sync = true;
    s.data = ByteSpan{bytes.data() + i % 200, 16};
    camm.samples.push_back(s);
  }
  tm.movie.tracks.push_back(std::move(audio));
  tm.movie.tracks.push_back(std::move(camm));
  return tm;
}

void check_timed(const mp4::Movie& written, const mp4::Movie& back) {
  CHECK_EQ(back.tracks.size(), size_t(3));
  if (back.tracks.size() != 3) return;
  const mp4::Track& a = back.tracks[1];
  CHECK(a.kind == mp4::TrackKind::Audio);
  CHECK_EQ(a.name, std::string("cabin-audio"));
  CHECK_EQ(a.timescale, 48000u);
  CHECK(a.config == (std::vector<uint8_t>{0x11, 0x88}));
  CHECK_EQ(a.sample_rate, 48000u);
  CHECK_EQ(a.channels, 1u);
  check_same_samples(written.tracks[1], a);
  const mp4::Track& m = back.tracks[2];
  CHECK(m.kind == mp4::TrackKind::Metadata);
  CHECK_EQ(mp4::fourcc_text(m.format), std::string("camm"));
  CHECK(m.config.empty());
  check_same_samples(written.tracks[2], m);
  CHECK(back.tracks[0].kind == mp4::TrackKind::Video);
}

}  // namespace

TEST(mp4_audio_and_camm_tracks_progressive_roundtrip) {
  TestMovie tm = movie_with_timed_tracks();
  std::vector<uint8_t> bytes = materialise(mp4::build_progressive(tm.movie));
  check_timed(tm.movie, mp4::read_movie(as_span(bytes)));
  // Handlers and media headers as players expect them.
  CHECK_EQ(find_boxes(bytes, "moov/trak/mdia/minf/smhd").size(), size_t(1));
  CHECK_EQ(find_boxes(bytes, "moov/trak/mdia/minf/nmhd").size(), size_t(1));
  CHECK_EQ(find_boxes(bytes, "moov/trak/mdia/minf/vmhd").size(), size_t(1));
}

TEST(mp4_audio_and_camm_tracks_fragmented_roundtrip) {
  TestMovie tm = movie_with_timed_tracks();
  std::vector<uint8_t> bytes = materialise(mp4::build_fragmented(tm.movie));
  check_timed(tm.movie, mp4::read_movie(as_span(bytes)));
}

TEST(mp4_audio_track_without_config_is_refused) {
  TestMovie tm = movie_with_timed_tracks();
  tm.movie.tracks[1].config.clear();
  bool threw = false;
  try {
    mp4::build_progressive(tm.movie);
  } catch (const Error& e) {
    threw = std::string(e.what()).find("AudioSpecificConfig") != std::string::npos;
  }
  CHECK(threw);
}
