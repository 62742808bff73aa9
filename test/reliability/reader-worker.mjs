// A reader in another thread: opens the store read-only (a second writer is refused by
// flock), iterates frames and cuts clips while the main thread's writer wraps the ring.
// Reports what it saw: payloads that matched the written bytes, those that did not (there
// must be none: a read-only store checks each copy against the writer's loop recording), and
// the reads refused with OverrunError because the writer reclaimed their segment meanwhile.
import { parentPort, workerData } from 'node:worker_threads';
import { rmSync } from 'node:fs';

const { SegmentStore, OverrunError } = await import(workerData.lib);
const { path, refs, t0, frameUs, units, until, out } = workerData; // refs: payload per fixture unit
const stats = { opens: 0, frames: 0, matched: 0, torn: 0, overruns: 0, clips: 0, clipErrors: [], errors: [] };
const check = (f) => {
  stats.frames++;
  const unit = Math.round((f.pts - t0) / frameUs) % units;
  if (Buffer.compare(f.payload, refs[unit]) === 0) stats.matched++;
  else stats.torn++;
};
while (Date.now() < until) {
  let store;
  try {
    store = await SegmentStore.open(path, { readOnly: true });
    stats.opens++;
    for (const f of store.frames({ stream: 'road', skipOverwritten: true })) check(f);
    const road = [];
    try {
      for (const f of store.frames({ stream: 'road' })) {
        check(f);
        road.push(f);
      }
    } catch (e) {
      if (!(e instanceof OverrunError)) throw e;
      stats.overruns++;
    }
    if (road.length > 60) {
      const from = road[road.length - 60].pts;
      try {
        const clip = store.clip({ from, to: from + 1_000_000, streams: ['road'], allowPartial: true });
        await clip.writeMP4(out);
        clip.release();
        stats.clips++;
      } catch (e) {
        if (e instanceof OverrunError) stats.overruns++;
        else if (stats.clipErrors.length < 3) stats.clipErrors.push(`${e.name}: ${e.message}`);
      }
    }
  } catch (e) {
    if (stats.errors.length < 5) stats.errors.push(`${e.name}: ${e.message}`);
  } finally {
    await store?.close();
  }
}
rmSync(out, { force: true });
parentPort.postMessage(stats);
