#include "mp4/movie_boxes.h"

#include <algorithm>
#include <string>
#include <vector>

#include "mp4/movie_time.h"
#include "util/error.h"

namespace ringclip::mp4 {
namespace {

constexpr uint32_t kUnityMatrix[9] = {0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000};
constexpr uint16_t kLanguageUnd = (('u' - 0x60) << 10) | (('n' - 0x60) << 5) | ('d' - 0x60);
// tkhd flags: track_enabled | track_in_movie | track_in_preview. Both cameras are enabled:
// a disabled track is hidden by some players, and neither stream is an "alternate".
constexpr uint32_t kTrackEnabledInMovieInPreview = 0x7;

void write_matrix(BoxWriter& w, const uint32_t (&matrix)[9] = kUnityMatrix) {
  for (uint32_t v : matrix) w.u32(v);
}

bool needs_64(uint64_t v) { return v > UINT32_MAX; }

void write_elst(BoxWriter& w, const Track& track) {
  bool wide = false;
  for (const Edit& e : track.edits) {
    if (needs_64(e.segment_duration) || e.media_time > INT32_MAX || e.media_time < INT32_MIN) wide = true;
  }
  size_t edts = w.open("edts");
  size_t elst = w.open_full("elst", wide ? 1 : 0, 0);
  w.u32(uint32_t(track.edits.size()));
  for (const Edit& e : track.edits) {
    if (wide) {
      w.u64(e.segment_duration);
      w.u64(uint64_t(e.media_time));
    } else {
      w.u32(uint32_t(e.segment_duration));
      w.u32(uint32_t(int32_t(e.media_time)));
    }
    w.u16(1);  // media_rate_integer: 1.0, normal playback
    w.u16(0);  // media_rate_fraction
  }
  w.close(elst);
  w.close(edts);
}

// 16.16 fixed point of the displayed width: coded-and-cropped width stretched by the SAR.
uint32_t display_width_16_16(const Track& track) {
  uint64_t v = (uint64_t(track.width) * track.sar_width << 16) / track.sar_height;
  return v > UINT32_MAX ? UINT32_MAX : uint32_t(v);
}

void write_avc1(BoxWriter& w, const SampleDescription& track, const std::vector<uint8_t>& colour) {
  size_t avc1 = w.open("avc1");
  w.zeros(6);   // reserved
  w.u16(1);     // data_reference_index: the single dref entry (this file)
  w.u16(0);     // pre_defined
  w.u16(0);     // reserved
  w.zeros(12);  // pre_defined
  w.u16(uint16_t(track.width));
  w.u16(uint16_t(track.height));
  w.u32(0x00480000);  // 72 dpi, the value the spec mandates
  w.u32(0x00480000);
  w.u32(0);  // reserved
  w.u16(1);  // frame_count: one frame per sample
  static constexpr char kCompressor[] = "ringclip";
  uint8_t compressor[32] = {};
  compressor[0] = sizeof kCompressor - 1;  // a Pascal string
  std::memcpy(compressor + 1, kCompressor, sizeof kCompressor - 1);
  w.raw(compressor, sizeof compressor);
  w.u16(0x0018);  // depth: colour, no alpha
  w.u16(0xFFFF);  // pre_defined = -1
  size_t avcc = w.open("avcC");
  std::vector<uint8_t> config = build_avcc(track.sps, track.pps);
  w.raw(config.data(), config.size());
  w.close(avcc);
  if (track.sar_width != track.sar_height) {
    size_t pasp = w.open("pasp");
    w.u32(track.sar_width);
    w.u32(track.sar_height);
    w.close(pasp);
  }
  if (!colour.empty()) {
    size_t colr = w.open("colr");
    w.raw(colour.data(), colour.size());
    w.close(colr);
  }
  w.close(avc1);
}

// ES descriptor lengths (ISO/IEC 14496-1 8.3.3): the 4-byte form, which every reader takes
// and keeps the box size independent of the content.
void write_descriptor_header(BoxWriter& w, uint8_t tag, uint32_t length) {
  w.u8(tag);
  w.u8(uint8_t(0x80 | ((length >> 21) & 0x7F)));
  w.u8(uint8_t(0x80 | ((length >> 14) & 0x7F)));
  w.u8(uint8_t(0x80 | ((length >> 7) & 0x7F)));
  w.u8(uint8_t(length & 0x7F));
}

// mp4a with esds (ISO/IEC 14496-14 5.6, 14496-3 1.6.2.1): AAC as MP4 players expect it.
void write_mp4a(BoxWriter& w, const SampleDescription& d) {
  size_t mp4a = w.open("mp4a");
  w.zeros(6);
  w.u16(1);    // data_reference_index
  w.zeros(8);  // reserved
  w.u16(uint16_t(d.channels));
  w.u16(16);  // samplesize
  w.u16(0);   // pre_defined
  w.u16(0);   // reserved
  // samplerate is 16.16 and cannot hold rates above 65535: the AudioSpecificConfig holds
  // the real one (and mdhd's timescale), which is what decoders use.
  w.u32(d.sample_rate <= 0xFFFF ? d.sample_rate << 16 : 0);
  size_t esds = w.open_full("esds", 0, 0);
  // Each descriptor: a 5-byte header (tag, 4-byte length), then its payload.
  const uint32_t decoder_specific = uint32_t(d.config.size());  // the AudioSpecificConfig
  const uint32_t decoder_config = 13 + 5 + decoder_specific;
  const uint32_t sl_config = 1;
  write_descriptor_header(w, 0x03, 3 + 5 + decoder_config + 5 + sl_config);  // ES_Descriptor
  w.u16(0);                                                                  // ES_ID
  w.u8(0);                                                                   // no dependency, URL or OCR stream
  write_descriptor_header(w, 0x04, decoder_config);                          // DecoderConfigDescriptor
  w.u8(0x40);  // objectTypeIndication: Audio ISO/IEC 14496-3
  w.u8(0x15);  // streamType 5 (audio) << 2 | reserved 1
  w.u8(0);     // bufferSizeDB (24 bits): unknown
  w.u16(0);
  w.u32(0);                                            // maxBitrate: unknown
  w.u32(0);                                            // avgBitrate: unknown
  write_descriptor_header(w, 0x05, decoder_specific);  // DecoderSpecificInfo: the AudioSpecificConfig
  w.raw(d.config.data(), d.config.size());
  write_descriptor_header(w, 0x06, 1);  // SLConfigDescriptor
  w.u8(0x02);                           // predefined: MP4 files
  w.close(esds);
  w.close(mp4a);
}

// A metadata sample entry: its type (camm) and whatever the format puts after
// data_reference_index (camm: nothing).
void write_metadata_entry(BoxWriter& w, const SampleDescription& d) {
  const std::string type = fourcc_text(d.format);
  char code[5] = {type[0], type[1], type[2], type[3], 0};
  size_t entry = w.open(code);
  w.zeros(6);
  w.u16(1);  // data_reference_index
  w.raw(d.config.data(), d.config.size());
  w.close(entry);
}

void write_sample_entry(BoxWriter& w, const Track& track, const SampleDescription& d) {
  switch (track.kind) {
    case TrackKind::Video:
      write_avc1(w, d, track.colour);
      break;
    case TrackKind::Audio:
      write_mp4a(w, d);
      break;
    case TrackKind::Metadata:
      write_metadata_entry(w, d);
      break;
  }
}

}  // namespace

std::string fourcc_text(uint32_t v) {
  std::string s(4, ' ');
  for (int i = 0; i < 4; ++i) {
    char c = char((v >> (24 - 8 * i)) & 0xFF);
    s[size_t(i)] = c >= 0x20 && c < 0x7F ? c : '?';
  }
  return s;
}

Track copy_without_samples(const Track& t) {
  // Every field but `samples`: a field added to Track must be copied here too (the size
  // check stops a build that forgot, with the 64-bit libstdc++ ringclip is built with).
#if defined(__GLIBCXX__) && defined(__x86_64__)
  static_assert(sizeof(Track) == 296, "a field was added to mp4::Track: copy it in copy_without_samples()");
#endif
  Track out;
  set_first_description(out, first_description(t));
  out.track_id = t.track_id;
  out.name = t.name;
  out.timescale = t.timescale;
  out.kind = t.kind;
  out.later_descriptions = t.later_descriptions;
  out.edits = t.edits;
  out.matrix = t.matrix;
  out.colour = t.colour;
  return out;
}

SampleDescription first_description(const Track& track) {
  SampleDescription d;
  d.sps = track.sps;
  d.pps = track.pps;
  d.width = track.width;
  d.height = track.height;
  d.sar_width = track.sar_width;
  d.sar_height = track.sar_height;
  d.config = track.config;
  d.format = track.format;
  d.sample_rate = track.sample_rate;
  d.channels = track.channels;
  return d;
}

void set_first_description(Track& track, SampleDescription&& d) {
  track.sps = std::move(d.sps);
  track.pps = std::move(d.pps);
  track.width = d.width;
  track.height = d.height;
  track.sar_width = d.sar_width;
  track.sar_height = d.sar_height;
  track.config = std::move(d.config);
  track.format = d.format;
  track.sample_rate = d.sample_rate;
  track.channels = d.channels;
}

void validate_movie(const Movie& movie) {
  if (movie.tracks.empty()) throw Error(ErrorCode::InvalidArgument, "a movie needs at least one track");
  if (movie.timescale == 0) throw Error(ErrorCode::InvalidArgument, "movie timescale is 0");
  for (size_t i = 0; i < movie.tracks.size(); ++i) {
    const Track& t = movie.tracks[i];
    if (t.track_id == 0) throw Error(ErrorCode::InvalidArgument, "track id 0 is reserved");
    for (size_t j = 0; j < i; ++j) {
      if (movie.tracks[j].track_id == t.track_id)
        throw Error(ErrorCode::InvalidArgument, "duplicate track id " + std::to_string(t.track_id));
    }
    if (t.timescale == 0) throw Error(ErrorCode::InvalidArgument, "track " + t.name + " has timescale 0");
    switch (t.kind) {
      case TrackKind::Video:
        if (t.sps.empty()) throw Error(ErrorCode::InvalidArgument, "track " + t.name + " has no SPS");
        if (t.pps.empty()) throw Error(ErrorCode::InvalidArgument, "track " + t.name + " has no PPS");
        break;
      case TrackKind::Audio:
        if (t.config.empty() || t.config.size() > 0xFFFF || t.channels == 0 || t.channels > 0xFFFF ||
            t.sample_rate == 0)
          throw Error(ErrorCode::InvalidArgument,
                      "audio track " + t.name + " has no AudioSpecificConfig, channels or rate");
        break;
      case TrackKind::Metadata:
        if (t.format == 0)
          throw Error(ErrorCode::InvalidArgument, "metadata track " + t.name + " has no sample entry type");
        break;
    }
    if (t.width > 0xFFFF || t.height > 0xFFFF)
      throw Error(ErrorCode::InvalidArgument, "track " + t.name + " is larger than 65535 pixels");
    if (t.sar_width == 0 || t.sar_height == 0)
      throw Error(ErrorCode::InvalidArgument, "track " + t.name + " has a zero sample aspect ratio");
    for (const Sample& s : t.samples) {
      if (s.description > t.later_descriptions.size())
        throw Error(ErrorCode::InvalidArgument, "a sample of track " + t.name + " names sample description " +
                                                    std::to_string(s.description + 1) + " of " +
                                                    std::to_string(t.later_descriptions.size() + 1));
      if (s.data.size > UINT32_MAX)
        throw Error(ErrorCode::InvalidArgument, "a sample of track " + t.name + " is larger than 4 GiB");
      int64_t offset = s.pts - s.dts;
      if (offset > INT32_MAX || offset < INT32_MIN)
        throw Error(ErrorCode::InvalidArgument, "a composition offset of track " + t.name + " exceeds 32 bits");
    }
  }
}

PresentationStart presentation_start(const Track& track, uint32_t movie_timescale) {
  PresentationStart start;
  bool have_media = false;
  for (const Edit& e : track.edits) {
    if (e.media_time < 0 && !have_media) {
      start.delay_us += int64_t(rescale(e.segment_duration, movie_timescale, 1000000));
    } else if (!have_media) {
      start.media_time = e.media_time;
      have_media = true;
    }
  }
  if (!have_media && !track.samples.empty()) {
    start.media_time = track.samples.front().pts;
    for (const Sample& s : track.samples) start.media_time = std::min(start.media_time, s.pts);
  }
  return start;
}

void write_movie_reference(BoxWriter& w, const Movie& movie) {
  if (movie.tracks.empty() || movie.creation_time_us <= 0) return;
  const Track& track = movie.tracks.front();
  PresentationStart start = presentation_start(track, movie.timescale);
  if (start.media_time < 0) return;  // prft media times are unsigned
  ProducerReference ref;
  ref.track_id = track.track_id;
  ref.media_time = uint64_t(start.media_time);
  ref.unix_us = movie.creation_time_us + start.delay_us;
  write_prft(w, ref);
}

void write_ftyp(BoxWriter& w, const char (&major)[5], uint32_t minor_version,
                std::initializer_list<const char*> compatible) {
  size_t ftyp = w.open("ftyp");
  w.fourcc(major);
  w.u32(minor_version);
  for (const char* brand : compatible) w.raw(reinterpret_cast<const uint8_t*>(brand), 4);
  w.close(ftyp);
}

void write_mvhd(BoxWriter& w, const Movie& movie, uint64_t duration) {
  uint64_t created = unix_us_to_mp4_seconds(movie.creation_time_us);
  bool wide = needs_64(created) || needs_64(duration);
  size_t mvhd = w.open_full("mvhd", wide ? 1 : 0, 0);
  if (wide) {
    w.u64(created);
    w.u64(created);  // modification_time: a clip is never modified after capture
    w.u32(movie.timescale);
    w.u64(duration);
  } else {
    w.u32(uint32_t(created));
    w.u32(uint32_t(created));
    w.u32(movie.timescale);
    w.u32(uint32_t(duration));
  }
  w.u32(0x00010000);  // rate 1.0
  w.u16(0x0100);      // volume 1.0
  w.zeros(10);        // reserved
  write_matrix(w);
  w.zeros(24);  // pre_defined
  uint32_t next_track_id = 0;
  for (const Track& t : movie.tracks) next_track_id = std::max(next_track_id, t.track_id);
  w.u32(next_track_id + 1);
  w.close(mvhd);
}

size_t open_trak_until_stbl(BoxWriter& w, const Movie& movie, const Track& track, const TrakDurations& durations,
                            size_t (&open_boxes)[3]) {
  uint64_t created = unix_us_to_mp4_seconds(movie.creation_time_us);
  size_t trak = w.open("trak");

  bool wide = needs_64(created) || needs_64(durations.tkhd);
  size_t tkhd = w.open_full("tkhd", wide ? 1 : 0, kTrackEnabledInMovieInPreview);
  if (wide) {
    w.u64(created);
    w.u64(created);
    w.u32(track.track_id);
    w.u32(0);
    w.u64(durations.tkhd);
  } else {
    w.u32(uint32_t(created));
    w.u32(uint32_t(created));
    w.u32(track.track_id);
    w.u32(0);
    w.u32(uint32_t(durations.tkhd));
  }
  w.zeros(8);                                          // reserved
  w.u16(0);                                            // layer
  w.u16(0);                                            // alternate_group: 0 = every track plays, none replaces another
  w.u16(track.kind == TrackKind::Audio ? 0x0100 : 0);  // volume: 1.0 for audio, 0 otherwise
  w.u16(0);                                            // reserved
  for (uint32_t v : track.matrix) w.u32(v);            // a rotated source stays rotated
  const bool video = track.kind == TrackKind::Video;
  w.u32(video ? display_width_16_16(track) : 0);  // only visual tracks have a size
  w.u32(video ? track.height << 16 : 0);
  w.close(tkhd);

  if (!track.edits.empty()) write_elst(w, track);

  size_t mdia = w.open("mdia");
  wide = needs_64(created) || needs_64(durations.mdhd);
  size_t mdhd = w.open_full("mdhd", wide ? 1 : 0, 0);
  if (wide) {
    w.u64(created);
    w.u64(created);
    w.u32(track.timescale);
    w.u64(durations.mdhd);
  } else {
    w.u32(uint32_t(created));
    w.u32(uint32_t(created));
    w.u32(track.timescale);
    w.u32(uint32_t(durations.mdhd));
  }
  w.u16(kLanguageUnd);
  w.u16(0);  // pre_defined
  w.close(mdhd);

  // The handler name is what ffprobe shows as the stream's handler_name: it carries the
  // camera name ("road", "cabin") so a viewer can tell the tracks apart.
  size_t hdlr = w.open_full("hdlr", 0, 0);
  w.u32(0);  // pre_defined
  // Metadata: 'meta', as the camm specification asks (subComponentType meta).
  w.fourcc(video ? "vide" : track.kind == TrackKind::Audio ? "soun" : "meta");
  w.zeros(12);  // reserved
  w.text(track.name);
  w.u8(0);
  w.close(hdlr);

  size_t minf = w.open("minf");
  if (video) {
    size_t vmhd = w.open_full("vmhd", 0, 1);  // flags 1 is mandated for vmhd
    w.zeros(8);                               // graphicsmode copy, opcolor 0,0,0
    w.close(vmhd);
  } else if (track.kind == TrackKind::Audio) {
    size_t smhd = w.open_full("smhd", 0, 0);
    w.zeros(4);  // balance 0 (centre), reserved
    w.close(smhd);
  } else {
    size_t nmhd = w.open_full("nmhd", 0, 0);  // the null media header of other tracks
    w.close(nmhd);
  }
  size_t dinf = w.open("dinf");
  size_t dref = w.open_full("dref", 0, 0);
  w.u32(1);
  size_t url = w.open_full("url ", 0, 1);  // flags 1: the media is in this file
  w.close(url);
  w.close(dref);
  w.close(dinf);

  size_t stbl = w.open("stbl");
  size_t stsd = w.open_full("stsd", 0, 0);
  w.u32(uint32_t(1 + track.later_descriptions.size()));
  write_sample_entry(w, track, first_description(track));
  for (const SampleDescription& d : track.later_descriptions) write_sample_entry(w, track, d);
  w.close(stsd);

  open_boxes[0] = mdia;
  open_boxes[1] = minf;
  open_boxes[2] = stbl;
  return trak;
}

void close_trak(BoxWriter& w, const Track& track, const size_t (&open_boxes)[3], size_t trak) {
  w.close(open_boxes[2]);
  w.close(open_boxes[1]);
  w.close(open_boxes[0]);
  if (!track.name.empty()) {
    // udta/name: the QuickTime track name, for players that show it instead of hdlr.
    size_t udta = w.open("udta");
    size_t name = w.open("name");
    w.text(track.name);
    w.close(name);
    w.close(udta);
  }
  w.close(trak);
}

}  // namespace ringclip::mp4
