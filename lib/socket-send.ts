/**
 * Sending stored bytes to a socket by sendfile(2) (VirtualMP4.sendTo, Mp4Source.sendTo):
 * where Node keeps a socket's descriptor, and when bytes written past Node land in order.
 */
import type { Socket } from 'node:net';
import { InvalidArgumentError } from './errors.js';

/** What Node's TCP and pipe handles carry (internal, stable since Node 0.x on Unix). */
interface HandleWithFd {
  fd?: number;
  writeQueueSize?: number;
}

/**
 * The descriptor of a connected socket of this process when a write past Node would land
 * right after everything written through Node: nothing waits in the stream's buffer or in
 * libuv's write queue. Null when there is no such descriptor (a TLS socket: its bytes are
 * encrypted in the process; Windows) or when writes are still queued — then write through
 * the socket as usual and ask again once they have gone.
 */
export function sendableDescriptor(socket: Socket | null | undefined): number | null {
  if (!socket || socket.destroyed || !socket.writable) return null;
  const handle = (socket as unknown as { _handle?: HandleWithFd | null })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0) return null;
  if (socket.writableLength !== 0 || (handle?.writeQueueSize ?? 0) !== 0) return null;
  return fd;
}

/** Checks sendTo()'s arguments: a descriptor and a byte range. */
export function checkSendArguments(socket: number, start: number, end: number): void {
  if (!Number.isInteger(socket) || socket < 0 || socket > 0x7fffffff)
    throw new InvalidArgumentError(`sendTo() takes a socket's file descriptor, got ${String(socket)}`);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start)
    throw new InvalidArgumentError(
      `sendTo(socket, start, end) needs whole numbers with 0 <= start <= end, got ${start}, ${end}`,
    );
}
