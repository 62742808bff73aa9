#!/usr/bin/env node
/**
 * Makes packages/device/assets/cabin-audio.aac: the sound the simulated cabin microphone
 * loops. A real dashcam has a hardware AAC encoder and the engine stores what it gets; the
 * simulator loops a short asset made here once, with the ffmpeg devDependency (its native
 * `aac` encoder), and committed, so a drive needs no encoder at run time.
 *
 * The sound: an engine hum (45 Hz and harmonics), cabin/road noise, and a sharp click at every
 * whole second: the sync mark a test finds in a decoded clip to measure A/V sync against the
 * burned-in clock. AAC-LC, mono, 48 kHz, ADTS.
 *
 * The loop is 8 s = 375 frames of 1024 samples exactly, so it repeats seamlessly and its
 * first frame's first sample is a click: the device presents loop frame 0 on a whole second
 * (src/microphone.ts). An encoder delays its output (priming): the script measures that delay
 * on the encoded stream, takes the 375 frames whose decoded audio starts exactly on a click,
 * from the middle of three encoded periods (so the encoder is in its steady state and the
 * frames' overlap with their neighbours matches the loop), and checks the clicks of the
 * looped result with ffmpeg's decoder before writing it.
 *
 * Usage: node packages/device/scripts/make-cabin-audio.mjs [out.aac]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ffmpeg = require('@ffmpeg-installer/ffmpeg').path;
const out = process.argv[2] ?? fileURLToPath(new URL('../assets/cabin-audio.aac', import.meta.url));

const RATE = 48_000;
const FRAME = 1024; // samples per AAC-LC frame
const PERIOD_S = 8; // 8 s × 48 000 = 375 × 1024: a whole number of frames and of seconds
const PERIOD = PERIOD_S * RATE;
const LOOP_FRAMES = PERIOD / FRAME;
const BITRATE = '64k';
const CLICK_THRESHOLD = 0.4; // the clicks peak near 0.8, the hum and noise stay below 0.15

/** mulberry32: the same noise every time the script runs. */
function random(seed) {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One period of the cabin sound, periodic: every frequency has a whole number of cycles in 8 s. */
function period() {
  const x = new Float32Array(PERIOD);
  const rand = random(16);
  const white = Float32Array.from({ length: PERIOD }, () => rand() * 2 - 1);
  // Road noise: white noise through a one-pole low-pass, run around the period twice so its
  // end flows into its start.
  const noise = new Float32Array(PERIOD);
  let y = 0;
  for (let pass = 0; pass < 2; pass++) for (let i = 0; i < PERIOD; i++) noise[i] = y = y + 0.08 * (white[i] - y);
  for (let i = 0; i < PERIOD; i++) {
    const t = i / RATE;
    const wobble = 1 + 0.2 * Math.sin(2 * Math.PI * 0.5 * t); // the engine's load breathing
    const hum =
      wobble *
      (0.05 * Math.sin(2 * Math.PI * 45 * t) +
        0.03 * Math.sin(2 * Math.PI * 90 * t) +
        0.015 * Math.sin(2 * Math.PI * 135 * t));
    x[i] = hum + 0.25 * noise[i];
  }
  // The click: a 3 kHz burst that starts at full strength on the whole second and dies in ~8 ms.
  for (let s = 0; s < PERIOD_S; s++)
    for (let i = 0; i < 0.008 * RATE; i++)
      x[s * RATE + i] += 0.8 * Math.exp(-i / (0.0015 * RATE)) * Math.cos(2 * Math.PI * 3000 * (i / RATE));
  return x;
}

function run(args, input) {
  const r = spawnSync(ffmpeg, ['-hide_banner', '-loglevel', 'error', ...args], { input, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** ADTS frames of an AAC stream (frame_length is the 13 bits after the first 30 bits of a header). */
function adtsFrames(bytes) {
  const frames = [];
  for (let at = 0; at < bytes.length;) {
    if (bytes[at] !== 0xff || (bytes[at + 1] & 0xf6) !== 0xf0) throw new Error(`no ADTS sync word at byte ${at}`);
    const length = ((bytes[at + 3] & 0x03) << 11) | (bytes[at + 4] << 3) | (bytes[at + 5] >> 5);
    frames.push(bytes.subarray(at, at + length));
    at += length;
  }
  return frames;
}

const decode = (aac) => {
  const pcm = run(['-f', 'aac', '-i', '-', '-f', 'f32le', '-ac', '1', '-ar', String(RATE), '-'], aac);
  return new Float32Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 4);
};

/** Sample indices where a click starts: the first sample above the threshold after 0.5 s of none. */
function onsets(pcm) {
  const found = [];
  let last = -RATE;
  for (let i = 0; i < pcm.length; i++)
    if (Math.abs(pcm[i]) > CLICK_THRESHOLD) {
      if (i - last > RATE / 2) found.push(i);
      last = i;
    }
  return found;
}

// Three periods in, AAC out.
const one = period();
const pcm = new Float32Array(3 * PERIOD);
for (let k = 0; k < 3; k++) pcm.set(one, k * PERIOD);
const encoded = run(
  [
    '-f',
    'f32le',
    '-ar',
    String(RATE),
    '-ac',
    '1',
    '-i',
    '-',
    '-c:a',
    'aac',
    '-profile:a',
    'aac_low',
    '-b:a',
    BITRATE,
    '-f',
    'adts',
    '-',
  ],
  Buffer.from(pcm.buffer),
);
const frames = adtsFrames(encoded);

// The encoder's delay: where the clicks of the second period come out of the decoder. The
// onset detector may fire a few samples early on pre-echo: the delay is rounded to frames.
const clicks = onsets(decode(encoded));
const second = clicks.filter((i) => i >= PERIOD && i < 2 * PERIOD + PERIOD / 2);
const delay = Math.round((second[0] - PERIOD) / FRAME) * FRAME;
if (delay < 0 || second.length < PERIOD_S)
  throw new Error(`could not find the clicks of the encoded stream (${clicks.length} found)`);

// Decoded sample n of packet j is input sample j·1024 + n − delay: the loop is the 375 packets
// whose decoded audio starts at input sample PERIOD (a click), in the middle period.
const first = (PERIOD + delay) / FRAME;
if (first + LOOP_FRAMES > frames.length)
  throw new Error(`the encoded stream has ${frames.length} frames, the loop needs ${first + LOOP_FRAMES}`);
const loop = Buffer.concat(frames.slice(first, first + LOOP_FRAMES));

// Check: three loops back to back decode with a click at every whole second, each within 1 ms
// (the first second is skipped: the decoder starts without the frame before it).
const looped = onsets(decode(Buffer.concat([loop, loop, loop]))).filter((i) => i >= RATE / 2);
const errors = looped.map((i) => i - Math.round(i / RATE) * RATE);
if (looped.length !== 3 * PERIOD_S - 1 || errors.some((e) => Math.abs(e) > RATE / 1000))
  throw new Error(
    `the loop's clicks are not on whole seconds: ${looped.length} clicks, offsets ${errors.join(', ')} samples`,
  );

writeFileSync(out, loop);
const rms = Math.sqrt(one.reduce((s, v) => s + v * v, 0) / one.length);
console.log(
  `${out}: ${LOOP_FRAMES} AAC-LC frames, mono ${RATE} Hz, ${PERIOD_S} s, ${loop.length} bytes (${Math.round((loop.length * 60) / PERIOD_S / 1024)} KiB per minute); ` +
    `encoder delay ${delay} samples; clicks on whole seconds within ${Math.max(...errors.map(Math.abs))} samples; RMS ${rms.toFixed(3)}`,
);
