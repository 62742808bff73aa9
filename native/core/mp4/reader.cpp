// read_movie: top-level walk, then moov, sample tables and fragments.
#include "mp4/reader.h"

#include <algorithm>
#include <string>
#include <vector>

#include "mp4/reader_state.h"

namespace ringclip::mp4 {

ByteSpan ReadContext::sample_bytes(uint64_t offset, uint64_t size, uint32_t track_id) const {
  if (offset > file.size || size > file.size - offset)
    throw_invalid("truncated: a sample of track " + std::to_string(track_id) + " lies outside the file (bytes " +
                  std::to_string(offset) + ".." + std::to_string(offset + size) + " of " + std::to_string(file.size) +
                  ")");
  return ByteSpan{file.data + offset, size_t(size)};
}

namespace {

// Fragments may arrive out of order (a file concatenated from segments); samples must
// come out in decode order.
void sort_by_decode_time(Track& track) {
  auto by_dts = [](const Sample& a, const Sample& b) { return a.dts < b.dts; };
  if (!std::is_sorted(track.samples.begin(), track.samples.end(), by_dts))
    std::stable_sort(track.samples.begin(), track.samples.end(), by_dts);
}

}  // namespace

Movie read_movie(ByteSpan file) {
  if (!file.data && file.size) throw_invalid("no data");
  ReadContext context(file);
  Box moov;
  bool has_moov = false;
  std::vector<Box> moofs;
  std::optional<ProducerReference> reference;  // the first one: it anchors the file's timeline
  Box box;
  BoxIterator top(file, file, 0);
  while (top.next(box)) {
    if (box.type == fourcc("moov")) {
      if (has_moov) throw_invalid("more than one moov box");
      moov = box;
      has_moov = true;
    } else if (box.type == fourcc("moof")) {
      moofs.push_back(box);
    } else if (box.type == fourcc("prft") && !reference) {
      reference = read_prft(box.payload);
    }
  }
  if (!has_moov) throw_invalid("no moov box (not an MP4 file, or truncated before the movie header)");

  MovieHeader header;
  std::vector<TrackState> tracks;
  read_moov(context, moov, header, tracks);
  for (TrackState& t : tracks) {
    if (t.supported) read_sample_tables(context, t);
  }
  for (const Box& moof : moofs) read_fragment(context, moof, tracks);

  Movie movie;
  movie.timescale = header.timescale;
  movie.creation_time_us = header.creation_time_us;
  movie.reference = reference;
  for (TrackState& t : tracks) {
    if (!t.supported) {
      movie.skipped_tracks.push_back({t.track.track_id, t.handler, t.sample_entry});
      continue;
    }
    sort_by_decode_time(t.track);
    movie.tracks.push_back(std::move(t.track));
  }
  if (std::none_of(movie.tracks.begin(), movie.tracks.end(), [](const Track& t) { return t.kind == TrackKind::Video; }))
    throw_invalid("no H.264 video track");
  return movie;
}

}  // namespace ringclip::mp4
