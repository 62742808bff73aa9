/** `ringclip cut IN.mp4 --from +S --to +S ...`: a clip of an existing MP4, zero-copy. */
import { Mp4Source } from '../mp4-source.js';
import { formatBytes, microsToIso } from '../units.js';
import { parseCliTime, type Flags } from './commands.js';
import { withFileProgress } from './progress.js';
import { UsageError } from './usage.js';

export async function cut(input: string, flags: Flags): Promise<number> {
  const out = typeof flags.o === 'string' ? flags.o : undefined;
  if (!out) throw new UsageError('cut needs -o OUT.mp4');
  if (typeof flags.from !== 'string' || typeof flags.to !== 'string') throw new UsageError('cut needs --from and --to');
  const source = await Mp4Source.open(input);
  const from = parseCliTime(flags.from, source.start, '--from');
  const to = parseCliTime(flags.to, source.start, '--to');
  if (to <= from) throw new UsageError(`--to (${microsToIso(to)}) must be after --from (${microsToIso(from)})`);
  const streams =
    typeof flags.streams === 'string'
      ? flags.streams
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : undefined;
  const clip = source.clip({ from, to, streams, align: flags.exact ? 'exact' : 'keyframe' });
  try {
    const options = { fragmented: flags.fragmented === true };
    const total = clip.toVirtualMP4(options).size;
    const { bytes } = await withFileProgress('cut', out, total, clip.writeMP4(out, options));
    process.stdout.write(
      `wrote ${out}: ${formatBytes(bytes)}, ${clip.tracks.map((t) => `${t.name} ${t.samples} frames`).join(', ')}\n`,
    );
    for (const note of clip.dropped) process.stdout.write(`${note}\n`);
  } finally {
    clip.release();
  }
  return 0;
}
