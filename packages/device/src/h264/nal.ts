/** NAL unit framing: emulation prevention and Annex B start codes. */

export const NAL = { SLICE: 1, IDR: 5, SEI: 6, SPS: 7, PPS: 8, AUD: 9 } as const;

/**
 * Appends one NAL unit (4-byte start code, header, RBSP with emulation prevention bytes)
 * to `out` at `at`; returns the new end. `out` must have room for rbsp.length * 1.5 + 5.
 */
export function writeNal(out: Buffer, at: number, refIdc: number, type: number, rbsp: Buffer): number {
  out[at++] = 0;
  out[at++] = 0;
  out[at++] = 0;
  out[at++] = 1;
  out[at++] = ((refIdc & 3) << 5) | (type & 0x1f);
  // Copy runs between zero bytes natively (indexOf is memchr); only zeros need a look.
  let zeros = 0; // zero bytes just written to `out` (of the payload)
  let i = 0;
  const n = rbsp.length;
  while (i < n) {
    const z = rbsp.indexOf(0, i);
    const end = z < 0 ? n : z;
    if (end > i) {
      // A byte <= 3 right after two zeros needs an emulation prevention byte first.
      if (zeros >= 2 && rbsp[i]! <= 3) {
        out[at++] = 3;
      }
      rbsp.copy(out, at, i, end);
      at += end - i;
      zeros = 0;
      i = end;
      if (z < 0) break;
    }
    // rbsp[i] === 0
    if (zeros >= 2) {
      out[at++] = 3;
      zeros = 0;
    }
    out[at++] = 0;
    zeros++;
    i++;
  }
  // An RBSP never ends in a zero byte (trailing bits), so no cabac_zero_word handling here.
  return at;
}

/** Worst-case size of a NAL unit for an RBSP of `n` bytes. */
export function nalBound(n: number): number {
  return 5 + n + Math.ceil(n / 2) + 4;
}
