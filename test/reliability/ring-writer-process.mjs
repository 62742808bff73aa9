// The recording process of the cross-process reader test: loops a small ring at full speed,
// writing fixture access units whose stored bytes follow from their pts (unit = pts index
// modulo the fixture's length). Says 'ready' once the ring has wrapped, and stops on 'stop'.
import { setTimeout as sleep, setImmediate as tick } from 'node:timers/promises';

let stopping = false;
process.on('message', async (m) => {
  if (m === 'stop') {
    stopping = true;
    return;
  }
  const { lib, path, units, t0, frameUs, segments, pauseMs = 0 } = m;
  const { SegmentStore } = await import(lib);
  const store = await SegmentStore.create(path, {
    capacity: 65536 + segments * 1048576,
    segmentSize: '1MiB',
    streams: ['road'],
  });
  let overwritten = 0,
    next = 0,
    ready = false;
  store.on('overwrite', (e) => {
    overwritten += e.frames;
  });
  while (!stopping) {
    for (let k = 0; k < 200; k++, next++) store.write('road', units[next % units.length], { pts: t0 + next * frameUs });
    if (!ready && overwritten > 0) {
      ready = true;
      process.send('ready');
    }
    // Lets 'stop' in; no pause otherwise, except under the sanitizers (see the test).
    await (pauseMs > 0 ? sleep(pauseMs) : tick());
  }
  const stats = { framesWritten: next, overwritten, verifyOk: store.verify().ok };
  await store.close();
  process.send(stats);
});
