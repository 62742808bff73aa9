// moov → track states. Boxes are visited along the fixed path moov/trak/mdia/minf/stbl,
// never recursively by type, so nesting depth is bounded by the code itself.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "audio/aac.h"
#include "mp4/movie_time.h"
#include "mp4/reader.h"
#include "mp4/reader_state.h"

namespace ringclip::mp4 {
namespace {

void read_mvhd(const Box& box, MovieHeader& header) {
  ByteReader r(box.payload, box.type);
  uint8_t version = r.u8();
  r.u24();
  uint64_t created;
  if (version == 1) {
    created = r.u64();
    r.u64();  // modification_time
    header.timescale = r.u32();
  } else {
    created = r.u32();
    r.u32();
    header.timescale = r.u32();
  }
  if (header.timescale == 0) throw_invalid("mvhd timescale is 0");
  header.creation_time_us = mp4_seconds_to_unix_us(created);
}

void read_tkhd(const Box& box, Track& track, uint32_t& width, uint32_t& height) {
  ByteReader r(box.payload, box.type);
  uint8_t version = r.u8();
  r.u24();
  r.skip(version == 1 ? 16 : 8);  // creation, modification
  track.track_id = r.u32();
  r.skip(4);                     // reserved
  r.skip(version == 1 ? 8 : 4);  // duration
  r.skip(8 + 8);                 // reserved, layer/group/volume
  for (uint32_t& m : track.matrix) m = r.u32();
  width = r.u32() >> 16;
  height = r.u32() >> 16;
}

void read_elst(const Box& box, Track& track) {
  ByteReader r(box.payload, box.type);
  uint8_t version = r.u8();
  r.u24();
  uint32_t count = r.u32();
  r.need_entries(count, version == 1 ? 20 : 12);
  track.edits.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    Edit e;
    if (version == 1) {
      e.segment_duration = r.u64();
      e.media_time = int64_t(r.u64());
    } else {
      e.segment_duration = r.u32();
      e.media_time = int32_t(r.u32());
    }
    r.skip(4);  // media_rate: we only describe normal-speed edits
    track.edits.push_back(e);
  }
}

void read_mdhd(const Box& box, Track& track) {
  ByteReader r(box.payload, box.type);
  uint8_t version = r.u8();
  r.u24();
  r.skip(version == 1 ? 16 : 8);
  track.timescale = r.u32();
  if (track.timescale == 0) throw_invalid("mdhd timescale is 0 in track " + std::to_string(track.track_id));
}

// Returns the handler type. The name is a C string per ISO; QuickTime writes a counted
// (Pascal) string, recognised by a length byte that matches the rest of the box.
uint32_t read_hdlr(const Box& box, Track& track) {
  ByteReader r(box.payload, box.type);
  r.skip(4 + 4);  // version/flags, pre_defined
  uint32_t handler = r.u32();
  r.skip(12);
  ByteSpan name = r.rest();
  const char* text = reinterpret_cast<const char*>(name.data);
  if (name.size > 0 && size_t(name.data[0]) + 1 == name.size) {
    track.name.assign(text + 1, name.size - 1);
  } else {
    size_t length = 0;
    while (length < name.size && name.data[length] != 0) ++length;
    track.name.assign(text, length);
  }
  return handler;
}

// One avc1/avc3 sample entry: size, avcC, pasp, colr.
void read_avc_entry(ReadContext& context, const Box& entry, SampleDescription& d, std::vector<uint8_t>& colour) {
  ByteReader fields(entry.payload, entry.type);
  fields.skip(6 + 2 + 16);  // reserved, data_reference_index, pre_defined/reserved
  d.width = fields.u16();
  d.height = fields.u16();
  fields.skip(50);  // resolutions, reserved, frame_count, compressorname, depth, pre_defined
  bool has_avcc = false;
  Box child;
  BoxIterator children(context.file, fields.rest(), entry.type);
  while (children.next(child)) {
    if (child.type == fourcc("avcC")) {
      Track sets;
      read_avcc(child.payload, sets);
      d.sps = std::move(sets.sps);
      d.pps = std::move(sets.pps);
      has_avcc = true;
    } else if (child.type == fourcc("pasp")) {
      ByteReader pasp(child.payload, child.type);
      uint32_t h = pasp.u32(), v = pasp.u32();
      if (h && v) {
        d.sar_width = h;
        d.sar_height = v;
      }
    } else if (child.type == fourcc("colr")) {
      // Kept as it came (nclx, nclc or an ICC profile): a clip describes colour as its source did.
      colour.assign(child.payload.data, child.payload.data + child.payload.size);
    }
  }
  if (!has_avcc) throw_invalid(fourcc_name(entry.type) + " sample entry without avcC");
}

// An ES descriptor's length: 1 to 4 bytes of 7 bits (ISO/IEC 14496-1 8.3.3).
uint32_t descriptor_length(ByteReader& r) {
  uint32_t n = 0;
  for (int i = 0; i < 4; ++i) {
    uint8_t b = r.u8();
    n = n << 7 | (b & 0x7F);
    if (!(b & 0x80)) return n;
  }
  return n;
}

// esds → the AudioSpecificConfig, when the stream is MPEG-4 audio (AAC); empty otherwise.
std::vector<uint8_t> read_esds(const Box& box) {
  ByteReader r(box.payload, box.type);
  r.skip(4);  // version, flags
  if (r.u8() != 0x03) throw_invalid("esds without an ES_Descriptor");
  descriptor_length(r);
  r.skip(2);  // ES_ID
  uint8_t flags = r.u8();
  if (flags & 0x80) r.skip(2);       // dependsOn_ES_ID
  if (flags & 0x40) r.skip(r.u8());  // URL
  if (flags & 0x20) r.skip(2);       // OCR_ES_Id
  if (r.u8() != 0x04) throw_invalid("esds without a DecoderConfigDescriptor");
  descriptor_length(r);
  const uint8_t object_type = r.u8();
  r.skip(12);  // streamType, bufferSizeDB, maxBitrate, avgBitrate
  // 0x40: MPEG-4 audio; 0x66-0x68: MPEG-2 AAC profiles (the same raw frames).
  if (object_type != 0x40 && !(object_type >= 0x66 && object_type <= 0x68)) return {};
  if (r.u8() != 0x05) throw_invalid("an AAC esds without its DecoderSpecificInfo (AudioSpecificConfig)");
  uint32_t n = descriptor_length(r);
  ByteSpan asc = r.bytes(n);
  return std::vector<uint8_t>(asc.data, asc.data + asc.size);
}

// One mp4a sample entry (ISO 14496-14, or QuickTime's sound description versions 1 and 2):
// its esds, also when QuickTime nests it in a 'wave' box. False when it is not AAC.
bool read_mp4a_entry(ReadContext& context, const Box& entry, SampleDescription& d) {
  ByteReader fields(entry.payload, entry.type);
  fields.skip(6 + 2);  // reserved, data_reference_index
  const uint16_t version = fields.u16();
  fields.skip(6);  // revision, vendor
  d.channels = fields.u16();
  fields.skip(2 + 4);  // sample size, compression id, packet size
  d.sample_rate = fields.u32() >> 16;
  if (version == 1)
    fields.skip(16);
  else if (version == 2)
    fields.skip(36);
  BoxIterator children(context.file, fields.rest(), entry.type);
  Box child;
  while (children.next(child)) {
    if (child.type == fourcc("esds")) {
      d.config = read_esds(child);
    } else if (child.type == fourcc("wave")) {
      BoxIterator wave(context.file, child.payload, child.type);
      Box inner;
      while (wave.next(inner))
        if (inner.type == fourcc("esds")) d.config = read_esds(inner);
    }
  }
  if (d.config.empty()) return false;
  // The AudioSpecificConfig, not the entry's 16.16 fields, is what decoders use.
  audio::AudioSpecificConfig asc = audio::parse_audio_specific_config(d.config.data(), d.config.size());
  d.sample_rate = asc.sample_rate;
  d.channels = asc.channels;
  return true;
}

// What a sample entry type carries, or nothing ringclip reads.
std::optional<TrackKind> entry_kind(uint32_t type) {
  if (type == fourcc("avc1") || type == fourcc("avc3")) return TrackKind::Video;
  if (type == fourcc("mp4a")) return TrackKind::Audio;
  if (type == fourcc("camm")) return TrackKind::Metadata;
  return std::nullopt;
}

// stsd: every sample entry (a stream whose configuration changed has several; stsc and
// tfhd say which samples use which). The first entry decides the track's kind.
void read_stsd(ReadContext& context, const Box& box, TrackState& state) {
  ByteReader r(box.payload, box.type);
  r.skip(4);
  const uint32_t count = r.u32();
  if (count == 0) throw_invalid("stsd has no sample entry");
  Box entry;
  BoxIterator entries(context.file, r.rest(), box.type);
  for (uint32_t k = 0; k < count; ++k) {
    if (!entries.next(entry)) throw_invalid("truncated stsd box");
    const std::optional<TrackKind> kind = entry_kind(entry.type);
    if (k == 0) {
      state.sample_entry = entry.type;
      if (!kind) return;  // another codec: skipped
      state.track.kind = *kind;
    } else if (kind != state.track.kind) {
      throw_invalid("sample entry " + std::to_string(k + 1) + " of a " + fourcc_name(state.sample_entry) +
                    " track is " + fourcc_name(entry.type));
    }
    SampleDescription d;
    if (*kind == TrackKind::Video) {
      read_avc_entry(context, entry, d, state.track.colour);
    } else if (*kind == TrackKind::Audio) {
      if (!read_mp4a_entry(context, entry, d)) return;  // MPEG audio that is not AAC: skipped
    } else {
      ByteReader fields(entry.payload, entry.type);
      fields.skip(6 + 2);
      ByteSpan rest = fields.rest();
      d.format = entry.type;
      d.config.assign(rest.data, rest.data + rest.size);
    }
    if (k == 0) {
      if (d.width && d.height) {
        state.track.width = d.width;
        state.track.height = d.height;
      }
      state.track.sps = std::move(d.sps);
      state.track.pps = std::move(d.pps);
      state.track.sar_width = d.sar_width;
      state.track.sar_height = d.sar_height;
      state.track.config = std::move(d.config);
      state.track.format = d.format;
      state.track.sample_rate = d.sample_rate;
      state.track.channels = d.channels;
    } else {
      if (!d.width || !d.height) {
        d.width = state.track.width;
        d.height = state.track.height;
      }
      state.track.later_descriptions.push_back(std::move(d));
    }
  }
  state.supported = true;
}

void read_stbl(ReadContext& context, const Box& stbl, TrackState& state) {
  Box box;
  BoxIterator it(context.file, stbl.payload, stbl.type);
  SampleTableBoxes& t = state.tables;
  while (it.next(box)) {
    switch (box.type) {
      case fourcc("stsd"):
        read_stsd(context, box, state);
        break;
      case fourcc("stts"):
        t.stts = box.payload;
        break;
      case fourcc("ctts"):
        t.ctts = box.payload;
        break;
      case fourcc("stss"):
        t.stss = box.payload;
        break;
      case fourcc("stsc"):
        t.stsc = box.payload;
        break;
      case fourcc("stsz"):
        t.stsz = box.payload;
        break;
      case fourcc("stco"):
        t.chunk_offsets = box.payload;
        t.co64 = false;
        break;
      case fourcc("co64"):
        t.chunk_offsets = box.payload;
        t.co64 = true;
        break;
      default:
        break;
    }
  }
}

void read_trak(ReadContext& context, const Box& trak, TrackState& state) {
  uint32_t tkhd_width = 0, tkhd_height = 0;
  bool has_tkhd = false, has_mdhd = false;
  uint32_t handler = 0;
  Box box;
  BoxIterator it(context.file, trak.payload, trak.type);
  while (it.next(box)) {
    if (box.type == fourcc("tkhd")) {
      read_tkhd(box, state.track, tkhd_width, tkhd_height);
      has_tkhd = true;
    } else if (box.type == fourcc("edts")) {
      Box elst;
      BoxIterator edts(context.file, box.payload, box.type);
      while (edts.next(elst)) {
        if (elst.type == fourcc("elst")) read_elst(elst, state.track);
      }
    } else if (box.type == fourcc("mdia")) {
      Box child;
      BoxIterator mdia(context.file, box.payload, box.type);
      while (mdia.next(child)) {
        if (child.type == fourcc("mdhd")) {
          read_mdhd(child, state.track);
          has_mdhd = true;
        } else if (child.type == fourcc("hdlr")) {
          handler = read_hdlr(child, state.track);
        } else if (child.type == fourcc("minf")) {
          Box stbl;
          BoxIterator minf(context.file, child.payload, child.type);
          while (minf.next(stbl)) {
            if (stbl.type == fourcc("stbl")) read_stbl(context, stbl, state);
          }
        }
      }
    }
  }
  if (!has_tkhd) throw_invalid("trak without tkhd");
  state.handler = handler;
  // The handler must agree with the sample entry: a 'vide' H.264 track, a 'soun' AAC
  // track; metadata entries come under 'meta' (camm's own choice), 'camm' or 'data'.
  if (state.supported) {
    const TrackKind kind = state.track.kind;
    if ((kind == TrackKind::Video && handler != fourcc("vide")) ||
        (kind == TrackKind::Audio && handler != fourcc("soun")) ||
        (kind == TrackKind::Metadata && handler != fourcc("meta") && handler != fourcc("camm") &&
         handler != fourcc("data")))
      state.supported = false;
  }
  if (!state.supported) return;
  if (!has_mdhd) throw_invalid("track " + std::to_string(state.track.track_id) + " has no mdhd");
  if (state.track.width == 0 || state.track.height == 0) {
    state.track.width = tkhd_width;
    state.track.height = tkhd_height;
  }
}

void read_mvex(ReadContext& context, const Box& mvex, std::vector<std::pair<uint32_t, TrexDefaults>>& trex) {
  Box box;
  BoxIterator it(context.file, mvex.payload, mvex.type);
  while (it.next(box)) {
    if (box.type != fourcc("trex")) continue;
    ByteReader r(box.payload, box.type);
    r.skip(4);
    uint32_t track_id = r.u32();
    TrexDefaults d;
    d.sample_description_index = r.u32();
    d.duration = r.u32();
    d.size = r.u32();
    d.flags = r.u32();
    trex.emplace_back(track_id, d);
  }
}

}  // namespace

void read_moov(ReadContext& context, const Box& moov, MovieHeader& header, std::vector<TrackState>& tracks) {
  bool has_mvhd = false;
  std::vector<std::pair<uint32_t, TrexDefaults>> trex;
  Box box;
  BoxIterator it(context.file, moov.payload, moov.type);
  while (it.next(box)) {
    if (box.type == fourcc("mvhd")) {
      read_mvhd(box, header);
      has_mvhd = true;
    } else if (box.type == fourcc("trak")) {
      tracks.emplace_back();
      read_trak(context, box, tracks.back());
    } else if (box.type == fourcc("mvex")) {
      read_mvex(context, box, trex);
    }
  }
  if (!has_mvhd) throw_invalid("moov without mvhd");
  std::vector<uint32_t> ids;
  ids.reserve(tracks.size());
  for (const TrackState& t : tracks) ids.push_back(t.track.track_id);
  std::sort(ids.begin(), ids.end());
  if (std::adjacent_find(ids.begin(), ids.end()) != ids.end()) throw_invalid("duplicate track id in moov");
  for (auto& [track_id, defaults] : trex) {
    for (TrackState& t : tracks) {
      if (t.track.track_id == track_id) t.trex = defaults;
    }
  }
}

}  // namespace ringclip::mp4
