/**
 * Fault injection and hostile environments (issue 4). Extends test/store-bad-input.test.ts
 * (which covers one bit flip, a torn header, all-zero and other-version headers, truncated
 * and extended files) with: seeded bit flips and zeroed pages anywhere in the file, checked
 * record by record against a map of the clean file; a disk without room for the
 * preallocation (a real 8 MiB tmpfs) and a clip export too big for its disk (3 MiB); a read-only directory as an unprivileged user; and
 * refused files left byte-identical.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { SegmentStore, StoreFormatError, StoreIoError, formatVersion } from '../../lib/index.js';
import { T0, recordInterleaved } from '../helpers/store.js';
import { FIXTURES } from '../helpers/tools.js';
import { randInt, rng, scratchDir } from './crash-model.js';

const dir = scratchDir('ringclip-faults-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DATA = 65536,
  SEG = 1 << 20,
  SEG_HEADER = 64;

/** The record header size of this format version, read off a clean file (56 in v1, 64 in v2):
 *  the one that makes the first record's span reach the second record. */
function recordHeaderSize(file: Buffer): number {
  const at = DATA + SEG_HEADER,
    payload = file.readUInt32LE(at + 40),
    seq = file.readBigUInt64LE(at + 8);
  for (const h of [56, 64, 72, 80]) {
    const next = at + ((h + payload + 7) & ~7);
    if (file.readUInt32LE(next) === 0x52524352 && file.readBigUInt64LE(next + 8) === seq + 1n) return h;
  }
  throw new Error('cannot find the record header size');
}

/** Where every record of a clean store file sits (the format of docs/FORMAT.md). */
interface RecordAt {
  segment: number;
  offset: number;
  span: number;
  stream: number;
  pts: number;
  type: number;
}
function mapRecords(file: Buffer): RecordAt[] {
  const REC_HEADER = recordHeaderSize(file);
  const out: RecordAt[] = [];
  for (let seg = 0; DATA + (seg + 1) * SEG <= file.length; seg++) {
    const base = DATA + seg * SEG;
    if (file.readUInt32LE(base) !== 0x47534352) continue;
    let expect = file.readBigUInt64LE(base + 16);
    for (let off = SEG_HEADER; off + REC_HEADER <= SEG;) {
      const at = base + off;
      if (file.readUInt32LE(at) !== 0x52524352 || file.readBigUInt64LE(at + 8) !== expect) break;
      const payload = file.readUInt32LE(at + 40);
      const span = (REC_HEADER + payload + 7) & ~7;
      out.push({
        segment: seg,
        offset: at,
        span,
        stream: file[at + 52]!,
        pts: Number(file.readBigInt64LE(at + 24)),
        type: file[at + 53]!,
      });
      off += span;
      expect++;
    }
  }
  return out;
}

async function cleanStore(name: string) {
  const path = `${dir}/${name}.ring`;
  const store = await SegmentStore.create(path, {
    capacity: DATA + 8 * SEG,
    segmentSize: '1MiB',
    streams: ['road', 'cabin'],
  });
  recordInterleaved(
    store,
    [
      { stream: 'road', file: FIXTURES.road, fps: 30 },
      { stream: 'cabin', file: FIXTURES.cabin, fps: 30 },
    ],
    9,
  );
  const payloads = new Map<string, Buffer>();
  for (const [s, stream] of store.streams.entries()) {
    for (const f of store.frames({ stream })) payloads.set(`${s}:${f.pts}`, Buffer.from(f.payload));
  }
  await store.close();
  return { path, bytes: readFileSync(path), payloads };
}

