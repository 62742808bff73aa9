/**
 * A small independent MP4 parser for structural checks of what ringclip writes: top-level
 * box order, tkhd flags and matrix, stsd entries, and every video sample's bytes
 * (progressive: stsz/stsc/stco; fragmented: moof/traf/trun), so tests can check sync
 * samples against the NAL types and that samples are length-prefixed, not Annex B.
 */
import { readFileSync } from 'node:fs';

interface Box {
  type: string;
  start: number;
  payload: number;
  end: number;
}

function boxes(b: Buffer, from: number, to: number): Box[] {
  const out: Box[] = [];
  for (let at = from; at + 8 <= to;) {
    let size = b.readUInt32BE(at);
    const type = b.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      size = Number(b.readBigUInt64BE(at + 8));
      header = 16;
    }
    if (size === 0) size = to - at;
    if (size < header || at + size > to) throw new Error(`box ${type} at ${at} runs past its parent`);
    out.push({ type, start: at, payload: at + header, end: at + size });
    at += size;
  }
  return out;
}
const child = (b: Buffer, parent: Box, type: string, skip = 0) =>
  boxes(b, parent.payload + skip, parent.end).find((x) => x.type === type);
const children = (b: Buffer, parent: Box, type: string, skip = 0) =>
  boxes(b, parent.payload + skip, parent.end).filter((x) => x.type === type);

export interface Mp4Sample {
  offset: number;
  size: number;
  sync: boolean;
  description: number;
}
export interface Mp4TrackStructure {
  id: number;
  handler: string;
  enabled: boolean;
  matrix: number[];
  sampleEntries: string[]; // stsd entry types
  samples: Mp4Sample[]; // decode order
}
export interface Mp4Structure {
  top: string[];
  fragmented: boolean;
  tracks: Mp4TrackStructure[];
  bytes: Buffer;
}

export function readMp4Structure(path: string): Mp4Structure {
  const b = readFileSync(path);
  const top = boxes(b, 0, b.length);
  const moov = top.find((x) => x.type === 'moov');
  if (!moov) throw new Error('no moov');
  const tracks: Mp4TrackStructure[] = [];
  for (const trak of children(b, moov, 'trak')) {
    const tkhd = child(b, trak, 'tkhd')!;
    const version = b[tkhd.payload]!;
    const flags = b.readUIntBE(tkhd.payload + 1, 3);
    const id = b.readUInt32BE(tkhd.payload + (version === 1 ? 20 : 12));
    const matrixAt = tkhd.payload + (version === 1 ? 52 : 40);
    const matrix = Array.from({ length: 9 }, (_, k) => b.readInt32BE(matrixAt + 4 * k));
    const mdia = child(b, trak, 'mdia')!;
    const hdlr = child(b, mdia, 'hdlr')!;
    const handler = b.toString('latin1', hdlr.payload + 8, hdlr.payload + 12);
    const stbl = child(b, child(b, mdia, 'minf')!, 'stbl')!;
    const stsd = child(b, stbl, 'stsd')!;
    const sampleEntries = boxes(b, stsd.payload + 8, stsd.end).map((x) => x.type);
    const samples: Mp4Sample[] = [];
    const stsz = child(b, stbl, 'stsz')!;
    const uniform = b.readUInt32BE(stsz.payload + 4),
      count = b.readUInt32BE(stsz.payload + 8);
    if (count > 0) {
      const sizes = Array.from({ length: count }, (_, k) =>
        uniform ? uniform : b.readUInt32BE(stsz.payload + 12 + 4 * k),
      );
      const stss = child(b, stbl, 'stss');
      const sync = new Set<number>();
      if (stss)
        for (let k = 0, n = b.readUInt32BE(stss.payload + 4); k < n; k++)
          sync.add(b.readUInt32BE(stss.payload + 8 + 4 * k) - 1);
      const stsc = child(b, stbl, 'stsc')!;
      const runs = Array.from({ length: b.readUInt32BE(stsc.payload + 4) }, (_, k) => ({
        first: b.readUInt32BE(stsc.payload + 8 + 12 * k),
        perChunk: b.readUInt32BE(stsc.payload + 12 + 12 * k),
        description: b.readUInt32BE(stsc.payload + 16 + 12 * k),
      }));
      const co = child(b, stbl, 'stco') ?? child(b, stbl, 'co64')!;
      const wide = co.type === 'co64';
      const chunks = b.readUInt32BE(co.payload + 4);
      let sample = 0;
      for (let c = 1; c <= chunks; c++) {
        const run = [...runs].reverse().find((r) => r.first <= c)!;
        let at = wide
          ? Number(b.readBigUInt64BE(co.payload + 8 + 8 * (c - 1)))
          : b.readUInt32BE(co.payload + 8 + 4 * (c - 1));
        for (let k = 0; k < run.perChunk && sample < count; k++, sample++) {
          samples.push({
            offset: at,
            size: sizes[sample]!,
            sync: !stss || sync.has(sample),
            description: run.description,
          });
          at += sizes[sample]!;
        }
      }
    }
    tracks.push({ id, handler, enabled: (flags & 1) === 1, matrix, sampleEntries, samples });
  }
  // Fragments: tfhd default-base-is-moof (what ringclip writes), trun per sample fields.
  for (const moof of top.filter((x) => x.type === 'moof')) {
    for (const traf of children(b, moof, 'traf')) {
      const tfhd = child(b, traf, 'tfhd')!;
      const flags = b.readUIntBE(tfhd.payload + 1, 3);
      const track = tracks.find((t) => t.id === b.readUInt32BE(tfhd.payload + 4))!;
      if (flags & 0x1) throw new Error('base-data-offset is not expected');
      const description = flags & 0x2 ? b.readUInt32BE(tfhd.payload + 8) : 1;
      for (const trun of children(b, traf, 'trun')) {
        const tflags = b.readUIntBE(trun.payload + 1, 3);
        const n = b.readUInt32BE(trun.payload + 4);
        let at = trun.payload + 8;
        let data = moof.start;
        if (tflags & 0x1) {
          data += b.readInt32BE(at);
          at += 4;
        }
        if (tflags & 0x4) at += 4;
        for (let k = 0; k < n; k++) {
          if (!(tflags & 0x200) || !(tflags & 0x400))
            throw new Error('trun without sample sizes and flags is not expected');
          if (tflags & 0x100) at += 4;
          const size = b.readUInt32BE(at);
          at += 4;
          const sampleFlags = b.readUInt32BE(at);
          at += 4;
          if (tflags & 0x800) at += 4;
          track.samples.push({ offset: data, size, sync: (sampleFlags & 0x10000) === 0, description });
          data += size;
        }
      }
    }
  }
  return { top: top.map((x) => x.type), fragmented: top.some((x) => x.type === 'moof'), tracks, bytes: b };
}

/** NAL unit types of a sample, read through its 4-byte length prefixes; throws when they do not tile it. */
export function sampleNalTypes(s: Mp4Structure, sample: Mp4Sample): number[] {
  const types: number[] = [];
  const end = sample.offset + sample.size;
  for (let at = sample.offset; at < end;) {
    if (end - at < 5) throw new Error(`a sample at ${sample.offset} ends inside a NAL length`);
    const n = s.bytes.readUInt32BE(at);
    if (n === 0 || at + 4 + n > end)
      throw new Error(`a NAL length ${n} at ${at} does not tile its sample (Annex B start code?)`);
    types.push(s.bytes[at + 4]! & 0x1f);
    at += 4 + n;
  }
  return types;
}
