#include "mp4/fragment_stream.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "mp4/box_reader.h"
#include "util/error.h"

namespace ringclip::mp4 {
namespace {

struct BoxHeader {
  uint32_t type = 0;
  uint64_t size = 0;  // 0: the header itself is not whole yet
};

BoxHeader peek_box(const uint8_t* p, size_t left) {
  BoxHeader h;
  if (left < 8) return h;
  uint64_t size = get_be32(p);
  h.type = get_be32(p + 4);
  size_t header = 8;
  if (size == 1) {
    if (left < 16) return BoxHeader{};
    size = get_be64(p + 8);
    header = 16;
  } else if (size == 0) {
    throw_invalid("box " + fourcc_name(h.type) + " claims to run to the end of the file, which a stream does not have");
  }
  if (h.type == fourcc("uuid")) header += 16;
  if (size < header) throw_invalid("box " + fourcc_name(h.type) + " has an invalid size " + std::to_string(size));
  if (size > FragmentStreamReader::kMaxBoxBytes)
    throw_invalid("box " + fourcc_name(h.type) + " of " + std::to_string(size) + " bytes is larger than a stream's " +
                  std::to_string(FragmentStreamReader::kMaxBoxBytes) + "-byte limit");
  h.size = size;
  return h;
}

}  // namespace

void FragmentStreamReader::fail(const std::string& message) {
  failed_ = true;
  throw_invalid(message);
}

void FragmentStreamReader::push(ByteSpan chunk) {
  if (failed_) throw_invalid("the stream was refused earlier: no more bytes are read from it");
  if (chunk.size == 0) return;
  buffer_.insert(buffer_.end(), chunk.data, chunk.data + chunk.size);
  try {
    while (parse_one()) {
    }
  } catch (const Error&) {
    failed_ = true;
    throw;
  }
  if (consumed_ > 0) {
    // What is left is at most one unfinished box: moving it is cheap next to parsing it.
    buffer_.erase(buffer_.begin(), buffer_.begin() + ptrdiff_t(consumed_));
    stream_offset_ += consumed_;
    consumed_ = 0;
  }
}

void FragmentStreamReader::finish() {
  if (failed_) return;
  if (buffer_.size() > consumed_)
    fail("the stream ended inside a box (" + std::to_string(buffer_.size() - consumed_) + " bytes at offset " +
         std::to_string(stream_offset_ + consumed_) + " left over)");
}

bool FragmentStreamReader::parse_one() {
  const uint8_t* p = buffer_.data() + consumed_;
  size_t left = buffer_.size() - consumed_;
  BoxHeader box = peek_box(p, left);
  if (box.size == 0 || box.size > left) return false;
  ByteSpan bytes{p, size_t(box.size)};
  if (box.type == fourcc("moov")) {
    // A later init segment re-initializes (a live stream whose parameter sets changed).
    read_init(bytes);
  } else if (box.type == fourcc("moof")) {
    if (!have_init_) fail("a fragment (moof) before the init segment (moov)");
    BoxHeader next = peek_box(p + box.size, left - size_t(box.size));
    if (next.size == 0 || next.size > left - box.size) return false;  // its mdat is not whole yet
    if (next.type != fourcc("mdat"))
      fail("moof at offset " + std::to_string(stream_offset_ + consumed_) + " is followed by " +
           fourcc_name(next.type) + ", not by its mdat");
    read_fragment_pair(ByteSpan{p, size_t(box.size + next.size)});
    consumed_ += size_t(box.size + next.size);
    return true;
  } else if (box.type == fourcc("prft")) {
    BoxIterator it(bytes, bytes, 0);
    Box b;
    it.next(b);
    if (std::optional<ProducerReference> ref = read_prft(b.payload)) reference_ = ref;
  } else if (box.type == fourcc("mdat")) {
    fail("an mdat that no moof describes at offset " + std::to_string(stream_offset_ + consumed_) +
         " (a progressive MP4 is read as a file, not as a stream)");
  }
  // ftyp, styp, sidx, emsg, free, skip, ...: nothing a store needs.
  consumed_ += size_t(box.size);
  return true;
}

void FragmentStreamReader::read_init(ByteSpan moov_bytes) {
  tracks_.clear();
  reported_.clear();
  ReadContext context(moov_bytes);
  BoxIterator it(moov_bytes, moov_bytes, 0);
  Box moov;
  it.next(moov);
  MovieHeader header;
  read_moov(context, moov, header, tracks_);
  std::vector<Track> reported;
  uint32_t skipped = 0;
  for (size_t i = 0; i < tracks_.size(); ++i) {
    // The moov's own sample tables are not expanded: a stream's samples come in fragments,
    // and the table spans point into bytes about to be dropped.
    tracks_[i].tables = SampleTableBoxes{};
    if (!tracks_[i].supported) {
      ++skipped;
      continue;
    }
    reported_.push_back(i);
    reported.push_back(tracks_[i].track);
  }
  if (std::none_of(reported.begin(), reported.end(), [](const Track& t) { return t.kind == TrackKind::Video; }))
    fail("the init segment has no H.264 video track");
  have_init_ = true;
  listener_.on_init(reported, header, skipped);
}

void FragmentStreamReader::read_fragment_pair(ByteSpan bytes) {
  ReadContext context(bytes);
  BoxIterator it(bytes, bytes, 0);
  Box moof;
  it.next(moof);
  for (TrackState& t : tracks_) t.track.samples.clear();
  read_fragment(context, moof, tracks_);
  ++fragments_;
  const ProducerReference* reference = reference_ ? &*reference_ : nullptr;
  for (size_t k = 0; k < reported_.size(); ++k) {
    const std::vector<Sample>& samples = tracks_[reported_[k]].track.samples;
    if (!samples.empty()) listener_.on_samples(k, samples, reference);
  }
  for (TrackState& t : tracks_) t.track.samples.clear();
  reference_.reset();
}

}  // namespace ringclip::mp4
