/**
 * A small MP4 reader for what the phone receives: the device's live fragmented MP4 (fed
 * incrementally, box by box) and whole files (progressive or fragmented, e.g. clips cut
 * from the ring when the ring is migrated). It yields samples with capture times and
 * turns them back into Annex B access units for SegmentStore.write().
 */

export interface Mp4Track {
  id: number;
  /** hdlr name: the camera ('road', 'cabin') */
  name: string;
  timescale: number;
  sps: Buffer[];
  pps: Buffer[];
  /** presentation delay on the movie timeline (empty edit), µs */
  delayUs: number;
  /** media time presented first (first non-empty edit), track ticks; null without edits */
  mediaTime: number | null;
}

export interface Mp4Sample {
  track: Mp4Track;
  /** capture times, µs since the epoch */
  dts: number;
  pts: number;
  sync: boolean;
  /** NAL units with 4-byte length prefixes (a view into the input) */
  data: Buffer;
}

const MP4_EPOCH_OFFSET_S = 2082844800; // 1904-01-01 to 1970-01-01

interface Box { type: string; start: number; header: number; size: number }

function* boxes(buf: Buffer, start = 0, end = buf.length): Generator<Box> {
  let at = start;
  while (at + 8 <= end) {
    let size = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      if (at + 16 > end) return;
      size = Number(buf.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) size = end - at;
    if (size < header || at + size > end) throw new Error(`MP4: box '${type}' at ${at} runs past its parent`);
    yield { type, start: at, header, size };
    at += size;
  }
}

function child(buf: Buffer, parent: Box, type: string, skip = 0): Box | undefined {
  for (const b of boxes(buf, parent.start + parent.header + skip, parent.start + parent.size)) if (b.type === type) return b;
  return undefined;
}
function children(buf: Buffer, parent: Box, type: string): Box[] {
  return [...boxes(buf, parent.start + parent.header, parent.start + parent.size)].filter((b) => b.type === type);
}
const body = (b: Box) => b.start + b.header;
const u64 = (buf: Buffer, at: number) => Number(buf.readBigUInt64BE(at));

interface TrackTables {
  track: Mp4Track;
  /** progressive sample tables, when present */
  samples: Array<{ dts: number; cto: number; size: number; offset: number; sync: boolean }>;
  defaultDuration: number;
  defaultSize: number;
  defaultFlags: number;
  /** next decode time (ticks) for fragments without tfdt */
  nextDts: number;
}

export interface Movie {
  /** µs since the epoch of the movie's time zero (mvhd creation_time), 0 when unknown */
  origin: number;
  timescale: number;
  tracks: Mp4Track[];
}

function parseAvcC(buf: Buffer, box: Box): { sps: Buffer[]; pps: Buffer[] } {
  let at = body(box);
  if (buf.readUInt8(at + 4) !== 0xff) {
    if ((buf.readUInt8(at + 4) & 3) !== 3) throw new Error('MP4: avcC NAL length size other than 4 is not supported');
  }
  const nsps = buf.readUInt8(at + 5) & 0x1f;
  at += 6;
  const sps: Buffer[] = [], pps: Buffer[] = [];
  for (let i = 0; i < nsps; i++) { const n = buf.readUInt16BE(at); sps.push(Buffer.from(buf.subarray(at + 2, at + 2 + n))); at += 2 + n; }
  const npps = buf.readUInt8(at); at += 1;
  for (let i = 0; i < npps; i++) { const n = buf.readUInt16BE(at); pps.push(Buffer.from(buf.subarray(at + 2, at + 2 + n))); at += 2 + n; }
  return { sps, pps };
}

