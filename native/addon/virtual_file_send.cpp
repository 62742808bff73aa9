// VirtualMP4.sendTo(fd, start, end): bytes [start, end) of a clip of an MP4 source straight
// to a non-blocking socket, the stored spans by sendfile(2) (export/socket_send.h). Returns
// the bytes the socket took: fewer than asked when it is full. A ring store's clip has no
// file to send from that stays what it was (the recorder reclaims segments): refused.
#include "convert.h"
#include "errors.h"
#include "export/socket_send.h"
#include "objects.h"

namespace ringclip::addon {

Napi::Value VirtualFileObject::SendTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guarded(env, [&]() -> Napi::Value {
    check_live();
    if (!mp4_source_)
      throw Error(ErrorCode::InvalidArgument,
                  "sendTo() sends clips of an MP4 source; a ring store's clip is read with views() or read()");
    int socket = to_socket(info[0]);
    uint64_t start = to_safe_uint64(info[1], "start");
    uint64_t end = to_safe_uint64(info[2], "end");
    return Napi::Number::New(env, double(exporting::send_to_socket(socket, *file_, start, end, *mp4_source_)));
  });
}

}  // namespace ringclip::addon
