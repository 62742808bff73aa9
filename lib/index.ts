export { SegmentStore } from './segment-store.js';
export type { CreateOptions, OpenOptions, WriteOptions, FlushOption, PrepareAhead } from './segment-store.js';
export { Clip, VirtualMP4 } from './clip.js';
export type { ClipOptions, ClipTrack, OutputOptions } from './clip.js';
export { Protection } from './protection.js';
export { Mp4Source } from './mp4-source.js';
export { HlsRendition, masterPlaylist } from './hls.js';
export type { HlsSegment, HlsPlaylistOptions, HlsCamera } from './hls.js';
export type { LiveFrame, FollowOptions, LiveMP4Stream, LiveMP4Options } from './live.js';
export type { Mp4SourceTrack } from './mp4-source.js';
export { parseAdts } from './stream-kinds.js';
export { parseAnnexB } from './annexb.js';
export type { AccessUnit, AnnexBStream } from './annexb.js';
export type { StreamSpec, AdtsChunk } from './stream-kinds.js';
export { AnnexBWriteStream, FragmentedIngest, FragmentedWriteStream } from './write-stream.js';
export type { WriteStreamOptions, FragmentedWriteStreamOptions, FragmentedWriteStats } from './write-stream.js';
export type { FragmentedIngestTrackStats } from './binding.js';
export * from './errors.js';
export type * from './types.js';
export { encodeCamm, decodeCamm, cammPacketSize, gpsEpochSeconds, unixMicrosFromGps, CAMM_FORMAT } from './camm.js';
export type { CammPacket, CammType, CammVector } from './camm.js';
export { rangeResponse } from './http-range.js';
export { sendableDescriptor } from './socket-send.js';
export type { RangeRepresentation, RangeResponse } from './http-range.js';
export { parseSize, parseDuration, toMicros, microsToIso, formatBytes, MIN_TIME_US, MAX_TIME_US } from './units.js';
export type { TimeInput, TimeRule } from './units.js';
import { binding } from './binding.js';
/** Version of the store file format this build reads and writes. */
export const formatVersion: number = binding.formatVersion;
/** Version of the MP4 writer's output (part of every ETag). */
export const mp4WriterVersion: number = binding.mp4WriterVersion;
/**
 * Native bytes (sample tables, file layouts) held by clips, virtual MP4s and HLS renditions
 * not yet released or collected: a server that forgets release() sees it grow.
 */
export function unreleasedNativeBytes(): number {
  return binding.unreleasedNativeBytes();
}
