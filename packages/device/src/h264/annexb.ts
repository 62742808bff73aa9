/** Splitting an Annex B file into access units, for cameras that replay a recording. */

/** NAL unit start offsets (of the start code) and the header byte offset. */
function nalStarts(data: Uint8Array): Array<{ at: number; header: number }> {
  const out: Array<{ at: number; header: number }> = [];
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      out.push({ at: i > 0 && data[i - 1] === 0 ? i - 1 : i, header: i + 3 });
      i += 2;
    }
  }
  return out;
}

export interface AccessUnit {
  data: Buffer;
  /** holds an IDR slice */
  idr: boolean;
}

/**
 * Access units of a frame-coded stream: a new unit begins at an AUD, at SPS/PPS/SEI after
 * a slice, or at a slice with first_mb_in_slice 0 after a slice.
 */
export function splitAccessUnits(data: Buffer): AccessUnit[] {
  const units: AccessUnit[] = [];
  let start = -1,
    sawSlice = false,
    idr = false;
  for (const { at, header } of nalStarts(data)) {
    const type = data[header]! & 0x1f;
    const isSlice = type === 1 || type === 5;
    const firstMbZero = isSlice && (data[header + 1]! & 0x80) !== 0;
    const begins = type === 9 || ((type === 6 || type === 7 || type === 8) && sawSlice) || (firstMbZero && sawSlice);
    if (start < 0) start = at;
    else if (begins) {
      units.push({ data: data.subarray(start, at), idr });
      start = at;
      sawSlice = false;
      idr = false;
    }
    if (isSlice) sawSlice = true;
    if (type === 5) idr = true;
  }
  if (start >= 0) units.push({ data: data.subarray(start), idr });
  return units;
}
