#pragma once
// Errors of the core. Each carries a stable code that the addon maps to the JS error
// classes of lib/ (RingclipError subclasses); the message says what was wrong.
#include <stdexcept>
#include <string>

namespace ringclip {

enum class ErrorCode {
  InvalidArgument,  // a caller passed something the API does not allow
  InvalidData,      // bytes that are not what they claim (bad H.264, bad MP4, bad record)
  Format,           // a store file that is not a ringclip store or of another version
  Io,               // the operating system refused (open, mmap, fallocate, msync, write)
  Locked,           // another process holds the store for writing
  NoSpace,          // the ring has no reclaimable segment (all protected or pinned)
  Range,            // a time range with no retained footage
  ProtectionLimit,  // protecting more than the configured cap
  Closed,           // the store was closed
  Overrun,          // a follower fell behind the ring's wrap
};

const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace ringclip
