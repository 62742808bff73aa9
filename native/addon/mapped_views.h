// Views of mapped bytes handed to JS without a copy (VirtualMP4.views(), Mp4Source.views()).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace ringclip::addon {

// A Uint8Array over [data, data + size) that holds `hold` (what keeps the bytes alive: a
// mapping, a virtual file) until the array is collected. The bytes must never be written.
Napi::Value mapped_view(Napi::Env env, const uint8_t* data, size_t size, std::shared_ptr<const void> hold);

}  // namespace ringclip::addon
