// ringclip viewer: plain JS, no build step. Two modes:
//  - owner (/): signs in with an API token kept in localStorage; lists clips; share, delete.
//  - shared (/s/TOKEN): read-only, that one clip only.
// The token never goes into a URL the page builds: API calls send it as a Bearer header;
// <video> elements get short-lived signed URLs the API hands out with each clip.
'use strict';

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = 'ringclip.token';
const shareMatch = /^\/s\/([A-Za-z0-9_-]{43})\/?$/.exec(location.pathname);
const shared = shareMatch ? shareMatch[1] : null;

// ?token=… once: stored, then removed from the address bar and history.
const params = new URLSearchParams(location.search);
if (!shared && params.has('token')) {
  localStorage.setItem(TOKEN_KEY, params.get('token'));
  params.delete('token');
  history.replaceState(null, '', location.pathname + (params.toString() ? `?${params}` : ''));
}

const state = {
  clip: null,
  cursor: null,
  kind: '',
  items: [],
  offsets: { road: 0, cabin: 0, audio: 0 },
  duration: 0,
  dragging: false,
  tel: null,
  streaming: false, // cameras played as HLS (the Stream button)
};

async function api(path, init = {}) {
  const headers = { ...(init.headers || {}) };
  const token = localStorage.getItem(TOKEN_KEY);
  if (!shared && token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401 && !shared) {
    signOut('Your token was not accepted.');
    throw new Error('unauthorized');
  }
  if (!res.ok && res.status !== 204) {
    let msg = `${res.status}`;
    try {
      msg = (await res.json()).error.message;
    } catch {
      /* not JSON */
    }
    throw new Error(msg);
  }
  return res.status === 204 ? null : res.json();
}

function signOut(message) {
  localStorage.removeItem(TOKEN_KEY);
  $('app').hidden = true;
  $('logout').hidden = true;
  $('user').textContent = '';
  $('login').hidden = false;
  $('login-error').textContent = message || '';
}

// ---- formatting --------------------------------------------------------------------------
const pad = (n) => String(n).padStart(2, '0');
function clock(s) {
  if (!Number.isFinite(s)) s = 0;
  return `${Math.floor(s / 60)}:${pad(Math.floor(s % 60))}.${Math.floor((s * 10) % 10)}`;
}
function duration(s) {
  return s == null ? '–' : s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}
function when(iso) {
  return new Date(iso).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}
const kindLabel = (k) => k.replace(/_/g, ' ');

// ---- list ------------------------------------------------------------------------------
async function loadList(reset) {
  if (reset) {
    state.cursor = null;
    state.items = [];
    $('clips').replaceChildren();
  }
  const q = new URLSearchParams({ limit: '50' });
  if (state.cursor) q.set('cursor', state.cursor);
  if (state.kind) q.set('kind', state.kind);
  const page = await api(`/v1/clips?${q}`);
  for (const c of page.clips) {
    state.items.push(c);
    $('clips').append(listItem(c));
  }
  state.cursor = page.nextCursor;
  $('more').hidden = !page.nextCursor;
  $('empty').hidden = state.items.length > 0;
}

function listItem(c) {
  const li = document.createElement('li');
  li.dataset.id = c.id;
  const top = document.createElement('div');
  const k = document.createElement('span');
  k.className = `kind ${c.kind}`;
  k.textContent = kindLabel(c.kind);
  const t = document.createElement('span');
  t.className = 't';
  t.textContent = ` ${c.title || when(c.time)}`;
  top.append(k, t);
  const d = document.createElement('div');
  d.className = 'd';
  d.textContent = `${c.title ? when(c.time) + ' · ' : ''}${duration(c.duration)}${c.state !== 'ready' ? ' · ' + c.state : ''}`;
  li.append(top, d);
  li.addEventListener('click', () => openClip(c.id));
  if (state.clip && state.clip.id === c.id) li.classList.add('active');
  return li;
}

// ---- player ----------------------------------------------------------------------------
const road = () => $('road');
const cabin = () => $('cabin');
function players() {
  return [road(), cabin()].filter((v) => !v.closest('figure').hidden);
}
/** The cabin microphone: its own <audio> element, following the videos like the cabin video does. */
const sound = () => $('sound-track');
/** Everything that plays: the videos (the first is the clock) and the audio when the clip has it. */
function media() {
  return sound().getAttribute('src') ? [...players(), sound()] : players();
}
function master() {
  return players()[0];
}
function roleOf(v) {
  return v.id === 'sound-track' ? 'audio' : v.id;
}
/** clip time (s from the clip start) of a video element */
const clipTime = (v) => v.currentTime + state.offsets[roleOf(v)];

