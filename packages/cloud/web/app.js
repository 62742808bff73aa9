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

const state = { clip: null, cursor: null, kind: '', items: [], offsets: { road: 0, cabin: 0 }, duration: 0, dragging: false };

async function api(path, init = {}) {
  const headers = { ...(init.headers || {}) };
  const token = localStorage.getItem(TOKEN_KEY);
  if (!shared && token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { ...init, headers });
  if (res.status === 401 && !shared) { signOut('Your token was not accepted.'); throw new Error('unauthorized'); }
  if (!res.ok && res.status !== 204) {
    let msg = `${res.status}`;
    try { msg = (await res.json()).error.message; } catch { /* not JSON */ }
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
function duration(s) { return s == null ? '–' : s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`; }
function when(iso) {
  return new Date(iso).toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
const kindLabel = (k) => k.replace(/_/g, ' ');

// ---- list ------------------------------------------------------------------------------
async function loadList(reset) {
  if (reset) { state.cursor = null; state.items = []; $('clips').replaceChildren(); }
  const q = new URLSearchParams({ limit: '50' });
  if (state.cursor) q.set('cursor', state.cursor);
  if (state.kind) q.set('kind', state.kind);
  const page = await api(`/v1/clips?${q}`);
  for (const c of page.clips) { state.items.push(c); $('clips').append(listItem(c)); }
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
function players() { return [road(), cabin()].filter((v) => !v.closest('figure').hidden); }
function master() { return players()[0]; }
function roleOf(v) { return v.id; }
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
  for (const v of [road(), cabin()]) {
    v.pause();
    const has = roles.has(v.id) && c.video;
    v.closest('figure').hidden = !has;
    if (has) { v.src = c.video[v.id]; v.load(); } else { v.removeAttribute('src'); v.load(); }
  }
  document.querySelector('.videos').classList.toggle('single', players().length < 2);
  $('play').textContent = '▶';
  updateClock();
  drawPlot();
}

async function playAll() {
  const vs = players();
  if (!vs.length) return;
  const m = master();
  if (clipTime(m) >= state.duration - 0.05) await seekAll(0);
  else await seekAll(clipTime(m));
  await Promise.all(vs.map((v) => v.play().catch(() => {})));
  $('play').textContent = '❚❚';
  $('play').setAttribute('aria-label', 'Pause');
  tick();
}
function pauseAll() {
  for (const v of players()) v.pause();
  $('play').textContent = '▶';
  $('play').setAttribute('aria-label', 'Play');
  const m = master();
  if (m) seekAll(clipTime(m));
}
/** Seeks every video to one clip time and waits until they all have it. */
function seekAll(t) {
  return Promise.all(players().map((v) => new Promise((resolve) => {
    const target = Math.max(0, t - state.offsets[roleOf(v)]);
    if (Math.abs(v.currentTime - target) < 0.001 && v.readyState >= 2) return resolve();
    const done = () => { v.removeEventListener('seeked', done); resolve(); };
    v.addEventListener('seeked', done);
    v.currentTime = target;
    setTimeout(done, 3000);
  })));
}

// Keeps the followers within a frame of the master: small drift is trimmed by a slight
// change of playback rate, large drift (stall, seek) by a seek.
function sync() {
  const vs = players();
  const m = vs[0];
  if (!m) return;
  const t = clipTime(m);
  for (const v of vs.slice(1)) {
    if (m.paused || v.seeking) continue;
    const diff = t - clipTime(v);
    if (Math.abs(diff) > 0.3) v.currentTime = t - state.offsets[roleOf(v)];
    else if (Math.abs(diff) > 0.008) v.playbackRate = Math.min(1.1, Math.max(0.9, 1 + diff * 2));
    else if (v.playbackRate !== 1) v.playbackRate = 1;
  }
}
function tick() {
  sync();
  updateClock();
  drawCursor();
  const m = master();
  if (m && !m.paused && !m.ended) requestAnimationFrame(tick);
  else if (m && m.ended) { pauseAll(); }
}
function updateClock() {
  const m = master();
  const t = m ? Math.min(clipTime(m), state.duration) : 0;
  $('clock').textContent = `${clock(t)} / ${clock(state.duration)}`;
  if (!state.dragging) $('seek').value = state.duration ? String(Math.round((t / state.duration) * 1000)) : '0';
}

// ---- G-sensor plot -----------------------------------------------------------------------
const COLORS = { x: '#ff7a59', y: '#4cd37f', z: '#7aa7ff' };
let plotImage = null;
function plotGeometry() {
  const canvas = $('plot');
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  return { canvas, dpr, w, h, left: 38, right: 8, top: 8, bottom: 20 };
}
function drawPlot() {
  const c = state.clip;
  const g = c && c.gsensor;
  $('no-trace').hidden = !!(g && g.length);
  $('plot').hidden = !(g && g.length);
  plotImage = null;
  if (!g || !g.length) return;
  const { canvas, dpr, w, h, left, right, top, bottom } = plotGeometry();
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  const t1 = Math.max(state.duration, g[g.length - 1][0]);
  let lo = Infinity, hi = -Infinity;
  for (const s of g) for (let i = 1; i < 4; i++) { lo = Math.min(lo, s[i]); hi = Math.max(hi, s[i]); }
  const padY = Math.max(0.1, (hi - lo) * 0.08);
  lo -= padY; hi += padY;
  const X = (t) => left + (t / t1) * (w - left - right);
  const Y = (v) => top + (1 - (v - lo) / (hi - lo)) * (h - top - bottom);
  ctx.font = '11px system-ui, sans-serif';
  ctx.fillStyle = '#8a94a3';
  ctx.strokeStyle = '#262c35';
  ctx.lineWidth = 1;
  const stepY = niceStep((hi - lo) / 4);
  for (let v = Math.ceil(lo / stepY) * stepY; v <= hi; v += stepY) {
    ctx.beginPath(); ctx.moveTo(left, Y(v)); ctx.lineTo(w - right, Y(v)); ctx.stroke();
    ctx.fillText(`${+v.toFixed(2)}g`, 2, Y(v) + 4);
  }
  const stepT = niceStep(t1 / 8);
  for (let t = 0; t <= t1 + 1e-9; t += stepT) {
    ctx.beginPath(); ctx.moveTo(X(t), top); ctx.lineTo(X(t), h - bottom); ctx.stroke();
    ctx.fillText(`${+t.toFixed(1)}s`, X(t) - 8, h - 5);
  }
  if (c.eventOffset != null) {
    ctx.strokeStyle = '#ff5d5d';
    ctx.setLineDash([4, 4]);
    ctx.beginPath(); ctx.moveTo(X(c.eventOffset), top); ctx.lineTo(X(c.eventOffset), h - bottom); ctx.stroke();
    ctx.setLineDash([]);
  }
  ['x', 'y', 'z'].forEach((axis, i) => {
    ctx.strokeStyle = COLORS[axis];
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    g.forEach((s, j) => (j ? ctx.lineTo(X(s[0]), Y(s[i + 1])) : ctx.moveTo(X(s[0]), Y(s[i + 1]))));
    ctx.stroke();
  });
  plotImage = { data: ctx.getImageData(0, 0, canvas.width, canvas.height), X, t1 };
  drawCursor();
}
function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  const n = raw / p;
  return (n < 1.5 ? 1 : n < 3.5 ? 2 : n < 7.5 ? 5 : 10) * p;
}
function drawCursor() {
  if (!plotImage) return;
  const { canvas, dpr, h, top, bottom } = plotGeometry();
  const ctx = canvas.getContext('2d');
  ctx.putImageData(plotImage.data, 0, 0);
  const m = master();
  const t = m ? clipTime(m) : 0;
  const x = plotImage.X(Math.min(t, plotImage.t1));
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.strokeStyle = '#ffffff';
  ctx.lineWidth = 1.5;
  ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, h - bottom); ctx.stroke();
  canvas.dataset.cursor = t.toFixed(3);
}

// ---- actions -----------------------------------------------------------------------------
async function share() {
  const c = state.clip;
  $('share').disabled = true;
  try {
    const s = await api(`/v1/clips/${c.id}/share`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ expiresIn: 7 * 86400 }) });
    $('share-url').value = s.url;
    $('share-open').href = s.url;
    $('share-expires').textContent = when(s.expiresAt);
    $('share-box').hidden = false;
    $('share-url').select();
    navigator.clipboard?.writeText(s.url).catch(() => {});
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
  for (const v of [road(), cabin()]) { v.pause(); v.removeAttribute('src'); v.load(); }
  state.clip = null;
  $('clip').hidden = true;
  $('placeholder').hidden = false;
  $('clips').querySelector(`li[data-id="${c.id}"]`)?.remove();
  state.items = state.items.filter((x) => x.id !== c.id);
  $('empty').hidden = state.items.length > 0;
}

// ---- wiring ------------------------------------------------------------------------------
function wire() {
  $('play').addEventListener('click', () => (master() && !master().paused ? pauseAll() : playAll()));
  $('seek').addEventListener('input', () => { state.dragging = true; $('clock').textContent = `${clock((+$('seek').value / 1000) * state.duration)} / ${clock(state.duration)}`; });
  $('seek').addEventListener('change', async () => {
    const t = (+$('seek').value / 1000) * state.duration;
    const playing = master() && !master().paused;
    await seekAll(t);
    state.dragging = false;
    if (playing) tick(); else { updateClock(); drawCursor(); }
  });
  $('plot').addEventListener('click', async (e) => {
    if (!plotImage) return;
    const r = $('plot').getBoundingClientRect();
    const { left, right, w } = plotGeometry();
    const t = Math.max(0, Math.min(state.duration, ((e.clientX - r.left - left) / (w - left - right)) * plotImage.t1));
    await seekAll(t);
    updateClock(); drawCursor();
  });
  for (const v of [road(), cabin()]) {
    v.addEventListener('timeupdate', () => { if (v === master()) { updateClock(); drawCursor(); } });
    v.addEventListener('error', async () => {
      // a signed URL may have expired during a long session: fetch fresh ones and resume
      if (!state.clip || !v.getAttribute('src') || shared) return;
      const t = master() ? clipTime(master()) : 0;
      try { const c = await api(`/v1/clips/${state.clip.id}`); if (c.video) { showClip(c); await seekAll(t); } } catch { /* gone */ }
    });
  }
  window.addEventListener('resize', () => drawPlot());
  $('share').addEventListener('click', share);
  $('delete').addEventListener('click', remove);
  $('more').addEventListener('click', () => loadList(false));
  $('kind-filter').addEventListener('change', () => { state.kind = $('kind-filter').value; loadList(true); });
  $('logout').addEventListener('click', () => signOut());
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    localStorage.setItem(TOKEN_KEY, $('token').value.trim());
    $('token').value = '';
    await startOwner();
  });
}

async function startOwner() {
  if (!localStorage.getItem(TOKEN_KEY)) { signOut(); return; }
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

function showFatal(message) { $('fatal').textContent = message; $('fatal').hidden = false; }

async function startShared() {
  $('mode').textContent = 'shared clip';
  $('app').hidden = false;
  $('app').classList.add('shared');
  $('list-pane').hidden = true;
  $('share').hidden = true;
  $('delete').hidden = true;
  try { showClip(await api(`/s/${shared}/clip`)); } catch (e) { $('app').hidden = true; showFatal(`This link does not work: ${e.message}`); }
}

wire();
window.ringclipReady = shared ? startShared() : startOwner();
