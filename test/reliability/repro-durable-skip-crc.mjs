#!/usr/bin/env node
// Failing reproduction (docs/RELIABILITY.md): one flipped bit in a record payload of a store
// that was closed cleanly. Format v1 recovery checked every record's CRC at open, skipped the
// record and reported it; with the v2 `durable_segment_seq` shortcut (payload CRCs not checked
// for segments durable at the last flush) the record is returned with the wrong bytes and
// nothing is reported (only verify() sees it). Exits 1 while that is so.
// Run: node test/reliability/repro-durable-skip-crc.mjs   (needs dist/ and the addon)
import { readFileSync, writeFileSync } from 'node:fs';
import { rmSync } from 'node:fs';
const { SegmentStore } = await import(new URL('../../dist/index.js', import.meta.url).pathname);
const T0 = Date.parse('2026-01-01T00:00:00Z') * 1000;
const b = readFileSync(new URL('../fixtures/cabin_720p30_main_gop30.h264', import.meta.url).pathname);
const st = []; for (let i = 0; i + 3 < b.length; i++) if (b[i] === 0 && b[i+1] === 0 && b[i+2] === 1) { st.push(b[i-1] === 0 ? i-1 : i); i += 2; }
const units = []; let from = 0;
for (let k = 0; k < st.length; k++) { const s = st[k], t = b[s + (b[s+2] === 1 ? 3 : 4)] & 0x1f; if (t === 1 || t === 5) { units.push(b.subarray(from, st[k+1] ?? b.length)); from = st[k+1] ?? b.length; } }
const path = '/dev/shm/flip.ring';
rmSync(path, { force: true });
const s = await SegmentStore.create(path, { capacity: 65536 + 3 * 1048576, segmentSize: '1MiB', streams: ['cabin'] });
for (let i = 0; i < 100; i++) s.write('cabin', units[i], { pts: T0 + i * 33333 });
const ref = [...s.frames({ stream: 'cabin' })].map((f) => Buffer.from(f.payload));
await s.close();
const img = readFileSync(path); img[65536 + 64 + 2000] ^= 0x20; writeFileSync(path, img); // a payload byte of an early record
const n = await SegmentStore.open(path, { readOnly: true });
const got = [...n.frames({ stream: 'cabin' })];
const wrong = got.filter((f) => !ref.find((x) => x.equals(f.payload))).length;
console.log(`frames returned: ${got.length}, with other bytes: ${wrong}; recovery.damagedRecords: ${n.recovery.damagedRecords}; verify().ok: ${n.verify().ok}`);
await n.close();
rmSync(path, { force: true });
if (wrong > 0) { console.log('BUG: a damaged record is returned with the wrong bytes'); process.exit(1); }
console.log('ok: the damaged record is not returned');