async function openClip(id) {
  const c = shared ? await api(`/s/${shared}/clip`) : await api(`/v1/clips/${id}`);
  showClip(c);
}

function showClip(c) {
  state.clip = c;
  for (const li of $('clips').children) li.classList.toggle('active', li.dataset.id === c.id);
  $('placeholder').hidden = true;
  $('clip').hidden = false;
  $('share-box').hidden = true;
  $('clip-title').textContent = c.title || `${kindLabel(c.kind)[0].toUpperCase()}${kindLabel(c.kind).slice(1)}`;
  $('clip-kind').textContent = kindLabel(c.kind);
  $('clip-kind').className = `kind ${c.kind}`;
  $('clip-time').textContent = when(c.time);
  $('clip-duration').textContent = duration(c.duration);
  $('clip-location').textContent = c.location ? ` · ${c.location.lat.toFixed(5)}, ${c.location.lon.toFixed(5)}` : '';
  state.duration = c.duration || 0;
  const roles = new Set(c.tracks.map((t) => t.role));
  for (const t of c.tracks) state.offsets[t.role] = t.offset || 0;
  if (!canStream(c)) state.streaming = false;
  $('streaming').hidden = !canStream(c);
  $('streaming').setAttribute('aria-pressed', String(state.streaming));
  for (const v of [road(), cabin()]) {
    v.pause();
    const has = roles.has(v.id) && c.video;
    v.closest('figure').hidden = !has;
    if (has) void showCamera(v, c);
    else {
      detachStream(v);
      v.removeAttribute('src');
      v.load();
    }
  }
  document.querySelector('.videos').classList.toggle('single', players().length < 2);
  $('play').textContent = '▶';
  // Sound: the cabin microphone's track, muted until the user asks (browsers allow sound only
  // after a user action).
  sound().pause();
  if (c.video && c.video.audio) {
    sound().src = c.video.audio;
    sound().load();
  } else {
    sound().removeAttribute('src');
    sound().load();
  }
  $('sound').hidden = !(c.video && c.video.audio);
  setSound(false);
  state.tel = null;
  updateClock();
  drawAll();
  void loadTelemetry(c);
}

// ---- streaming (HLS) --------------------------------------------------------------------
// Each camera also plays as HLS (the clip's `hls` links): segment by segment through hls.js
// wherever Media Source Extensions exist (ManagedMediaSource on iPhones since iOS 17.1),
// else natively (older iPhones play HLS only). hls.js is fetched the first time streaming
// is chosen.
const streams = new Map(); // video element -> its hls.js player
let hlsJs = null;
function loadHlsJs() {
  hlsJs ??= new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = '/web/hls.js';
    s.onload = () => (window.Hls ? resolve(window.Hls) : reject(new Error('hls.js did not define Hls')));
    s.onerror = () => reject(new Error('/web/hls.js could not be loaded'));
    document.head.append(s);
  });
  return hlsJs;
}
const haveMse = () => 'MediaSource' in window || 'ManagedMediaSource' in window;
const nativeHls = () => road().canPlayType('application/vnd.apple.mpegurl') !== '';
function canStream(c) {
  return !!(c && c.hls) && (haveMse() || nativeHls());
}
function detachStream(v) {
  const player = streams.get(v);
  if (!player) return;
  player.destroy();
  streams.delete(v);
}
/** Points a camera's video at its file, or at its HLS playlist while streaming is on. */
async function setCameraSource(v, c) {
  detachStream(v);
  const url = state.streaming && c.hls && c.hls[v.id];
  if (!url || !haveMse()) {
    v.src = url || c.video[v.id];
    v.load();
    return;
  }
  const Hls = await loadHlsJs();
  if (!Hls.isSupported()) throw new Error('this browser has neither HLS nor Media Source Extensions');
  const player = new Hls({ enableWorker: false });
  player.on(Hls.Events.ERROR, (_event, data) => {
    if (data.fatal) console.warn(`the ${v.id} stream failed: ${data.type} ${data.details}`);
  });
  streams.set(v, player);
  player.loadSource(url);
  player.attachMedia(v);
}
/** A camera's source; when its stream cannot start, the camera plays its file instead, and says why. */
async function showCamera(v, c) {
  try {
    await setCameraSource(v, c);
  } catch (e) {
    console.warn(`the ${v.id} camera cannot stream (${e.message}): playing its file`);
    state.streaming = false;
    $('streaming').setAttribute('aria-pressed', 'false');
    await setCameraSource(v, c);
  }
}
/** Streaming on or off, at the same moment of the clip, still playing if it was. */
async function setStreaming(on) {
  const c = state.clip;
  if (!c || on === state.streaming) return;
  const m = master();
  const t = m ? clipTime(m) : 0;
  const playing = m && !m.paused;
  pauseAll();
  state.streaming = on;
  const button = $('streaming');
  button.setAttribute('aria-pressed', String(on));
  // Busy until both cameras are loaded again and back at the moment they were at: until
  // then their time is the new source's 0 (a test, like a screen reader, waits for this).
  button.setAttribute('aria-busy', 'true');
  try {
    await switchSources(c, t, playing);
  } finally {
    button.setAttribute('aria-busy', 'false');
  }
}
async function switchSources(c, t, playing) {
  await Promise.all(
    players().map(async (v) => {
      const ready = new Promise((resolve) => v.addEventListener('loadedmetadata', resolve, { once: true }));
      await showCamera(v, c);
      await ready;
    }),
  );
  await seekAll(t);
  if (playing) await playAll();
  else {
    updateClock();
    drawCursor();
  }
}