/** Parses a moov box: the movie and every H.264 track with its sample tables. */
function parseMoov(buf: Buffer, moov: Box): { movie: Movie; tables: Map<number, TrackTables> } {
  const mvhd = child(buf, moov, 'mvhd');
  if (!mvhd) throw new Error('MP4: moov without mvhd');
  const v = buf.readUInt8(body(mvhd));
  const created = v === 1 ? u64(buf, body(mvhd) + 4) : buf.readUInt32BE(body(mvhd) + 4);
  const timescale = v === 1 ? buf.readUInt32BE(body(mvhd) + 20) : buf.readUInt32BE(body(mvhd) + 12);
  const origin = created > MP4_EPOCH_OFFSET_S ? (created - MP4_EPOCH_OFFSET_S) * 1e6 : 0;
  const movie: Movie = { origin, timescale, tracks: [] };
  const tables = new Map<number, TrackTables>();
  const trex = new Map<number, { duration: number; size: number; flags: number }>();
  const mvex = child(buf, moov, 'mvex');
  if (mvex) for (const t of children(buf, mvex, 'trex')) {
    const b = body(t);
    trex.set(buf.readUInt32BE(b + 4), { duration: buf.readUInt32BE(b + 12), size: buf.readUInt32BE(b + 16), flags: buf.readUInt32BE(b + 20) });
  }
  for (const trak of children(buf, moov, 'trak')) {
    const tkhd = child(buf, trak, 'tkhd')!;
    const tv = buf.readUInt8(body(tkhd));
    const id = buf.readUInt32BE(body(tkhd) + (tv === 1 ? 20 : 12));
    const mdia = child(buf, trak, 'mdia')!;
    const mdhd = child(buf, mdia, 'mdhd')!;
    const mv = buf.readUInt8(body(mdhd));
    const ts = buf.readUInt32BE(body(mdhd) + (mv === 1 ? 20 : 12));
    const hdlr = child(buf, mdia, 'hdlr')!;
    if (buf.toString('latin1', body(hdlr) + 8, body(hdlr) + 12) !== 'vide') continue;
    const name = buf.toString('utf8', body(hdlr) + 24, hdlr.start + hdlr.size).replace(/\0.*$/s, '') || `track${id}`;
    const stbl = child(buf, child(buf, mdia, 'minf')!, 'stbl')!;
    const stsd = child(buf, stbl, 'stsd')!;
    const entry = [...boxes(buf, body(stsd) + 8, stsd.start + stsd.size)][0];
    if (!entry || (entry.type !== 'avc1' && entry.type !== 'avc3')) continue;
    const avcC = [...boxes(buf, body(entry) + 78, entry.start + entry.size)].find((b) => b.type === 'avcC');
    if (!avcC) throw new Error(`MP4: track ${id} has no avcC`);
    const { sps, pps } = parseAvcC(buf, avcC);
    let delayUs = 0, mediaTime: number | null = null;
    const edts = child(buf, trak, 'edts');
    const elst = edts && child(buf, edts, 'elst');
    if (elst) {
      const ev = buf.readUInt8(body(elst));
      const n = buf.readUInt32BE(body(elst) + 4);
      let at = body(elst) + 8;
      for (let i = 0; i < n; i++) {
        const dur = ev === 1 ? u64(buf, at) : buf.readUInt32BE(at);
        const mt = ev === 1 ? Number(buf.readBigInt64BE(at + 8)) : buf.readInt32BE(at + 4);
        at += ev === 1 ? 20 : 12;
        if (mediaTime !== null) break;
        if (mt < 0) delayUs += (dur / timescale) * 1e6;
        else mediaTime = mt;
      }
    }
    const track: Mp4Track = { id, name, timescale: ts, sps, pps, delayUs, mediaTime };
    movie.tracks.push(track);
    const samples = sampleTables(buf, stbl);
    const d = trex.get(id) ?? { duration: 0, size: 0, flags: 0 };
    tables.set(id, { track, samples, defaultDuration: d.duration, defaultSize: d.size, defaultFlags: d.flags, nextDts: 0 });
  }
  return { movie, tables };
}

function sampleTables(buf: Buffer, stbl: Box): TrackTables['samples'] {
  const stsz = child(buf, stbl, 'stsz');
  if (!stsz) return [];
  const uniform = buf.readUInt32BE(body(stsz) + 4);
  const count = buf.readUInt32BE(body(stsz) + 8);
  if (count === 0) return [];
  const sizes = Array.from({ length: count }, (_, i) => (uniform || buf.readUInt32BE(body(stsz) + 12 + 4 * i)));
  const dts: number[] = [];
  const stts = child(buf, stbl, 'stts')!;
  let t = 0;
  for (let i = 0, n = buf.readUInt32BE(body(stts) + 4); i < n; i++) {
    const c = buf.readUInt32BE(body(stts) + 8 + 8 * i), d = buf.readUInt32BE(body(stts) + 12 + 8 * i);
    for (let k = 0; k < c; k++) { dts.push(t); t += d; }
  }
  const cto = new Array<number>(count).fill(0);
  const ctts = child(buf, stbl, 'ctts');
  if (ctts) {
    const cv = buf.readUInt8(body(ctts));
    let s = 0;
    for (let i = 0, n = buf.readUInt32BE(body(ctts) + 4); i < n; i++) {
      const c = buf.readUInt32BE(body(ctts) + 8 + 8 * i);
      const o = cv === 1 ? buf.readInt32BE(body(ctts) + 12 + 8 * i) : buf.readUInt32BE(body(ctts) + 12 + 8 * i);
      for (let k = 0; k < c && s < count; k++) cto[s++] = o;
    }
  }
  const stss = child(buf, stbl, 'stss');
  const sync = new Array<boolean>(count).fill(!stss);
  if (stss) for (let i = 0, n = buf.readUInt32BE(body(stss) + 4); i < n; i++) sync[buf.readUInt32BE(body(stss) + 8 + 4 * i) - 1] = true;
  const stco = child(buf, stbl, 'stco'), co64 = child(buf, stbl, 'co64');
  const chunkOffsets: number[] = [];
  if (stco) for (let i = 0, n = buf.readUInt32BE(body(stco) + 4); i < n; i++) chunkOffsets.push(buf.readUInt32BE(body(stco) + 8 + 4 * i));
  if (co64) for (let i = 0, n = buf.readUInt32BE(body(co64) + 4); i < n; i++) chunkOffsets.push(u64(buf, body(co64) + 8 + 8 * i));
  const stsc = child(buf, stbl, 'stsc')!;
  const runs: Array<{ first: number; per: number }> = [];
  for (let i = 0, n = buf.readUInt32BE(body(stsc) + 4); i < n; i++) runs.push({ first: buf.readUInt32BE(body(stsc) + 8 + 12 * i), per: buf.readUInt32BE(body(stsc) + 12 + 12 * i) });
  const out: TrackTables['samples'] = [];
  let s = 0;
  for (let c = 0; c < chunkOffsets.length && s < count; c++) {
    let per = 0;
    for (const r of runs) if (r.first <= c + 1) per = r.per;
    let off = chunkOffsets[c]!;
    for (let k = 0; k < per && s < count; k++, s++) {
      out.push({ dts: dts[s]!, cto: cto[s]!, size: sizes[s]!, offset: off, sync: sync[s]! });
      off += sizes[s]!;
    }
  }
  return out;
}

