#pragma once
// Moving access-unit bytes into the mapped store: one pass that checksums and copies.
#include <cstddef>
#include <cstdint>

namespace ringclip::store {

// Copies n bytes from src to dst and returns crc32c_extend(crc, src, n). The source is
// checksummed block by block while the block is hot in L1, then copied, so the store's
// bytes are never read back for their CRC. Large copies write the destination with
// non-temporal stores: the ring is far larger than any cache and its pages are next read
// by msync and by exports much later, so pulling every destination line into the cache
// first (a read for ownership) would only double the memory traffic.
uint32_t copy_with_crc32c(uint8_t* dst, const uint8_t* src, size_t n, uint32_t crc);

// Orders the non-temporal stores above before what follows (the record's CRC and its
// entry in the index, which readers on other threads rely on).
void finish_copies();

}  // namespace ringclip::store