/** The clip's telemetry (GPS, accelerometer) from the API: read from the clip file's camm track. */
async function loadTelemetry(c) {
  let tel = null;
  try {
    tel = await api(shared ? `/s/${shared}/telemetry?maxPoints=4000` : `/v1/clips/${c.id}/telemetry?maxPoints=4000`);
  } catch (e) {
    console.warn(`telemetry: ${e.message}`);
  }
  if (state.clip !== c) return; // another clip was opened meanwhile
  state.tel = tel;
  drawAll();
  $('telemetry').dataset.loaded = tel ? tel.source : 'error';
}

function setSound(on) {
  sound().muted = !on;
  $('sound').setAttribute('aria-pressed', String(on));
  $('sound').textContent = on ? 'Sound on' : 'Sound off';
}

function drawAll() {
  drawPlot();
  drawSpeed();
  drawRoute();
}

async function playAll() {
  const vs = media();
  if (!vs.length) return;
  const m = master();
  if (clipTime(m) >= state.duration - 0.05) await seekAll(0);
  else await seekAll(clipTime(m));
  // A refused play() (autoplay policy, a source that failed) leaves that element paused; the
  // others play, and the console says why.
  await Promise.all(vs.map((v) => v.play().catch((e) => console.warn(`${v.id} did not start: ${e.message}`))));
  $('play').textContent = '❚❚';
  $('play').setAttribute('aria-label', 'Pause');
  tick();
}
function pauseAll() {
  for (const v of media()) v.pause();
  $('play').textContent = '▶';
  $('play').setAttribute('aria-label', 'Play');
  const m = master();
  if (m) seekAll(clipTime(m));
}
/** Seeks every video to one clip time and waits until they all have it. */
function seekAll(t) {
  return Promise.all(
    media().map(
      (v) =>
        new Promise((resolve) => {
          const target = Math.max(0, t - state.offsets[roleOf(v)]);
          if (Math.abs(v.currentTime - target) < 0.001 && v.readyState >= 2) return resolve();
          const done = () => {
            v.removeEventListener('seeked', done);
            resolve();
          };
          v.addEventListener('seeked', done);
          v.currentTime = target;
          setTimeout(done, 3000);
        }),
    ),
  );
}

