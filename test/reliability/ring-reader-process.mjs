// A reader process of the cross-process reader test: opens the store read-only again and
// again while another process records into it, and checks every byte it is handed against
// what was written for that pts — frames() (with and without skipOverwritten), follow(),
// clips written with writeMP4() and clips read through a VirtualMP4. A refusal (OverrunError) is counted;
// a byte that differs is the failure the test exists to catch.
import { existsSync, readFileSync, rmSync } from 'node:fs';

const { lib, path, refs, t0, frameUs, until, out } = await new Promise((resolve) => process.once('message', resolve));
const { SegmentStore, OverrunError, ClipRangeError } = await import(lib);
const unitOf = (pts) => Math.round((pts - t0) / frameUs) % refs.length;
const stats = {
  opens: 0,
  framesVerified: 0,
  framesDiffering: 0,
  frameOverruns: 0,
  followFrames: 0,
  followOverruns: 0,
  clipsVerified: 0,
  clipsDiffering: 0,
  clipOverruns: 0,
  refusedExportsLeftAFile: 0,
  clipRangeErrors: 0,
  h264Builds: 0,
  h264Overruns: 0,
  virtualReadsVerified: 0,
  virtualReadsDiffering: 0,
  virtualOverruns: 0,
  otherErrors: [],
  firstDifferences: [],
};

function checkFrame(f) {
  if (Buffer.compare(f.payload, refs[unitOf(f.pts)]) === 0) stats.framesVerified++;
  else {
    stats.framesDiffering++;
    if (stats.firstDifferences.length < 5) stats.firstDifferences.push(describeDifference(f));
  }
}

/** What a differing frame holds instead: whose bytes (the unit sharing the longest prefix). */
function describeDifference(f) {
  const prefix = (r) => {
    let k = 0;
    while (k < Math.min(r.length, f.payload.length) && r[k] === f.payload[k]) k++;
    return k;
  };
  let likeUnit = -1,
    like = 0;
  refs.forEach((r, u) => {
    const k = prefix(r);
    if (k > like) {
      like = k;
      likeUnit = u;
    }
  });
  return (
    `pts ${f.pts} (unit ${unitOf(f.pts)}, ${f.payload.length} bytes): first ${prefix(refs[unitOf(f.pts)])} bytes as written, ` +
    `first ${like} bytes those of unit ${likeUnit}; open #${stats.opens}`
  );
}

/** The mdat payload of an MP4 file held in `bytes` (null when there is none). */
function mdat(bytes) {
  for (let at = 0; at + 8 <= bytes.length;) {
    let size = bytes.readUInt32BE(at);
    let header = 8;
    if (size === 1) {
      size = Number(bytes.readBigUInt64BE(at + 8));
      header = 16;
    }
    if (size < header) return null;
    if (bytes.toString('latin1', at + 4, at + 8) === 'mdat') return bytes.subarray(at + header, at + size);
    at += size;
  }
  return null;
}

/** The bytes a one-track clip's mdat must hold: each sample's payload as written, in order. */
function expectedSamples(clip) {
  const t = clip.tracks[0];
  const parts = [];
  for (let k = 0; k < t.samples; k++) parts.push(refs[unitOf(t.first + k * frameUs)]);
  return Buffer.concat(parts);
}

async function exportClip(store, from) {
  let clip;
  try {
    clip = store.clip({ from, to: from + 1_000_000, streams: ['road'], allowPartial: true });
  } catch (e) {
    // An open racing the writer can index a segment mid-reclaim: the snapshot then has a
    // gap, and a range across it has nothing decodable (a clear error, no bytes read).
    if (!(e instanceof ClipRangeError)) throw e;
    stats.clipRangeErrors++;
    return;
  }
  try {
    rmSync(out, { force: true });
    try {
      await clip.writeMP4(out);
      const data = mdat(readFileSync(out));
      if (data && data.equals(expectedSamples(clip))) stats.clipsVerified++;
      else stats.clipsDiffering++;
    } catch (e) {
      if (!(e instanceof OverrunError)) throw e;
      stats.clipOverruns++;
      if (existsSync(out)) stats.refusedExportsLeftAFile++;
    }
    // Raw H.264 is laid out from the stored NAL length prefixes: built from bytes the
    // writer may be replacing, it is an OverrunError too, never an InvalidDataError.
    try {
      clip.toVirtualMP4({ format: 'h264' }).release();
      stats.h264Builds++;
    } catch (e) {
      if (!(e instanceof OverrunError)) throw e;
      stats.h264Overruns++;
    }
    const file = clip.toVirtualMP4();
    try {
      const chunks = [];
      for (let at = 0; at < file.size; at += 65536) chunks.push(file.read(at, Math.min(file.size, at + 65536)));
      const data = mdat(Buffer.concat(chunks));
      if (data && data.equals(expectedSamples(clip))) stats.virtualReadsVerified++;
      else stats.virtualReadsDiffering++;
    } catch (e) {
      if (!(e instanceof OverrunError)) throw e;
      stats.virtualOverruns++;
    } finally {
      file.release();
    }
  } finally {
    clip.release();
  }
}

while (Date.now() < until) {
  let store;
  try {
    store = await SegmentStore.open(path, { readOnly: true });
    stats.opens++;
    // Everything, oldest first: the oldest segments are the next the writer reclaims.
    try {
      for (const f of store.frames({ stream: 'road' })) checkFrame(f);
    } catch (e) {
      if (!(e instanceof OverrunError)) throw e;
      stats.frameOverruns++;
    }
    for (const f of store.frames({ stream: 'road', skipOverwritten: true })) checkFrame(f);
    // A follower replaying the snapshot's last second: it would then wait for writes this
    // handle never makes, so it stops at the snapshot's last frame, or when aborted.
    const info = store.info().streams[0];
    if (info.last === null) continue; // an open racing the writer can index nothing at all
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 100);
    try {
      for await (const f of store.follow({ from: info.last - 1_000_000, signal: abort.signal })) {
        checkFrame(f);
        stats.followFrames++;
        if (f.pts >= info.last) break;
      }
    } catch (e) {
      if (!(e instanceof OverrunError)) throw e;
      stats.followOverruns++;
    } finally {
      clearTimeout(timer);
    }
    // A clip of the oldest footage (likely reclaimed while it is written) and of the newest.
    if (info.first !== null && info.last - info.first > 3_000_000) {
      await exportClip(store, info.first + 500_000);
      await exportClip(store, info.last - 1_500_000);
    }
  } catch (e) {
    if (stats.otherErrors.length < 5) stats.otherErrors.push(`${e.name}: ${e.message}`);
  } finally {
    await store?.close();
  }
}
rmSync(out, { force: true });
process.send(stats);
