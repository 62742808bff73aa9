#!/usr/bin/env node
// Reproduction (docs/RELIABILITY.md): one flipped bit in a record payload of a store that
// was closed cleanly. Format v2 open checks payload CRCs only where they may not be durable,
// so bit rot in durable data is for verify() to find: a default open followed by verify()
// must report it, and an open with { verify: 'full' } (the v1 behaviour) must skip the record
// and report it. Exits 1 if either does not hold.
// Run: node test/reliability/repro-durable-skip-crc.mjs   (needs dist/ and the addon)
import { readFileSync, writeFileSync } from 'node:fs';
import { rmSync } from 'node:fs';
const { SegmentStore } = await import(new URL('../../dist/index.js', import.meta.url).pathname);
const T0 = Date.parse('2026-01-01T00:00:00Z') * 1000;
const b = readFileSync(new URL('../fixtures/cabin_720p30_main_gop30.h264', import.meta.url).pathname);
const st = [];
for (let i = 0; i + 3 < b.length; i++)
  if (b[i] === 0 && b[i + 1] === 0 && b[i + 2] === 1) {
    st.push(b[i - 1] === 0 ? i - 1 : i);
    i += 2;
  }
const units = [];
let from = 0;
for (let k = 0; k < st.length; k++) {
  const s = st[k],
    t = b[s + (b[s + 2] === 1 ? 3 : 4)] & 0x1f;
  if (t === 1 || t === 5) {
    units.push(b.subarray(from, st[k + 1] ?? b.length));
    from = st[k + 1] ?? b.length;
  }
}
const path = '/dev/shm/flip.ring';
rmSync(path, { force: true });
const s = await SegmentStore.create(path, { capacity: 65536 + 3 * 1048576, segmentSize: '1MiB', streams: ['cabin'] });
for (let i = 0; i < 100; i++) s.write('cabin', units[i], { pts: T0 + i * 33333 });
const ref = [...s.frames({ stream: 'cabin' })].map((f) => Buffer.from(f.payload));
await s.close();
const img = readFileSync(path);
img[65536 + 64 + 2000] ^= 0x20;
writeFileSync(path, img); // a payload byte of an early record
const d = await SegmentStore.open(path, { readOnly: true });
const dv = d.verify();
console.log(`default open: verify().ok ${dv.ok}, badRecords ${dv.badRecords}`);
await d.close();
if (dv.ok) {
  rmSync(path, { force: true });
  console.log('BUG: verify() after a default open does not report the flipped payload');
  process.exit(1);
}
const n = await SegmentStore.open(path, { readOnly: true, verify: 'full' });
const got = [...n.frames({ stream: 'cabin' })];
const wrong = got.filter((f) => !ref.find((x) => x.equals(f.payload))).length;
console.log(
  `verify 'full': frames returned: ${got.length}, with other bytes: ${wrong}; recovery.damagedRecords: ${n.recovery.damagedRecords}; verify().ok: ${n.verify().ok}`,
);
const damaged = n.recovery.damagedRecords;
await n.close();
rmSync(path, { force: true });
if (wrong > 0) {
  console.log('BUG: a damaged record is returned with the wrong bytes');
  process.exit(1);
}
if (damaged < 1) {
  console.log('BUG: the damaged record is not reported');
  process.exit(1);
}
console.log('ok: the damaged record is not returned by a full open, and verify() reports it after a default open');