// Keeps the followers within a frame of the master: small drift is trimmed by a slight
// change of playback rate, large drift (stall, seek) by a seek.
function sync() {
  const vs = media();
  const m = vs[0];
  if (!m) return;
  const t = clipTime(m);
  for (const v of vs.slice(1)) {
    if (m.paused || v.seeking) continue;
    const diff = t - clipTime(v);
    if (Math.abs(diff) > 0.3) v.currentTime = t - state.offsets[roleOf(v)];
    else if (Math.abs(diff) > 0.008) v.playbackRate = Math.min(1.15, Math.max(0.85, 1 + diff * 5));
    else if (v.playbackRate !== 1) v.playbackRate = 1;
  }
}
function tick() {
  sync();
  updateClock();
  drawCursor();
  const m = master();
  if (m && !m.paused && !m.ended) requestAnimationFrame(tick);
  else if (m && m.ended) {
    pauseAll();
  }
}
function updateClock() {
  const m = master();
  const t = m ? Math.min(clipTime(m), state.duration) : 0;
  $('clock').textContent = `${clock(t)} / ${clock(state.duration)}`;
  if (!state.dragging) $('seek').value = state.duration ? String(Math.round((t / state.duration) * 1000)) : '0';
}

// ---- plots (G-sensor, speed) -------------------------------------------------------------
const COLORS = { x: '#ff7a59', y: '#4cd37f', z: '#7aa7ff', speed: '#ffd45c' };
const G = 9.80665;
/** per canvas id: its drawn image, time → x, and the time span */
const charts = {};
/** [t, x, y, z] in g, from the telemetry's accelerometer series (m/s²) */
function gTrace() {
  const a = state.tel && state.tel.accel.points;
  return a && a.length ? a.map((p) => [p[0], p[1] / G, p[2] / G, p[3] / G]) : null;
}
function plotGeometry(id = 'plot') {
  const canvas = $(id);
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  return { canvas, dpr, w, h, left: 38, right: 8, top: 8, bottom: 20 };
}
function drawPlot() {
  drawChart('plot', 'no-trace', gTrace(), ['x', 'y', 'z'], 'g');
}
function drawSpeed() {
  const gps = state.tel && state.tel.gps.points.filter((p) => p[4] !== null);
  drawChart('speed', 'no-speed', gps && gps.length ? gps.map((p) => [p[0], p[4] * 3.6]) : null, ['speed'], '');
}
/** A time plot of `g` ([t, v1, v2, ...] rows) on canvas `id`, one line per key of `axes`. */
function drawChart(id, emptyId, g, axes, unit) {
  const c = state.clip;
  $(emptyId).hidden = !!(g && g.length) || !state.tel;
  $(id).hidden = !(g && g.length);
  delete charts[id];
  if (!g || !g.length) return;
  const { canvas, dpr, w, h, left, right, top, bottom } = plotGeometry(id);
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const t1 = Math.max(state.duration, g[g.length - 1][0]);
  let lo = Infinity,
    hi = -Infinity;
  for (const s of g)
    for (let i = 1; i <= axes.length; i++) {
      lo = Math.min(lo, s[i]);
      hi = Math.max(hi, s[i]);
    }
  const padY = Math.max(0.1, (hi - lo) * 0.08);
  lo -= padY;
  hi += padY;
  const X = (t) => left + (t / t1) * (w - left - right);
  const Y = (v) => top + (1 - (v - lo) / (hi - lo)) * (h - top - bottom);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#8a94a3';
  ctx.strokeStyle = '#262c35';
  ctx.lineWidth = 1;
  const stepY = niceStep((hi - lo) / 4);
  for (let v = Math.ceil(lo / stepY) * stepY; v <= hi; v += stepY) {
    ctx.beginPath();
    ctx.moveTo(left, Y(v));
    ctx.lineTo(w - right, Y(v));
    ctx.stroke();
    ctx.fillText(`${+v.toFixed(2)}${unit}`, 2, Y(v) + 4);
  }
  const stepT = niceStep(t1 / 8);
  for (let t = 0; t <= t1 + 1e-9; t += stepT) {
    ctx.beginPath();
    ctx.moveTo(X(t), top);
    ctx.lineTo(X(t), h - bottom);
    ctx.stroke();
    ctx.fillText(`${+t.toFixed(1)}s`, X(t) - 8, h - 5);
  }
  if (c.eventOffset != null) {
    ctx.strokeStyle = '#ff5d5d';
    ctx.setLineDash([4, 4]);
    ctx.beginPath();
    ctx.moveTo(X(c.eventOffset), top);
    ctx.lineTo(X(c.eventOffset), h - bottom);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  axes.forEach((axis, i) => {
    ctx.strokeStyle = COLORS[axis];
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    g.forEach((s, j) => (j ? ctx.lineTo(X(s[0]), Y(s[i + 1])) : ctx.moveTo(X(s[0]), Y(s[i + 1]))));
    ctx.stroke();
  });
  charts[id] = { data: ctx.getImageData(0, 0, canvas.width, canvas.height), X, t1 };
  drawCursor();
}
function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  const n = raw / p;
  return (n < 1.5 ? 1 : n < 3.5 ? 2 : n < 7.5 ? 5 : 10) * p;
}
function drawCursor() {
  const m = master();
  const t = m ? clipTime(m) : 0;
  for (const [id, chart] of Object.entries(charts)) {
    const { canvas, dpr, h, top, bottom } = plotGeometry(id);
    const ctx = canvas.getContext('2d');
    ctx.putImageData(chart.data, 0, 0);
    const x = chart.X(Math.min(t, chart.t1));
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, h - bottom);
    ctx.stroke();
    canvas.dataset.cursor = t.toFixed(3);
  }
  moveRouteMarker(t);
}

