/**
 * What a file holds when ingesting it stored no frame, in words a user can act on: empty, an
 * MP4, bytes with no Annex B start code, or H.264 NAL units without the parameter sets or
 * key frame a stream must start with.
 */
import { open } from 'node:fs/promises';

// The head of the file is enough to tell these cases apart; a huge file is not read whole.
const SNIFF_BYTES = 4 * 1024 * 1024;
const MP4_BOXES = new Set(['ftyp', 'styp', 'moov', 'mdat', 'moof', 'free', 'skip', 'wide']);
const NAL_NAMES: Record<number, string> = {
  1: 'non-IDR slice',
  5: 'IDR slice',
  6: 'SEI',
  7: 'SPS',
  8: 'PPS',
  9: 'access unit delimiter',
};

async function head(path: string): Promise<{ bytes: Buffer; size: number }> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const bytes = Buffer.alloc(Math.min(size, SNIFF_BYTES));
    const { bytesRead } = await file.read(bytes, 0, bytes.length, 0);
    return { bytes: bytes.subarray(0, bytesRead), size };
  } finally {
    await file.close();
  }
}

/** nal_unit_type of each NAL unit after a 00 00 01 start code. */
function nalTypes(bytes: Buffer): number[] {
  const types: number[] = [];
  for (
    let i = bytes.indexOf('000001', 0, 'hex');
    i >= 0 && i + 3 < bytes.length;
    i = bytes.indexOf('000001', i + 3, 'hex')
  ) {
    types.push(bytes[i + 3] & 0x1f);
  }
  return types;
}

/** Why `stream` got no frame from `path`, for an error message. */
export async function describeNoFrames(path: string, stream: string): Promise<string> {
  const { bytes, size } = await head(path);
  const prefix = `no H.264 access units for '${stream}' in ${path}`;
  if (size === 0) return `${prefix}: the file is empty (0 bytes)`;
  if (bytes.length >= 8 && MP4_BOXES.has(bytes.toString('latin1', 4, 8))) {
    return (
      `${prefix}: this is an MP4 file (its first box is '${bytes.toString('latin1', 4, 8)}'), not an Annex B H.264 stream: ` +
      `use \`ringclip cut ${path} --from +S --to +S -o OUT.mp4\` to cut a clip of it, or ingest its track once extracted as Annex B ` +
      `(ffmpeg -i ${path} -c:v copy -bsf:v h264_mp4toannexb -f h264 OUT.h264)`
    );
  }
  const types = nalTypes(bytes);
  const scanned = size > bytes.length ? `in its first ${bytes.length} of ${size} bytes` : `(${size} bytes)`;
  if (types.length === 0) {
    const where = size > bytes.length ? ` in its first ${bytes.length} bytes` : '';
    return `${prefix} (${size} bytes, no start code${where}): an H.264 elementary stream (Annex B) is made of NAL units that each begin with 00 00 01`;
  }
  const counts = new Map<number, number>();
  for (const t of types) counts.set(t, (counts.get(t) ?? 0) + 1);
  const found = [...counts].map(([t, n]) => `${n} ${NAL_NAMES[t] ?? `type-${t}`}`).join(', ');
  const missing = [7, 8, 5].filter((t) => !counts.has(t)).map((t) => NAL_NAMES[t]);
  const why =
    missing.length > 0
      ? `a stream must start with an SPS, a PPS and a key frame (IDR slice); missing: ${missing.join(', ')}`
      : 'none of them formed a complete access unit that could be stored';
  return `${prefix}: found ${types.length} NAL units ${scanned} (${found}), but ${why}`;
}
