/** Public shapes returned by the API. Times are microseconds since the Unix epoch. */

export type RandomAccessKind = 'idr' | 'recovery' | null;

/** What a stream records: H.264 video, AAC audio, or timed metadata (such as camm). */
export type StreamKind = 'video' | 'audio' | 'metadata';

export interface StreamInfo {
  name: string;
  kind: StreamKind;
  /** RFC 6381 codec string, e.g. 'avc1.640028', 'mp4a.40.2', 'camm'; null before the first sample. */
  codec: string | null;
  /** Audio streams: of the latest configuration (0 otherwise). */
  sampleRate: number;
  channels: number;
  width: number;
  height: number;
  profile: number;
  level: number;
  frames: number;
  /** Random access points retained: IDR pictures plus recovery points (open GOP). */
  keyframes: number;
  idrFrames: number;
  recoveryPoints: number;
  bytes: number;
  first: number | null;
  last: number | null;
  overwrittenFrames: number;
  droppedFrames: number;
  rejectedUnits: number;
}

export interface DriveInfo {
  id: number;
  first: number | null;
  last: number | null;
  frames: number;
  streams: string[];
}

export interface StoreInfo {
  path: string;
  formatVersion: number;
  capacity: number;
  used: number;
  segmentSize: number;
  segments: number;
  liveSegments: number;
  pinnedSegments: number;
  protectedBytes: number;
  protectCapBytes: number;
  protections: number;
  currentDrive: number;
  overwrittenFrames: number;
  droppedFrames: number;
  /** Header slot writes since open (diagnostic: each is one synchronous msync of 4 KiB). */
  headerWrites: number;
  streams: StreamInfo[];
  drives: DriveInfo[];
}

/** What `copyTo()` did. */
export interface CopyResult {
  /** frames stored in the destination */
  frames: number;
  /** their payload bytes */
  bytes: number;
  /**
   * frames the destination did not store: before a stream's first random access point
   * there (undecodable), at or before its newest decode time (copied already), or with no
   * segment to reclaim (all protected or pinned); counted in its stream statistics
   */
  notStored: number;
}

/** What the writer's preparing thread did since open (diagnostic). */
export interface PrepareStats {
  /** segments made resident ahead of the writer */
  segmentsPrepared: number;
  /** of those, segments whose old blocks were dropped first (no read-back from storage) */
  segmentsDiscarded: number;
  /** durable old segments dropped from the page cache */
  rangesReleased: number;
  /** kernel calls refused: the writer then faults pages in itself (slower, never wrong) */
  hintFailures: number;
  lastError: string | null;
}

export interface RecoveryReport {
  /** segments indexed by reading their records (the tail after a crash, the reclaim horizon, unsealed ones) */
  segmentsScanned: number;
  /** segments indexed from their index block alone: no record header or payload read */
  segmentsFromIndex: number;
  /** index blocks of a segment's generation refused as inconsistent: those segments were scanned */
  indexBlocksRefused: number;
  recordsKept: number;
  damagedRecords: number;
  damagedBytes: number;
  tornTailRecords: number;
  tornTailBytes: number;
  usedBackupHeader: boolean;
  /** segment headers that failed their checks; the records behind each were kept */
  damagedSegmentHeaders: number;
  damaged: Array<{ segment: number; bytes: number; records: number; from: number | null; to: number | null }>;
}

export interface VerifyReport {
  ok: boolean;
  records: number;
  bytes: number;
  badRecords: number;
  problems: string[];
}

export interface OverwriteEvent {
  stream: string;
  /** pts of the first and last frames lost */
  from: number;
  to: number;
  frames: number;
}

export interface Frame {
  stream: string;
  dts: number;
  pts: number;
  randomAccess: RandomAccessKind;
  /** NAL units with 4-byte length prefixes. On a writable store, a view of the store's
   *  memory: valid while the iteration holds its pin (until the iterator moves past this
   *  frame's segment or ends); copy it (Buffer.from) to keep it. On a read-only store, a
   *  copy checked against the writer's loop recording (another process may be rewriting the
   *  file): exactly the bytes written, safe to keep. */
  payload: Uint8Array;
  size: number;
}

/** A run of contiguous footage of one stream (store.spans()): µs since the epoch. */
export interface FrameSpanInfo {
  /** pts of the first presented frame */
  from: number;
  /** end of the last presented frame (its pts + one frame duration) */
  to: number;
  frames: number;
}

/** What a store holds and would hold full (store.retention()). */
export interface RetentionInfo {
  /** seconds of footage retained (the longest stream's spans, gaps excluded) */
  footage: number;
  /** bytes those take in the store */
  bytes: number;
  /** bytes per second of footage; null before any footage */
  bytesPerSecond: number | null;
  /** seconds of footage the whole ring holds at that rate; null before any footage */
  fullSeconds: number | null;
}