// ---- route (drawn here from the GPS fixes: no map tiles, nothing from the internet) -------
const SVG = 'http://www.w3.org/2000/svg';
let route = null;
function drawRoute() {
  const svg = $('route');
  svg.replaceChildren();
  route = null;
  const pts = state.tel ? state.tel.gps.points : [];
  $('no-route').hidden = pts.length > 0 || !state.tel;
  svg.style.display = pts.length ? '' : 'none';
  $('route-info').textContent = '';
  if (!pts.length) return;
  // Equirectangular around the route's middle latitude: true to shape at a clip's scale.
  const lat0 = pts.reduce((s, p) => s + p[1], 0) / pts.length;
  const k = Math.cos((lat0 * Math.PI) / 180);
  const xs = pts.map((p) => p[2] * k);
  const ys = pts.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const W = 320,
    H = 200,
    pad = 14;
  const scale = Math.min((W - 2 * pad) / Math.max(x1 - x0, 1e-9), (H - 2 * pad) / Math.max(y1 - y0, 1e-9));
  const ox = (W - (x1 - x0) * scale) / 2,
    oy = (H - (y1 - y0) * scale) / 2;
  const screen = pts.map((p, i) => [ox + (xs[i] - x0) * scale, H - (oy + (ys[i] - y0) * scale), p[0]]);
  const line = document.createElementNS(SVG, 'polyline');
  line.setAttribute('class', 'line');
  line.setAttribute('points', screen.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' '));
  const start = document.createElementNS(SVG, 'circle');
  start.setAttribute('class', 'start');
  start.setAttribute('r', '4');
  start.setAttribute('cx', screen[0][0].toFixed(1));
  start.setAttribute('cy', screen[0][1].toFixed(1));
  const pos = document.createElementNS(SVG, 'circle');
  pos.setAttribute('class', 'pos');
  pos.setAttribute('r', '5');
  svg.append(line, start, pos);
  route = { screen, pos };
  const km = pts.slice(1).reduce((s, p, i) => s + haversine(pts[i], p), 0) / 1000;
  $('route-info').textContent = `${km.toFixed(2)} km`;
  const m = master();
  moveRouteMarker(m ? clipTime(m) : 0);
}
function haversine(a, b) {
  const r = Math.PI / 180,
    R = 6371e3;
  const dlat = (b[1] - a[1]) * r,
    dlon = (b[2] - a[2]) * r;
  const h = Math.sin(dlat / 2) ** 2 + Math.cos(a[1] * r) * Math.cos(b[1] * r) * Math.sin(dlon / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}
/** The route marker at clip time t (interpolated between fixes). */
function moveRouteMarker(t) {
  if (!route) return;
  const s = route.screen;
  let i = 0;
  while (i < s.length - 1 && s[i + 1][2] <= t) i++;
  const a = s[i],
    b = s[Math.min(i + 1, s.length - 1)];
  const f = b[2] > a[2] ? Math.max(0, Math.min(1, (t - a[2]) / (b[2] - a[2]))) : 0;
  route.pos.setAttribute('cx', (a[0] + (b[0] - a[0]) * f).toFixed(1));
  route.pos.setAttribute('cy', (a[1] + (b[1] - a[1]) * f).toFixed(1));
  $('route').dataset.cursor = t.toFixed(3);
}
/** The clip time of the fix nearest to a click on the route. */
function routeTimeAt(e) {
  const svg = $('route');
  const p = new DOMPoint(e.clientX, e.clientY).matrixTransform(svg.getScreenCTM().inverse());
  let best = null,
    bestD = Infinity;
  for (const [x, y, t] of route.screen) {
    const d = (x - p.x) ** 2 + (y - p.y) ** 2;
    if (d < bestD) {
      bestD = d;
      best = t;
    }
  }
  return best;
}

// ---- actions -----------------------------------------------------------------------------
async function share() {
  const c = state.clip;
  $('share').disabled = true;
  try {
    const s = await api(`/v1/clips/${c.id}/share`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ expiresIn: 7 * 86400 }),
    });
    $('share-url').value = s.url;
    $('share-open').href = s.url;
    $('share-expires').textContent = when(s.expiresAt);
    $('share-box').hidden = false;
    $('share-url').select();
    navigator.clipboard
      ?.writeText(s.url)
      .catch((e) => console.warn(`the link was not copied (${e.message}): select it`));
  } catch (e) {
    alert(`Could not share: ${e.message}`);
  } finally {
    $('share').disabled = false;
  }
}
async function remove() {
  const c = state.clip;
  if (!confirm(`Delete this clip permanently? This removes the video, its data and every share link.`)) return;
  await api(`/v1/clips/${c.id}`, { method: 'DELETE' });
  for (const v of [road(), cabin()]) {
    v.pause();
    v.removeAttribute('src');
    v.load();
  }
  state.clip = null;
  $('clip').hidden = true;
  $('placeholder').hidden = false;
  $('clips').querySelector(`li[data-id="${c.id}"]`)?.remove();
  state.items = state.items.filter((x) => x.id !== c.id);
  $('empty').hidden = state.items.length > 0;
}

