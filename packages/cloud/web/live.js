// The emergency live player: each camera of the link is fetched from /l/TOKEN/stream as a
// fragmented MP4 and fed to Media Source Extensions. Every fragment is preceded by a prft box
// (the capture time of its first frame, to the µs), so the page knows how old the picture on
// screen is: latency = wall clock when the frame is shown − its capture time.
'use strict';

const token = location.pathname.split('/')[2];
const statusEl = document.getElementById('status');
// What tests (and curious people) read: the latest latency per camera and every sample.
// first: the capture time (ms) of the first picture each camera's stream started with.
const live = { ready: false, ended: null, latency: {}, samples: {}, first: {}, errors: [] };
window.ringclipLive = live;

function say(text) {
  statusEl.textContent = text;
}

const u32 = (b, i) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
const type = (b, i) => String.fromCharCode(b[i + 4], b[i + 5], b[i + 6], b[i + 7]);
const find = (b, name) => {
  for (let i = 0; i + 4 <= b.length; i++)
    if (b[i] === name.charCodeAt(0) && String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3]) === name) return i;
  return -1;
};
const hex = (n) => n.toString(16).padStart(2, '0');

/** prft: NTP 32.32 seconds since 1900 (era 1 below 2^31) and the media time it names. */
function readPrft(b) {
  const v = b[8];
  let secs = u32(b, 16);
  if (secs < 2 ** 31) secs += 2 ** 32;
  const captureMs = (secs - 2208988800) * 1000 + (u32(b, 20) / 2 ** 32) * 1000;
  const mediaTime = v === 1 ? u32(b, 24) * 2 ** 32 + u32(b, 28) : u32(b, 24);
  return { captureMs, mediaTime };
}

async function play(stream, box) {
  const video = document.createElement('video');
  video.muted = true;
  video.autoplay = true;
  video.playsInline = true;
  video.dataset.stream = stream;
  const label = document.createElement('p');
  label.className = 'latency';
  box.append(video, label);
  live.samples[stream] = [];
  const ms = new MediaSource();
  video.src = URL.createObjectURL(ms);
  await new Promise((r) => ms.addEventListener('sourceopen', r, { once: true }));
  const res = await fetch(`/l/${token}/stream?stream=${encodeURIComponent(stream)}`);
  if (!res.ok) throw new Error(`${stream}: HTTP ${res.status}`);
  const reader = res.body.getReader();
  let buf = new Uint8Array(0),
    sb = null,
    timescale = 90000;
  const anchors = [];
  const pending = [];
  const pump = () => {
    if (sb && !sb.updating && pending.length) sb.appendBuffer(pending.shift());
  };

  // The frame on screen: its capture time from the latest prft at or before it.
  const onFrame = (_now, meta) => {
    const mt = meta.mediaTime * timescale;
    let a = null;
    for (const x of anchors) if (x.mediaTime <= mt + 1) a = x;
    if (a) {
      const shownAt = performance.timeOrigin + meta.expectedDisplayTime;
      const latency = shownAt - (a.captureMs + ((mt - a.mediaTime) / timescale) * 1000);
      live.latency[stream] = latency;
      live.samples[stream].push(latency);
      if (live.samples[stream].length > 10000) live.samples[stream].shift();
      label.textContent = `${stream}: ${(latency / 1000).toFixed(1)} s behind real time`;
    }
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);

  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    const joined = new Uint8Array(buf.length + value.length);
    joined.set(buf);
    joined.set(value, buf.length);
    buf = joined;
    let media = [];
    while (buf.length >= 8) {
      const size = u32(buf, 0);
      if (size < 8) throw new Error(`${stream}: a box of ${size} bytes`);
      if (buf.length < size) break;
      const b = buf.subarray(0, size);
      const t = type(buf, 0);
      buf = buf.slice(size);
      if (t === 'prft') {
        anchors.push(readPrft(b));
        live.first[stream] ??= anchors[0].captureMs;
        if (anchors.length > 64) anchors.shift();
        continue;
      }
      if (t === 'moov' && !sb) {
        const a = find(b, 'avcC');
        const codec = `avc1.${hex(b[a + 5])}${hex(b[a + 6])}${hex(b[a + 7])}`;
        const m = find(b, 'mdhd');
        timescale = b[m + 4] === 1 ? u32(b, m + 24) : u32(b, m + 16);
        sb = ms.addSourceBuffer(`video/mp4; codecs="${codec}"`);
        sb.addEventListener('updateend', () => {
          const r = video.buffered;
          // Stay at the live edge: start at the first picture, jump over a gap (the relay
          // skipped ahead), and keep only the last 30 s in the buffer.
          if (r.length && (video.currentTime < r.start(r.length - 1) || r.end(r.length - 1) - video.currentTime > 4))
            video.currentTime = Math.max(r.start(r.length - 1), r.end(r.length - 1) - 1);
          if (r.length && video.currentTime - r.start(0) > 60 && !sb.updating) {
            sb.remove(r.start(0), video.currentTime - 30);
            return;
          }
          pump();
        });
        live.ready = true;
        say('live');
      }
      media.push(b.slice());
      if (t === 'mdat' || t === 'moov') {
        const all = new Uint8Array(media.reduce((n, x) => n + x.length, 0));
        let o = 0;
        for (const x of media) {
          all.set(x, o);
          o += x.length;
        }
        pending.push(all);
        media = [];
        pump();
      }
    }
    video.play().catch((e) => live.errors.push(String(e)));
  }
}

async function main() {
  const res = await fetch(`/l/${token}/info`);
  if (!res.ok) {
    live.ended = res.status;
    say(res.status === 410 ? 'This link no longer works.' : 'No such live link.');
    return;
  }
  const info = await res.json();
  if (info.event)
    document.getElementById('title').textContent =
      `Live view after a ${info.event.kind.replace(/[-_]/g, ' ')} at ${new Date(info.event.time).toLocaleTimeString()}`;
  say(`waiting for the camera… (link valid until ${new Date(info.expiresAt).toLocaleString()})`);
  const box = document.getElementById('videos');
  await Promise.all(
    info.streams.map((s) =>
      play(s, box).catch((e) => {
        live.errors.push(String(e));
      }),
    ),
  );
  // Every stream ended: the link was revoked or expired, or the relay stopped.
  const again = await fetch(`/l/${token}/info`);
  live.ended = again.status;
  say(again.ok ? 'the camera stopped sending' : 'This link no longer works.');
}

main().catch((e) => {
  live.errors.push(String(e));
  say(`error: ${e.message}`);
});
