/** A progress bar on stderr for long exports, only when stderr is a terminal. */
import { stat } from 'node:fs/promises';

export async function withFileProgress<T>(
  label: string,
  path: string | number,
  total: number,
  work: Promise<T>,
): Promise<T> {
  if (!process.stderr.isTTY || typeof path !== 'string' || total < 8 * 1024 * 1024) return work;
  let done = false;
  const draw = async () => {
    while (!done) {
      const size = await stat(path).then(
        (s) => s.size,
        () => 0,
      );
      const share = Math.min(1, size / total);
      const width = 30;
      const filled = Math.round(share * width);
      process.stderr.write(
        `\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0)}%`,
      );
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const drawing = draw();
  try {
    return await work;
  } finally {
    done = true;
    await drawing;
    process.stderr.write(`\r${label} [${'#'.repeat(30)}] 100%\n`);
  }
}
