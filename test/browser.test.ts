import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SegmentStore } from '../lib/index.js';
import { haveChromium, requireBrowser, resultOfPage, serve } from './helpers/browser.js';
import { T0, recordDualStore } from './helpers/store.js';
import { decodeErrors, tempDir } from './helpers/tools.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

// Appends a whole fragmented MP4 to a Media Source Extensions SourceBuffer and plays it.
const MSE_PAGE = `<!doctype html><video id="v" muted playsinline></video><script>
window.result = (async () => {
  const v = document.getElementById('v');
  const errors = [];
  v.addEventListener('error', () => errors.push('media error ' + (v.error && v.error.code)));
  const type = new URLSearchParams(location.search).get('type');
  if (!MediaSource.isTypeSupported(type)) return { supported: false, errors };
  const ms = new MediaSource();
  v.src = URL.createObjectURL(ms);
  await new Promise((r) => ms.addEventListener('sourceopen', r, { once: true }));
  const sb = ms.addSourceBuffer(type);
  sb.addEventListener('error', () => errors.push('sourcebuffer error'));
  const bytes = await (await fetch('/clip.mp4')).arrayBuffer();
  sb.appendBuffer(bytes);
  await new Promise((r) => sb.addEventListener('updateend', r, { once: true }));
  ms.endOfStream();
  await v.play();
  const start = performance.now();
  while (v.currentTime < 1.5 && performance.now() - start < 20000 && !v.error) await new Promise((r) => setTimeout(r, 100));
  return { supported: true, currentTime: v.currentTime, buffered: v.buffered.length ? v.buffered.end(0) : 0, errors, width: v.videoWidth };
})();
</script>`;

const PLAIN_PAGE = `<!doctype html><video id="v" muted playsinline src="/clip.mp4"></video><script>
window.result = (async () => {
  const v = document.getElementById('v');
  const errors = [];
  v.addEventListener('error', () => errors.push('media error ' + (v.error && v.error.code)));
  await v.play().catch((e) => errors.push(String(e)));
  const start = performance.now();
  while (v.currentTime < 1.5 && performance.now() - start < 20000 && !v.error) await new Promise((r) => setTimeout(r, 100));
  return { currentTime: v.currentTime, errors, width: v.videoWidth, duration: v.duration };
})();
</script>`;

describe.skipIf(!haveChromium && !requireBrowser)('a real browser plays ringclip output', () => {
  let store: SegmentStore;
  beforeAll(async () => {
    store = await recordDualStore(`${tmp.dir}/b.ring`, 10);
  });
  afterAll(() => store.close());

  async function play(page: string, mp4: Buffer, type: string) {
    const { url, server } = await serve({
      '/': { type: 'text/html', body: page },
      '/clip.mp4': { type: 'video/mp4', body: mp4 },
    });
    try {
      return await resultOfPage(`${url}/?type=${encodeURIComponent(type)}`);
    } finally {
      server.close();
    }
  }

  it.each([
    ['road', 'avc1.640028', 1920],
    ['cabin', 'avc1.4d401f', 1280],
  ])(
    'fragmented single-track %s clip through Media Source Extensions: time advances, no media error',
    async (stream, codec, width) => {
      const clip = store.clip({ from: T0 + 1e6, to: T0 + 6e6, streams: [stream] });
      const file = `${tmp.dir}/${stream}-frag.mp4`;
      await clip.writeMP4(file, { fragmented: true });
      expect(decodeErrors(file)).toBe('');
      const mp4 = clip.toVirtualMP4({ fragmented: true }).read(0);
      clip.release();
      const r = await play(MSE_PAGE, mp4, `video/mp4; codecs="${codec}"`);
      expect(r.supported).toBe(true);
      expect(r.errors).toEqual([]);
      expect(r.currentTime).toBeGreaterThan(1.5);
      expect(r.width).toBe(width);
    },
  );

  it('progressive dual clip in a <video> element: plays the first (road) track', async () => {
    const clip = store.clip({ from: T0 + 1e6, to: T0 + 6e6 });
    const mp4 = clip.toVirtualMP4().read(0);
    clip.release();
    const r = await play(PLAIN_PAGE, mp4, 'video/mp4');
    expect(r.errors).toEqual([]);
    expect(r.currentTime).toBeGreaterThan(1.5);
    expect(r.width).toBe(1920);
  });
});
