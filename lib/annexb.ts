/**
 * parseAnnexB(): a whole H.264 (Annex B) stream described unit by unit, by the engine's own
 * parser — where each access unit lies, whether it is an IDR picture, and its place in
 * decode and presentation order (from POC, as the store's write streams derive it) — so a
 * program that replays a recording never parses H.264 itself.
 */
import { binding } from './binding.js';
import { InvalidArgumentError } from './errors.js';

/** One access unit of a stream (a coded picture with the parameter sets and SEI before it). */
export interface AccessUnit {
  /** the unit's bytes, start codes included (a view of the input) */
  data: Uint8Array;
  /** an IDR picture: decoding can start here, and nothing before it is shown after it */
  idr: boolean;
  /** its place in decode order (its index in `units`) */
  decode: number;
  /** its place in presentation order: 0 is shown first */
  presentation: number;
}

/** What parseAnnexB() found. */
export interface AnnexBStream {
  /** in decode order; units that did not parse are left out (counted in `rejected`) */
  units: AccessUnit[];
  /**
   * Frames a decoder may hold before showing one (0 without B-frames). At F µs a frame, a
   * stream starting at `start` shows unit u at start + u.presentation × F and decodes it at
   * start + (u.decode − reorderDepth) × F: never after it is shown, as the store times a
   * raw stream written to it.
   */
  reorderDepth: number;
  /** the frame rate of the first SPS's VUI timing; null when the stream does not say */
  fps: number | null;
  /** access units that did not parse (bad headers, no parameter sets yet), left out */
  rejected: number;
}

/** Describes the access units of whole Annex B bytes (a recording). Never throws for bad bytes: see `rejected`. */
export function parseAnnexB(bytes: Uint8Array): AnnexBStream {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('parseAnnexB() takes a Buffer or Uint8Array');
  const d = binding.parseAnnexB(bytes);
  const units: AccessUnit[] = new Array<AccessUnit>(d.offsets.length);
  for (let i = 0; i < units.length; i++) {
    const at = d.offsets[i]!;
    units[i] = {
      data: bytes.subarray(at, at + d.sizes[i]!),
      idr: d.idr[i] === 1,
      decode: i,
      presentation: d.presentation[i]!,
    };
  }
  return { units, reorderDepth: d.reorderDepth, fps: d.fps > 0 ? d.fps : null, rejected: d.rejected };
}
