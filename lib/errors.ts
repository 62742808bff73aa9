/**
 * Errors thrown by ringclip. Every error is a RingclipError with a stable `code`; the
 * native core throws these same classes (they are handed to the addon when it loads).
 */
export class RingclipError extends Error {
  readonly code: string;
  constructor(message: string, code = 'ERR_RINGCLIP') {
    super(message);
    this.name = new.target.name;
    this.code = code;
  }
}

/** An argument the API does not allow: the message says what was wrong and what is allowed. */
export class InvalidArgumentError extends RingclipError {
  constructor(message: string) {
    super(message, 'ERR_INVALID_ARGUMENT');
  }
}
/** Bytes that are not what they claim: bad H.264, a bad MP4, a damaged record. */
export class InvalidDataError extends RingclipError {
  constructor(message: string) {
    super(message, 'ERR_INVALID_DATA');
  }
}
/** A file that is not a ringclip store, or a store of another format version. */
export class StoreFormatError extends RingclipError {
  constructor(message: string) {
    super(message, 'ERR_FORMAT');
  }
}
/** The operating system refused: open, mmap, fallocate (ENOSPC), msync, write. */
export class StoreIoError extends RingclipError {
  constructor(message: string) {
    super(message, 'ERR_IO');
  }
}
/** Another process holds the store for writing. */
export class StoreLockedError extends RingclipError {
  constructor(message: string) {
    super(message, 'ERR_LOCKED');
  }
}
/** The ring has no segment it may reclaim: all are protected or pinned. The frame was not stored. */
export class RingFullError extends RingclipError {
  constructor(message: string) {
    super(message, 'ERR_NO_SPACE');
  }
}
/** A clip range with no retained footage, or partly overwritten without allowPartial. */
export class ClipRangeError extends RingclipError {
  constructor(message: string) {
    super(message, 'ERR_CLIP_RANGE');
  }
}
/** Protecting more than the store's protection cap. */
export class ProtectionLimitError extends RingclipError {
  constructor(message: string) {
    super(message, 'ERR_PROTECTION_LIMIT');
  }
}
/** The store (or clip) was closed (released). */
export class StoreClosedError extends RingclipError {
  constructor(message: string) {
    super(message, 'ERR_CLOSED');
  }
}
/** A reader fell behind the ring's wrap: the bytes it wanted were overwritten. */
export class OverrunError extends RingclipError {
  constructor(message: string) {
    super(message, 'ERR_OVERRUN');
  }
}
/** The native addon could not be loaded. */
export class BindingLoadError extends RingclipError {
  constructor(message: string) {
    super(message, 'ERR_BINDING');
  }
}

/** The classes the addon throws, by code. */
export const errorClassesByCode = {
  ERR_INVALID_ARGUMENT: InvalidArgumentError,
  ERR_INVALID_DATA: InvalidDataError,
  ERR_FORMAT: StoreFormatError,
  ERR_IO: StoreIoError,
  ERR_LOCKED: StoreLockedError,
  ERR_NO_SPACE: RingFullError,
  ERR_CLIP_RANGE: ClipRangeError,
  ERR_PROTECTION_LIMIT: ProtectionLimitError,
  ERR_CLOSED: StoreClosedError,
  ERR_OVERRUN: OverrunError,
} as const;
