/** Time spans (µs since the epoch, [from, to)) and the small algebra drives need. */
export interface Span {
  from: number;
  to: number;
}

/** Sorted, merged copy; spans closer than `slack` µs are joined. */
export function merge(spans: Span[], slack = 0): Span[] {
  const s = spans
    .filter((x) => x.to > x.from)
    .map((x) => ({ ...x }))
    .sort((a, b) => a.from - b.from);
  const out: Span[] = [];
  for (const x of s) {
    const last = out[out.length - 1];
    if (last && x.from <= last.to + slack) last.to = Math.max(last.to, x.to);
    else out.push(x);
  }
  return out;
}

/** The parts of `a` not covered by `b`. */
export function subtract(a: Span[], b: Span[]): Span[] {
  const out: Span[] = [];
  const bs = merge(b);
  for (const x of merge(a)) {
    let from = x.from;
    for (const y of bs) {
      if (y.to <= from || y.from >= x.to) continue;
      if (y.from > from) out.push({ from, to: y.from });
      from = Math.max(from, y.to);
    }
    if (from < x.to) out.push({ from, to: x.to });
  }
  return out;
}

export function intersect(a: Span[], b: Span[]): Span[] {
  const out: Span[] = [];
  for (const x of merge(a))
    for (const y of merge(b)) {
      const from = Math.max(x.from, y.from),
        to = Math.min(x.to, y.to);
      if (to > from) out.push({ from, to });
    }
  return merge(out);
}

export const total = (spans: Span[]) => spans.reduce((n, s) => n + (s.to - s.from), 0);

/** The smallest span holding all of them (null for none). */
export function hull(spans: Span[]): Span | null {
  if (spans.length === 0) return null;
  return { from: Math.min(...spans.map((x) => x.from)), to: Math.max(...spans.map((x) => x.to)) };
}
