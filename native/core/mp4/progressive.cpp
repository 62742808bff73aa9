// build_progressive: ftyp, moov, mdat. The moov goes first ("fast start") because every
// sample size is known up front, so a player can start after reading one small prefix.
#include <vector>

#include "mp4/box_writer.h"
#include "mp4/chunk_layout.h"
#include "mp4/movie_boxes.h"
#include "mp4/movie_time.h"
#include "mp4/sample_tables.h"
#include "mp4/writer.h"

namespace ringclip::mp4 {
namespace {

size_t estimate_header_bytes(const Movie& movie, const MdatLayout& layout) {
  size_t bytes = 256 + layout.chunks.size() * (12 + 8);
  for (const Track& t : movie.tracks) {
    bytes += 1024 + t.edits.size() * 20;
    for (auto& s : t.sps) bytes += s.size() + 2;
    for (auto& p : t.pps) bytes += p.size() + 2;
    bytes += t.samples.size() * (4 + 8 + 8 + 4);  // stsz, worst-case stts, ctts, stss
  }
  return bytes;
}

struct Header {
  std::vector<uint8_t> bytes;  // ftyp + moov (+ the mdat header, appended later)
  std::vector<ChunkOffsetTable> offset_tables;
};

Header write_ftyp_and_moov(const Movie& movie, const MdatLayout& layout, bool co64) {
  Header header;
  header.bytes.reserve(estimate_header_bytes(movie, layout));
  header.offset_tables.reserve(movie.tracks.size());
  BoxWriter w(header.bytes);
  // isom: ISO base media; iso2: what ffmpeg and most players expect alongside isom;
  // avc1: H.264 in avc1 sample entries; mp41: MP4 v1, for old players that check it.
  write_ftyp(w, "isom", 0x200, {"isom", "iso2", "avc1", "mp41"});
  write_movie_reference(w, movie);
  size_t moov = w.open("moov");
  write_mvhd(w, movie, movie_duration(movie));
  for (uint32_t i = 0; i < movie.tracks.size(); ++i) {
    const Track& track = movie.tracks[i];
    TrakDurations durations{presentation_duration(track, movie.timescale), media_duration(track)};
    write_trak(w, movie, track, durations, [&](BoxWriter& tables) {
      header.offset_tables.push_back(write_sample_tables(tables, track, i, layout, co64));
    });
  }
  w.close(moov);
  return header;
}

}  // namespace

VirtualFile build_progressive(const Movie& movie, const ProgressiveOptions& options) {
  validate_movie(movie);
  const MdatLayout layout = layout_chunks(movie);
  // largesize only when the 32-bit size field cannot hold header + payload.
  const bool large_mdat = layout.payload_size > uint64_t(UINT32_MAX) - 8;
  const uint64_t mdat_header_size = large_mdat ? 16 : 8;
  const uint64_t last_chunk_offset = layout.chunks.empty() ? 0 : layout.chunks.back().offset;

  bool co64 = options.force_co64;
  Header header = write_ftyp_and_moov(movie, layout, co64);
  uint64_t payload_start = header.bytes.size() + mdat_header_size;
  if (!co64 && payload_start + last_chunk_offset > UINT32_MAX) {
    // Only files beyond 4 GiB pay for writing the moov twice.
    co64 = true;
    header = write_ftyp_and_moov(movie, layout, co64);
    payload_start = header.bytes.size() + mdat_header_size;
  }

  BoxWriter w(header.bytes);
  for (const ChunkOffsetTable& table : header.offset_tables) rebase_chunk_offsets(w, table, payload_start);
  if (large_mdat) {
    w.u32(1);
    w.fourcc("mdat");
    w.u64(mdat_header_size + layout.payload_size);
  } else {
    w.u32(uint32_t(mdat_header_size + layout.payload_size));
    w.fourcc("mdat");
  }

  VirtualFile file;
  size_t sample_count = 0;
  for (const Track& t : movie.tracks) sample_count += t.samples.size();
  file.reserve(1 + sample_count);
  file.append_generated(std::move(header.bytes));
  // The mdat payload is the samples themselves, borrowed: nothing is copied.
  for (const Chunk& c : layout.chunks) {
    const Track& track = movie.tracks[c.track];
    for (uint32_t s = c.first_sample; s < c.first_sample + c.sample_count; ++s) file.append_span(track.samples[s].data);
  }
  return file;
}

}  // namespace ringclip::mp4
