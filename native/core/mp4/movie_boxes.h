#pragma once
// The boxes progressive files and init segments share: ftyp, mvhd, and a trak down to
// stsd. What differs (filled vs empty sample tables, durations) is passed in.
#include <cstdint>
#include <initializer_list>

#include "mp4/box_writer.h"
#include "mp4/movie.h"

namespace ringclip::mp4 {

// Throws Error(InvalidArgument) for a movie no writer can express (no tracks, a zero
// timescale, duplicate track ids, sizes that do not fit their fields).
void validate_movie(const Movie& movie);

void write_ftyp(BoxWriter& w, const char (&major)[5], uint32_t minor_version,
                std::initializer_list<const char*> compatible);

// A top-level prft stating the capture time (creation_time_us) of the movie's presentation
// time 0 to the µs: on the first track, at the media time presented first (after ftyp,
// before moov). Nothing when the movie has no capture time NTP can express.
void write_movie_reference(BoxWriter& w, const Movie& movie);

// Where a track's presentation starts: the media time presented first (the first media
// edit, else the smallest pts) and the movie time it is presented at (leading empty
// edits), in µs. The reader's origin arithmetic (export/mp4_source.cpp) is its inverse.
struct PresentationStart {
  int64_t media_time = 0;  // track ticks
  int64_t delay_us = 0;
};
PresentationStart presentation_start(const Track& track, uint32_t movie_timescale);

// Durations go in as given: progressive files state them, init segments write 0 (the
// samples live in fragments; mehd carries the total).
void write_mvhd(BoxWriter& w, const Movie& movie, uint64_t duration);

struct TrakDurations {
  uint64_t tkhd = 0;  // movie timescale
  uint64_t mdhd = 0;  // track timescale
};

// Writes trak/{tkhd, edts?, mdia/{mdhd, hdlr, minf/{vmhd, dinf, stbl/{stsd, ...}}}, udta/name?}.
// `write_tables` appends the boxes after stsd inside stbl.
template <typename WriteTables>
void write_trak(BoxWriter& w, const Movie& movie, const Track& track, const TrakDurations& durations,
                WriteTables&& write_tables);

// Pieces of write_trak, exposed so the template stays tiny.
size_t open_trak_until_stbl(BoxWriter& w, const Movie& movie, const Track& track, const TrakDurations& durations,
                            size_t (&open_boxes)[3]);
void close_trak(BoxWriter& w, const Track& track, const size_t (&open_boxes)[3], size_t trak);

template <typename WriteTables>
void write_trak(BoxWriter& w, const Movie& movie, const Track& track, const TrakDurations& durations,
                WriteTables&& write_tables) {
  size_t open_boxes[3];
  size_t trak = open_trak_until_stbl(w, movie, track, durations, open_boxes);
  write_tables(w);
  close_trak(w, track, open_boxes, trak);
}

}  // namespace ringclip::mp4
