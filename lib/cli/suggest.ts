/** The known option nearest to an unknown one, for "did you mean" hints. */

// Words people reach for that are far from the option's name in spelling.
const SYNONYMS: Record<string, string> = {
  size: 'capacity',
  'ring-size': 'capacity',
  'max-size': 'capacity',
  output: 'o',
  out: 'o',
  begin: 'from',
  since: 'from',
  until: 'to',
  end: 'to',
  track: 'stream',
  tracks: 'streams',
  input: 'stream',
  framerate: 'fps',
  'frame-rate': 'fps',
  rate: 'fps',
};

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j], before[j - 2] + 1);
    }
    before = prev;
    prev = row;
  }
  return prev[b.length];
}

/** The known name closest to `name`, or undefined when none is close (more than a third of it differs). */
export function nearestOption(name: string, known: readonly string[]): string | undefined {
  const synonym = SYNONYMS[name.toLowerCase()];
  if (synonym !== undefined && known.includes(synonym)) return synonym;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/** `--name` for long options, `-o` for one-letter ones. */
export function optionText(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}