// ---- scrub preview -----------------------------------------------------------------------
// The road camera at the time under the pointer (or the dragged thumb), decoded in the browser
// by a hidden video element from the clip's stored file: it fetches the GOP around that time
// by byte range and decodes from its key frame. No preview picture is made or stored anywhere.
const scrub = { want: null, busy: false };
function previewRole() {
  const v = state.clip && state.clip.video;
  return v && v.road ? 'road' : v && v.cabin ? 'cabin' : null;
}
function showPreview(t, clientX) {
  const role = previewRole();
  if (!role || !state.duration) return;
  const pv = $('preview-video');
  const src = state.clip.video[role];
  if (pv.getAttribute('src') !== src) {
    pv.src = src;
    scrub.busy = false;
  }
  const wrap = $('seek').getBoundingClientRect();
  const fig = $('preview');
  fig.hidden = false;
  fig.style.left = `${Math.max(0, Math.min(wrap.width - fig.offsetWidth, clientX - wrap.left - fig.offsetWidth / 2))}px`;
  $('preview-time').textContent = clock(t);
  scrub.want = t;
  if (!scrub.busy) nextPreview();
}
function hidePreview() {
  $('preview').hidden = true;
  scrub.want = null;
}
/** Decodes the newest time asked for; times asked meanwhile are skipped (a drag asks many). */
function nextPreview() {
  const pv = $('preview-video');
  const role = previewRole();
  if (scrub.want === null || !role) {
    scrub.busy = false;
    return;
  }
  const t = scrub.want;
  scrub.want = null;
  scrub.busy = true;
  const done = () => {
    pv.removeEventListener('seeked', drawn);
    pv.removeEventListener('error', failed);
  };
  const drawn = () => {
    done();
    const canvas = $('preview-canvas');
    canvas.getContext('2d').drawImage(pv, 0, 0, canvas.width, canvas.height);
    $('preview').dataset.time = t.toFixed(3);
    nextPreview();
  };
  const failed = () => {
    done();
    scrub.busy = false;
    console.warn(
      `preview: the ${role} video could not be read (${pv.error ? pv.error.message || pv.error.code : 'unknown'})`,
    );
  };
  pv.addEventListener('seeked', drawn);
  pv.addEventListener('error', failed);
  pv.currentTime = Math.max(0, t - state.offsets[role]);
}
function seekTimeAt(clientX) {
  const r = $('seek').getBoundingClientRect();
  return Math.max(0, Math.min(1, (clientX - r.left) / r.width)) * state.duration;
}

