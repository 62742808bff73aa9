// Mp4Source.views(): see mp4_source_views.cpp.
#pragma once

#include <napi.h>

#include <memory>

#include "export/mp4_source.h"

namespace ringclip::addon {

Napi::Value mp4_source_views(Napi::Env env, const std::shared_ptr<exporting::Mp4Source>& source,
                             const Napi::Value& start, const Napi::Value& end);

}  // namespace ringclip::addon
