// The one JS Annex B splitter of the tests, the benchmarks and the tools (the engine's own is
// native/core/h264; the device simulator has its own in packages/device, part of its product).
// Plain JavaScript so that .mjs tools and bench/ import it as it is, and TypeScript tests too.

/**
 * Offsets of the NAL units of an Annex B buffer: `at` is where the start code begins (its
 * 4-byte form included), `header` the NAL header byte.
 * @param {Uint8Array} data
 * @returns {Array<{ at: number, header: number }>}
 */
export function nalUnitStarts(data) {
  const out = [];
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 0 && data[i + 1] === 0 && data[i + 2] === 1) {
      out.push({ at: i > 0 && data[i - 1] === 0 ? i - 1 : i, header: i + 3 });
      i += 2;
    }
  }
  return out;
}

/**
 * The NAL units of an Annex B buffer, without their start codes.
 * @param {Buffer} data
 * @returns {Buffer[]}
 */
export function nalUnits(data) {
  const starts = nalUnitStarts(data);
  return starts.map((s, k) => data.subarray(s.header, k + 1 < starts.length ? starts[k + 1].at : data.length));
}

/**
 * Access units of a frame-coded stream, with their start codes: a new unit begins at an
 * AUD, at SPS/PPS/SEI after a slice, or at a slice with first_mb_in_slice 0 after a slice.
 * @param {Buffer} data
 * @returns {Buffer[]}
 */
export function splitAccessUnits(data) {
  const units = [];
  let unitStart = -1;
  let sawSlice = false;
  for (const { at, header } of nalUnitStarts(data)) {
    const type = data[header] & 0x1f;
    const isSlice = type === 1 || type === 5;
    const firstMbZero = (data[header + 1] & 0x80) !== 0;
    const begins =
      type === 9 || ((type === 6 || type === 7 || type === 8) && sawSlice) || (isSlice && firstMbZero && sawSlice);
    if (unitStart < 0) unitStart = at;
    else if (begins) {
      units.push(data.subarray(unitStart, at));
      unitStart = at;
      sawSlice = false;
    }
    if (isSlice) sawSlice = true;
  }
  if (unitStart >= 0) units.push(data.subarray(unitStart));
  return units;
}