// ---- wiring ------------------------------------------------------------------------------
function wire() {
  $('seek').addEventListener('pointermove', (e) =>
    showPreview(state.dragging ? (+$('seek').value / 1000) * state.duration : seekTimeAt(e.clientX), e.clientX),
  );
  $('seek').addEventListener('pointerleave', () => {
    if (!state.dragging) hidePreview();
  });
  $('play').addEventListener('click', () => (master() && !master().paused ? pauseAll() : playAll()));
  $('seek').addEventListener('input', () => {
    state.dragging = true;
    const t = (+$('seek').value / 1000) * state.duration;
    $('clock').textContent = `${clock(t)} / ${clock(state.duration)}`;
    const r = $('seek').getBoundingClientRect();
    showPreview(t, r.left + (r.width * +$('seek').value) / 1000);
  });
  $('seek').addEventListener('change', async () => {
    const t = (+$('seek').value / 1000) * state.duration;
    const playing = master() && !master().paused;
    hidePreview();
    await seekAll(t);
    state.dragging = false;
    if (playing) tick();
    else {
      updateClock();
      drawCursor();
    }
  });
  // Clicking a plot or the route seeks both cameras to that moment.
  for (const id of ['plot', 'speed']) {
    $(id).addEventListener('click', async (e) => {
      const chart = charts[id];
      if (!chart) return;
      const r = $(id).getBoundingClientRect();
      const { left, right, w } = plotGeometry(id);
      const t = Math.max(0, Math.min(state.duration, ((e.clientX - r.left - left) / (w - left - right)) * chart.t1));
      await seekAll(t);
      updateClock();
      drawCursor();
    });
  }
  $('route').addEventListener('click', async (e) => {
    if (!route) return;
    const t = Math.max(0, Math.min(state.duration, routeTimeAt(e)));
    await seekAll(t);
    updateClock();
    drawCursor();
  });
  $('sound').addEventListener('click', () => setSound($('sound').getAttribute('aria-pressed') !== 'true'));
  $('streaming').addEventListener('click', () => setStreaming(!state.streaming));
  for (const v of [road(), cabin()]) {
    v.addEventListener('timeupdate', () => {
      if (v === master()) {
        updateClock();
        drawCursor();
      }
    });
    v.addEventListener('error', async () => {
      // a signed URL may have expired during a long session: fetch fresh ones and resume
      if (!state.clip || !v.getAttribute('src') || shared) return;
      const t = master() ? clipTime(master()) : 0;
      try {
        const c = await api(`/v1/clips/${state.clip.id}`);
        if (c.video) {
          showClip(c);
          await seekAll(t);
        }
      } catch (e) {
        // deleted meanwhile, or the network is down: the video stays stopped, and says why
        console.warn(`the ${v.id} video stopped and its link could not be renewed: ${e.message}`);
      }
    });
  }
  window.addEventListener('resize', () => {
    drawPlot();
    drawSpeed();
  });
  $('share').addEventListener('click', share);
  $('delete').addEventListener('click', remove);
  $('more').addEventListener('click', () => loadList(false));
  $('kind-filter').addEventListener('change', () => {
    state.kind = $('kind-filter').value;
    loadList(true);
  });
  $('logout').addEventListener('click', () => signOut());
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    localStorage.setItem(TOKEN_KEY, $('token').value.trim());
    $('token').value = '';
    await startOwner();
  });
}

async function startOwner() {
  if (!localStorage.getItem(TOKEN_KEY)) {
    signOut();
    return;
  }
  try {
    const me = await api('/v1/me');
    $('user').textContent = me.name;
    $('logout').hidden = false;
    $('login').hidden = true;
    $('app').hidden = false;
    await loadList(true);
    if (state.items.length) await openClip(state.items[0].id);
  } catch (e) {
    if (e.message !== 'unauthorized') showFatal(e.message);
  }
}

function showFatal(message) {
  $('fatal').textContent = message;
  $('fatal').hidden = false;
}

async function startShared() {
  $('mode').textContent = 'shared clip';
  $('app').hidden = false;
  $('app').classList.add('shared');
  $('list-pane').hidden = true;
  $('share').hidden = true;
  $('delete').hidden = true;
  try {
    showClip(await api(`/s/${shared}/clip`));
  } catch (e) {
    $('app').hidden = true;
    showFatal(`This link does not work: ${e.message}`);
  }
}

wire();
window.ringclipReady = shared ? startShared() : startOwner();
