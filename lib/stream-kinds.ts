/**
 * Streams of more than one kind: what create() accepts for `streams`, and the argument
 * checks of writeAudio() and writeMetadata() (docs/API.md, "Audio and metadata streams").
 */
import { binding } from './binding.js';
import { InvalidArgumentError } from './errors.js';
import type { StreamKind } from './types.js';

/** A stream of create(): a name (H.264 video) or a name and what it records. */
export type StreamSpec = string | { name: string; kind?: StreamKind };

const KIND_CODES: Record<StreamKind, number> = { video: 0, audio: 1, metadata: 2 };

/** Names and native kind codes of create()'s `streams`, checked. */
export function parseStreamSpecs(streams: unknown): { names: string[]; kinds: number[] } {
  if (!Array.isArray(streams) || streams.length === 0 || streams.length > 16) {
    throw new InvalidArgumentError(
      "streams must list 1 to 16 streams, e.g. ['road', 'cabin', { name: 'cabin-audio', kind: 'audio' }]",
    );
  }
  const names: string[] = [];
  const kinds: number[] = [];
  for (const spec of streams as unknown[]) {
    const { name, kind } =
      typeof spec === 'object' && spec !== null
        ? (spec as { name?: unknown; kind?: unknown })
        : { name: spec, kind: 'video' };
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,31}$/.test(name)) {
      throw new InvalidArgumentError(
        `stream name ${JSON.stringify(name)} is not allowed: use 1 to 31 letters, digits, '_', '-' or '.'`,
      );
    }
    const k = kind ?? 'video';
    if (typeof k !== 'string' || !(k in KIND_CODES)) {
      throw new InvalidArgumentError(
        `stream '${name}' has kind ${JSON.stringify(kind)}: use 'video', 'audio' or 'metadata'`,
      );
    }
    names.push(name);
    kinds.push(KIND_CODES[k as StreamKind]);
  }
  return { names, kinds };
}

/** A four-character code ('camm') as the number the sample entry type is. */
export function fourccNumber(format: unknown): number {
  if (typeof format !== 'string' || !/^[\x20-\x7e]{4}$/.test(format)) {
    throw new InvalidArgumentError(
      `a metadata format is a four-character code of printable ASCII, such as 'camm'; got ${JSON.stringify(format)}`,
    );
  }
  return (
    ((format.charCodeAt(0) << 24) |
      (format.charCodeAt(1) << 16) |
      (format.charCodeAt(2) << 8) |
      format.charCodeAt(3)) >>>
    0
  );
}

/** What an ADTS stream chunk holds (parseAdts()). */
export interface AdtsChunk {
  /** the AudioSpecificConfig its headers describe (2 bytes) */
  config: Uint8Array;
  sampleRate: number;
  channels: number;
  /** samples per frame (1024 for AAC-LC): a frame lasts frameSamples / sampleRate seconds */
  frameSamples: number;
  /** the raw AAC frames, without their ADTS headers (views of the input) */
  frames: Uint8Array[];
}

/**
 * Splits ADTS bytes (whole frames, one configuration) into raw AAC frames and their
 * AudioSpecificConfig, as writeAudio() stores them. Throws InvalidDataError naming the
 * byte where the bytes stop being ADTS.
 */
export function parseAdts(bytes: Uint8Array): AdtsChunk {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('parseAdts() takes a Buffer or Uint8Array');
  const parsed = binding.parseAdts(bytes);
  return {
    config: new Uint8Array(parsed.config),
    sampleRate: parsed.sampleRate,
    channels: parsed.channels,
    frameSamples: parsed.frameSamples,
    frames: parsed.frames.map(([offset, size]) => bytes.subarray(offset, offset + size)),
  };
}