/** Converts track ticks to capture time (µs since the epoch) the way Mp4Source does. */
function timeOf(movie: Movie, track: Mp4Track, ticks: number, originOverride?: number): number {
  const origin = originOverride ?? movie.origin;
  const media = track.mediaTime ?? 0;
  return Math.round(origin + track.delayUs + ((ticks - media) / track.timescale) * 1e6);
}

/** Samples of one moof + the following mdat bytes (`buf` holds both, moof first). */
function fragmentSamples(buf: Buffer, moof: Box, movie: Movie, tables: Map<number, TrackTables>, origin?: number): Mp4Sample[] {
  const out: Mp4Sample[] = [];
  for (const traf of children(buf, moof, 'traf')) {
    const tfhd = child(buf, traf, 'tfhd')!;
    const flags = buf.readUInt32BE(body(tfhd)) & 0xffffff;
    const id = buf.readUInt32BE(body(tfhd) + 4);
    const tt = tables.get(id);
    let at = body(tfhd) + 8;
    let base = moof.start;
    if (flags & 1) { base = u64(buf, at); at += 8; }
    if (flags & 2) at += 4;
    let defDur = tt?.defaultDuration ?? 0, defSize = tt?.defaultSize ?? 0, defFlags = tt?.defaultFlags ?? 0;
    if (flags & 8) { defDur = buf.readUInt32BE(at); at += 4; }
    if (flags & 0x10) { defSize = buf.readUInt32BE(at); at += 4; }
    if (flags & 0x20) { defFlags = buf.readUInt32BE(at); at += 4; }
    if (!tt) continue;
    const tfdt = child(buf, traf, 'tfdt');
    let dts = tt.nextDts;
    if (tfdt) dts = buf.readUInt8(body(tfdt)) === 1 ? u64(buf, body(tfdt) + 4) : buf.readUInt32BE(body(tfdt) + 4);
    for (const trun of children(buf, traf, 'trun')) {
      const tv = buf.readUInt8(body(trun));
      const tf = buf.readUInt32BE(body(trun)) & 0xffffff;
      const n = buf.readUInt32BE(body(trun) + 4);
      let p = body(trun) + 8;
      let dataAt = base;
      if (tf & 1) { dataAt = base + buf.readInt32BE(p); p += 4; }
      let firstFlags: number | null = null;
      if (tf & 4) { firstFlags = buf.readUInt32BE(p); p += 4; }
      // A sample count the box cannot hold (per-sample fields) or the buffer cannot back
      // (data) is a broken stream: refuse it rather than loop over garbage.
      const perSample = [0x100, 0x200, 0x400, 0x800].filter((f) => tf & f).length * 4;
      const trunEnd = trun.start + trun.size;
      if (p + n * perSample > trunEnd || (perSample === 0 && n * Math.max(defSize, 1) > buf.length)) {
        throw new Error(`MP4 stream: a trun claims ${n} samples, more than its box or the fragment can hold`);
      }
      for (let i = 0; i < n; i++) {
        let dur = defDur, size = defSize, sflags = i === 0 && firstFlags !== null ? firstFlags : defFlags, cto = 0;
        if (tf & 0x100) { dur = buf.readUInt32BE(p); p += 4; }
        if (tf & 0x200) { size = buf.readUInt32BE(p); p += 4; }
        if (tf & 0x400) { sflags = buf.readUInt32BE(p); p += 4; }
        if (tf & 0x800) { cto = tv === 1 ? buf.readInt32BE(p) : buf.readUInt32BE(p); p += 4; }
        const sync = (sflags & 0x10000) === 0;
        if (dataAt + size > buf.length) throw new Error(`MP4 stream: sample ${i} of a fragment lies past its mdat`);
        out.push({
          track: tt.track, dts: timeOf(movie, tt.track, dts, origin), pts: timeOf(movie, tt.track, dts + cto, origin), sync,
          data: buf.subarray(dataAt, dataAt + size),
        });
        dataAt += size;
        dts += dur;
      }
    }
    tt.nextDts = dts;
  }
  return out;
}