describe('bit flips and zeroed pages anywhere in the file', () => {
  it('recovery keeps every undamaged record, returns nothing wrong, and reports the damage', async () => {
    const clean = await cleanStore('flips');
    const records = mapRecords(clean.bytes);
    expect(records.filter((r) => r.type === 0).length).toBe(clean.payloads.size);
    const r = rng(4242);
    const failures: string[] = [];
    let trials = 0,
      damagedSeen = 0,
      keptUndamaged = 0;
    for (let trial = 0; trial < 120; trial++) {
      const img = Buffer.from(clean.bytes);
      const hits: Array<[number, number]> = []; // damaged byte ranges
      const n = randInt(r, 1, 4);
      for (let k = 0; k < n; k++) {
        // Data damage only here (header slots: below; segment headers: the known gap below).
        let at = randInt(r, DATA, img.length - 1);
        if ((at - DATA) % SEG < SEG_HEADER) at += SEG_HEADER;
        if (r() < 0.6) {
          img[at]! ^= 1 << randInt(r, 0, 7);
          hits.push([at, at + 1]);
        } else {
          const page = at & ~4095;
          const from = Math.max(page, DATA + Math.floor((page - DATA) / SEG) * SEG + SEG_HEADER);
          img.fill(0, from, page + 4096);
          hits.push([from, page + 4096]);
        }
      }
      const path = `${dir}/flipped.ring`;
      writeFileSync(path, img);
      trials++;
      // A default open CRC-checks payloads only where they may not be durable (this store
      // was closed cleanly: nowhere but the horizon); what it lets through, verify() finds.
      const lazy = await SegmentStore.open(path, { readOnly: true });
      let wrong = 0;
      for (const [s, stream] of lazy.streams.entries()) {
        for (const f of lazy.frames({ stream })) if (!clean.payloads.get(`${s}:${f.pts}`)?.equals(f.payload)) wrong++;
      }
      const lv = lazy.verify();
      if (lv.badRecords < wrong)
        failures.push(
          `trial ${trial}: default open returns ${wrong} records with other bytes, verify() finds ${lv.badRecords}`,
        );
      const lazyDamage = records.some((rec) => hits.some(([a, b]) => a < rec.offset + rec.span && b > rec.offset));
      if (lazyDamage && lazy.recovery.damagedRecords + lazy.recovery.tornTailRecords === 0 && lv.ok) {
        failures.push(`trial ${trial}: damage neither reported by a default open nor found by verify()`);
      }
      await lazy.close();
      // verify: 'full' is the v1 behaviour: every payload checked at open, damage skipped.
      const store = await SegmentStore.open(path, { readOnly: true, verify: 'full' });
      const got = new Set<string>();
      for (const [s, stream] of store.streams.entries()) {
        for (const f of store.frames({ stream })) {
          const k = `${s}:${f.pts}`;
          got.add(k);
          if (!clean.payloads.get(k)?.equals(f.payload))
            failures.push(`trial ${trial}: ${k} returned with other bytes`);
        }
      }
      const damaged = records.filter((rec) => hits.some(([a, b]) => a < rec.offset + rec.span && b > rec.offset));
      const undamagedFrames = records.filter((rec) => rec.type === 0 && !damaged.includes(rec));
      for (const rec of undamagedFrames) {
        // A record's parameter sets live in its segment's config record: undamaged frames are
        // kept even when that one is hit (they are then listed but not clippable).
        if (!got.has(`${rec.stream}:${rec.pts}`))
          failures.push(`trial ${trial}: undamaged record ${rec.stream}:${rec.pts} lost`);
        else keptUndamaged++;
      }
      const rep = store.recovery;
      const v = store.verify();
      if (v.badRecords !== 0)
        failures.push(`trial ${trial}: verify finds ${v.badRecords} bad records among those returned`);
      if (damaged.length > 0) {
        damagedSeen++;
        if (rep.damagedRecords + rep.tornTailRecords === 0)
          failures.push(`trial ${trial}: ${damaged.length} damaged records, none reported`);
        // verify() lists skipped damage (holes); damage in the last record of a segment is
        // reported by recovery as a torn tail instead.
        const onlyTails = rep.damagedRecords === 0;
        if (!onlyTails && v.ok) failures.push(`trial ${trial}: verify() is clean over a store with skipped damage`);
      }
      await store.close();
      rmSync(path);
    }
    console.log(`fault-injection: ${JSON.stringify({ trials, damagedSeen, keptUndamaged })}`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(damagedSeen).toBeGreaterThan(50);
  });

  it('a damaged header slot: the other is used; both damaged: a clear error, the file untouched', async () => {
    const clean = await cleanStore('slots');
    for (const slot of [0, 1]) {
      const img = Buffer.from(clean.bytes);
      img[slot * 4096 + 200]! ^= 0x10;
      writeFileSync(`${dir}/slot.ring`, img);
      const s = await SegmentStore.open(`${dir}/slot.ring`, { readOnly: true });
      expect(s.recovery.usedBackupHeader).toBe(true);
      expect(s.info().streams[0]!.frames).toBeGreaterThan(0);
      await s.close();
    }
    const img = Buffer.from(clean.bytes);
    img.fill(0xee, 3000, 4200); // both slots torn (CRCs cover the whole slot)
    writeFileSync(`${dir}/both.ring`, img);
    await expect(SegmentStore.open(`${dir}/both.ring`)).rejects.toThrow(/damaged header: both copies fail/);
    expect(readFileSync(`${dir}/both.ring`).equals(img)).toBe(true);
  });

  // A bit flip in a 64-byte segment header: the segment's records are salvaged from its first
  // record, and the damage is reported (recovery and verify()).
  it('a flipped bit in a segment header loses no undamaged record', async () => {
    const clean = await cleanStore('seghdr');
    const records = mapRecords(clean.bytes);
    const img = Buffer.from(clean.bytes);
    img[DATA + 2 * SEG + 20]! ^= 0x01; // segment 2's first_record_seq
    writeFileSync(`${dir}/seghdr.ring`, img);
    const s = await SegmentStore.open(`${dir}/seghdr.ring`, { readOnly: true });
    const frames = s.streams.reduce((n, stream) => n + [...s.frames({ stream })].length, 0);
    const reported = s.recovery.damagedRecords + s.recovery.tornTailRecords;
    const verifyOk = s.verify().ok;
    await s.close();
    const lost = records.filter((r) => r.type === 0).length - frames;
    expect({ lost, reportedOrVerified: reported > 0 || !verifyOk }).toEqual({ lost: 0, reportedOrVerified: true });
  });
});

describe('hostile environments: a clear error, no crash, nothing else touched', () => {
  it('a disk without room for the preallocation (an 8 MiB tmpfs): ENOSPC, no file left, neighbours untouched', async () => {
    const mnt = `${dir}/small-disk`;
    mkdirSync(mnt);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]).status === 0;
    try {
      if (mounted) {
        writeFileSync(`${mnt}/neighbour.bin`, Buffer.alloc(1 << 20, 7));
        await expect(
          SegmentStore.create(`${mnt}/big.ring`, { capacity: '16MiB', segmentSize: '1MiB', streams: ['road'] }),
        ).rejects.toThrow(/cannot preallocate store .*No space left on device.*no room for the preallocation/);
        await expect(
          SegmentStore.create(`${mnt}/big.ring`, { capacity: '16MiB', segmentSize: '1MiB', streams: ['road'] }),
        ).rejects.toBeInstanceOf(StoreIoError);
        expect(readdirSync(mnt)).toEqual(['neighbour.bin']);
        expect(readFileSync(`${mnt}/neighbour.bin`).equals(Buffer.alloc(1 << 20, 7))).toBe(true);
        // A store that fits is fine on the same disk.
        const ok = await SegmentStore.create(`${mnt}/fits.ring`, {
          capacity: '4MiB',
          segmentSize: '1MiB',
          streams: ['road'],
        });
        await ok.close();
      } else {
        // Not permitted to mount here: a child whose file size limit is 4 MiB (ulimit -f) gets EFBIG.
        const script = `import('${new URL('../../dist/index.js', import.meta.url).pathname}').then(async ({ SegmentStore }) => {
          try { await SegmentStore.create('${mnt}/big.ring', { capacity: '16MiB', segmentSize: '1MiB', streams: ['road'] }); console.log('created'); }
          catch (e) { console.log(e.name + ': ' + e.message); } })`;
        const r = spawnSync('bash', ['-c', `ulimit -f 4096; exec "${process.execPath}" -e "$0"`, script], {
          encoding: 'utf8',
        });
        expect(r.stdout).toMatch(/StoreIoError: cannot preallocate store .*File too large/);
        expect(existsSync(`${mnt}/big.ring`)).toBe(false);
      }
    } finally {
      if (mounted) spawnSync('umount', [mnt]);
    }
  });

  it('a clip export that does not fit the disk (a 3 MiB tmpfs): refused before a byte is written, the earlier clip intact', async () => {
    const store = await SegmentStore.create(`${dir}/export-src.ring`, {
      capacity: '16MiB',
      segmentSize: '1MiB',
      streams: ['road', 'cabin'],
    });
    recordInterleaved(
      store,
      [
        { stream: 'road', file: FIXTURES.road, fps: 30 },
        { stream: 'cabin', file: FIXTURES.cabin, fps: 30 },
      ],
      9,
    );
    const mnt = `${dir}/small-export-disk`;
    mkdirSync(mnt);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt]).status === 0;
    try {
      if (!mounted) {
        // Not permitted to mount here: a file size limit (ulimit -f) does not stop a
        // preallocation that keeps the size, so that path is the core test's
        // export_write_file_failure_leaves_only_new_bytes (a write stopped half way).
        console.log('export on a full disk: cannot mount a tmpfs here (not root); covered by the core test only');
        return;
      }
      const first = store.clip({ from: T0, to: T0 + 1e6, streams: ['cabin'] });
      await first.writeMP4(`${mnt}/event.mp4`);
      first.release();
      const earlier = readFileSync(`${mnt}/event.mp4`);
      const big = store.clip({ from: T0, to: T0 + 8e6 });
      try {
        const size = big.toVirtualMP4().size;
        expect(size).toBeGreaterThan(3 << 20);
        const refusal = new RegExp(
          `cannot write '.*': cannot reserve the ${size} bytes of the export: No space left on device`,
        );
        // Over the earlier clip: it stays byte for byte what it was.
        await expect(big.writeMP4(`${mnt}/event.mp4`)).rejects.toThrow(refusal);
        await expect(big.writeMP4(`${mnt}/event.mp4`)).rejects.toBeInstanceOf(StoreIoError);
        expect(readFileSync(`${mnt}/event.mp4`).equals(earlier)).toBe(true);
        // To a new name: no file is left behind, and the disk's space is all given back.
        await expect(big.writeMP4(`${mnt}/new.mp4`)).rejects.toThrow(refusal);
        expect(readdirSync(mnt)).toEqual(['event.mp4']);
        // To descriptors the caller opened (for fsync): refused the same way, nothing written,
        // whether at the position of a new file or appended to the earlier clip.
        const fresh = openSync(`${mnt}/by-fd.mp4`, 'w');
        const appended = openSync(`${mnt}/event.mp4`, 'a');
        try {
          await expect(big.writeMP4(fresh)).rejects.toThrow(
            new RegExp(`cannot write to descriptor ${fresh}: cannot reserve the ${size} bytes`),
          );
          await expect(big.writeMP4(appended)).rejects.toThrow(
            /cannot reserve the \d+ bytes of the export: No space left on device/,
          );
        } finally {
          closeSync(fresh);
          closeSync(appended);
        }
        expect(statSync(`${mnt}/by-fd.mp4`).size).toBe(0);
        expect(readFileSync(`${mnt}/event.mp4`).equals(earlier)).toBe(true);
        rmSync(`${mnt}/by-fd.mp4`);
        const second = store.clip({ from: T0 + 2e6, to: T0 + 3e6, streams: ['cabin'] });
        await second.writeMP4(`${mnt}/second.mp4`);
        second.release();
        expect(readdirSync(mnt).sort()).toEqual(['event.mp4', 'second.mp4']);
      } finally {
        big.release();
      }
    } finally {
      if (mounted) spawnSync('umount', [mnt]);
      await store.close();
    }
  });

  it('a read-only directory, as an unprivileged user: a clear error, nothing created', () => {
    const ro = `${dir}/ro`;
    mkdirSync(ro);
    chmodSync(dir, 0o755);
    chmodSync(ro, 0o555);
    const lib = new URL('../../dist/index.js', import.meta.url).pathname;
    const script = `import('${lib}').then(async ({ SegmentStore }) => {
      try { await SegmentStore.create('${ro}/x.ring', { capacity: '4MiB', segmentSize: '1MiB', streams: ['a'] }); console.log('created'); }
      catch (e) { console.log(e.name + ': ' + e.message); } })`;
    const asRoot = process.getuid?.() === 0;
    const r = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
    });
    if (r.stdout.includes('Cannot find module') || r.stderr.includes('EACCES')) {
      console.log(`read-only directory: could not run as uid 65534 here: ${r.stderr.slice(0, 200)}`);
      return; // dist/ not readable by nobody on this machine
    }
    expect(r.stdout).toMatch(/StoreIoError: cannot create store .*Permission denied \(check the permissions/);
    expect(readdirSync(ro)).toEqual([]);
  });

  it('refused files are left byte-identical (writable open attempts included)', async () => {
    const clean = await cleanStore('refused');
    const cases: Array<[string, (b: Buffer) => Buffer, RegExp]> = [
      [
        'other version',
        (b) => {
          b.writeUInt32LE(formatVersion + 1, 8);
          b.writeUInt32LE(formatVersion + 1, 4096 + 8);
          return b;
        },
        new RegExp(`format version ${formatVersion + 1}`),
      ],
      ['all-zero header', (b) => b.fill(0, 0, 8192), /header is all zeros/],
      ['truncated', (b) => b.subarray(0, b.length - 4096), /truncated or extended/],
      ['extended', (b) => Buffer.concat([b, Buffer.alloc(4096)]), /truncated or extended/],
      ['not a store', (b) => b.fill(0x41, 0, 8192), /not a ringclip store/],
    ];
    for (const [name, damage, message] of cases) {
      const bytes = damage(Buffer.from(clean.bytes));
      const path = `${dir}/refused-${name.replace(/ /g, '-')}.ring`;
      writeFileSync(path, bytes);
      await expect(SegmentStore.open(path), name).rejects.toThrow(message);
      await expect(SegmentStore.open(path, { readOnly: true }), name).rejects.toBeInstanceOf(StoreFormatError);
      expect(readFileSync(path).equals(bytes), name).toBe(true);
    }
  });
});
