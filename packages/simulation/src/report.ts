/** What the simulation prints: a progress bar for the drive, a line per happening, a summary table. */
import { formatBytes, microsToIso } from 'ringclip';

export interface ResidencyRow {
  residency: 'device' | 'phone' | 'cloud';
  what: 'drive' | 'clip' | 'live';
  id: string;
  kind: string;
  from: number | null;
  to: number | null;
  bytes: number | null;
  note: string;
}

export class Reporter {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  #bar = '';

  constructor(out: NodeJS.WriteStream = process.stdout) {
    this.#out = out;
    this.#tty = out.isTTY === true;
  }

  /** A line about one happening, tagged with its residency. */
  line(residency: string, text: string): void {
    this.#clearBar();
    this.#out.write(`${residency.padEnd(7)} ${text}\n`);
    this.#redrawBar();
  }

  /** The drive's progress (device time): redrawn in place on a terminal, every 10 % otherwise. */
  progress(done: number, total: number, label: string): void {
    const share = total > 0 ? Math.min(1, done / total) : 0;
    const width = 30;
    const filled = Math.round(share * width);
    const text = `drive   [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(share * 100).toFixed(0).padStart(3)}% ${label}`;
    if (this.#tty) {
      this.#bar = text;
      this.#redrawBar();
    } else if (Math.floor(share * 10) !== Math.floor(this.#lastShare * 10) || share === 1) {
      this.#out.write(`${text}\n`);
    }
    this.#lastShare = share;
  }
  #lastShare = -1;

  endProgress(): void {
    if (this.#tty && this.#bar) this.#out.write('\n');
    this.#bar = '';
  }

  #clearBar(): void {
    if (this.#tty && this.#bar) this.#out.write('\r\x1b[2K');
  }

  #redrawBar(): void {
    if (this.#tty && this.#bar) this.#out.write(`\r${this.#bar}`);
  }

  table(rows: ResidencyRow[]): void {
    this.endProgress();
    const t = (us: number | null) => (us === null ? '-' : microsToIso(us).slice(11, 23));
    const header = ['residency', 'what', 'id', 'kind', 'from (UTC)', 'to (UTC)', 'size', 'note'];
    const body = rows.map((r) => [
      r.residency,
      r.what,
      r.id,
      r.kind,
      t(r.from),
      t(r.to),
      r.bytes === null ? '-' : formatBytes(r.bytes),
      r.note,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
    const fmt = (cells: string[]) =>
      cells
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd();
    this.#out.write(`\n${fmt(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
    for (const b of body) this.#out.write(`${fmt(b)}\n`);
  }

  raw(text: string): void {
    this.endProgress();
    this.#out.write(text);
  }
}