/**
 * Incremental reader of a fragmented MP4 stream (the device's GET /live): push bytes as
 * they arrive; it returns the samples of every complete moof + mdat.
 */
export class FragmentedMp4Reader {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #movie: Movie | null = null;
  #tables = new Map<number, TrackTables>();
  #moof: Buffer | null = null;
  /** overrides the init segment's creation time (whole seconds only) as the time origin */
  origin: number | undefined;

  constructor(options: { origin?: number } = {}) { this.origin = options.origin; }

  get movie(): Movie | null { return this.#movie; }

  push(chunk: Buffer): Mp4Sample[] {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    const out: Mp4Sample[] = [];
    for (;;) {
      const box = this.#take();
      if (!box) return out;
      const type = box.toString('latin1', 4, 8);
      if (type === 'moov') {
        const parsed = parseMoov(box, { type, start: 0, header: 8, size: box.length });
        this.#movie = parsed.movie;
        this.#tables = parsed.tables;
      } else if (type === 'moof') {
        this.#moof = box;
      } else if (type === 'mdat' && this.#moof && this.#movie) {
        const both = Buffer.concat([this.#moof, box]);
        const moofBox: Box = { type: 'moof', start: 0, header: 8, size: this.#moof.length };
        out.push(...fragmentSamples(both, moofBox, this.#movie, this.#tables, this.origin));
        this.#moof = null;
      }
    }
  }

  /** The next complete top-level box, or null. */
  #take(): Buffer | null {
    if (this.#pendingBytes < 8) return null;
    if (this.#pending.length > 1) this.#pending = [Buffer.concat(this.#pending)];
    const buf = this.#pending[0]!;
    let size = buf.readUInt32BE(0);
    if (size === 1) {
      if (buf.length < 16) return null;
      size = Number(buf.readBigUInt64BE(8));
    }
    if (size < 8) throw new Error(`MP4 stream: bad box size ${size}`);
    if (buf.length < size) return null;
    const box = buf.subarray(0, size);
    const rest = buf.subarray(size);
    this.#pending = rest.length ? [rest] : [];
    this.#pendingBytes = rest.length;
    return box;
  }
}

/** Every sample of a whole MP4 file (progressive or fragmented), in file order per track. */
export function readMp4(buf: Buffer, options: { origin?: number } = {}): { movie: Movie; samples: Mp4Sample[] } {
  let parsed: ReturnType<typeof parseMoov> | null = null;
  const samples: Mp4Sample[] = [];
  for (const b of boxes(buf)) {
    if (b.type === 'moov') {
      parsed = parseMoov(buf, b);
      for (const t of parsed.tables.values()) {
        for (const s of t.samples) {
          samples.push({
            track: t.track, dts: timeOf(parsed.movie, t.track, s.dts, options.origin), pts: timeOf(parsed.movie, t.track, s.dts + s.cto, options.origin),
            sync: s.sync, data: buf.subarray(s.offset, s.offset + s.size),
          });
        }
      }
    } else if (b.type === 'moof' && parsed) {
      samples.push(...fragmentSamples(buf, b, parsed.movie, parsed.tables, options.origin));
    }
  }
  if (!parsed) throw new Error('MP4: no moov box');
  return { movie: parsed.movie, samples };
}

const START = Buffer.from([0, 0, 0, 1]);

/** Length-prefixed NAL units → Annex B; key frames get the track's SPS and PPS first. */
export function toAnnexB(sample: Mp4Sample): Buffer {
  const parts: Buffer[] = [];
  if (sample.sync) for (const ps of [...sample.track.sps, ...sample.track.pps]) parts.push(START, ps);
  const d = sample.data;
  let at = 0;
  while (at + 4 <= d.length) {
    const n = d.readUInt32BE(at);
    if (n === 0 || at + 4 + n > d.length) throw new Error(`MP4 sample: NAL length ${n} runs past the sample (${d.length} bytes)`);
    parts.push(START, d.subarray(at + 4, at + 4 + n));
    at += 4 + n;
  }
  return Buffer.concat(parts);
}
