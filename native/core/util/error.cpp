#include "util/error.h"

namespace ringclip {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArgument:
      return "ERR_INVALID_ARGUMENT";
    case ErrorCode::InvalidData:
      return "ERR_INVALID_DATA";
    case ErrorCode::Format:
      return "ERR_FORMAT";
    case ErrorCode::Io:
      return "ERR_IO";
    case ErrorCode::Locked:
      return "ERR_LOCKED";
    case ErrorCode::NoSpace:
      return "ERR_NO_SPACE";
    case ErrorCode::Range:
      return "ERR_CLIP_RANGE";
    case ErrorCode::ProtectionLimit:
      return "ERR_PROTECTION_LIMIT";
    case ErrorCode::Closed:
      return "ERR_CLOSED";
    case ErrorCode::Overrun:
      return "ERR_OVERRUN";
  }
  return "ERR_UNKNOWN";
}

}  // namespace ringclip
