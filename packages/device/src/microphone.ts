/**
 * The cabin microphone: loops an AAC-LC asset (scripts/make-cabin-audio.mjs) into the
 * `cabin-audio` stream. The asset is a whole number of seconds and of frames long and its
 * first sample is a click, so the device presents its frames on a grid anchored at the epoch:
 * loop frame 0 always starts on a whole second of capture time (a multiple of the loop's
 * length), and every click lands on a whole second of the burned-in clock. Frame n of that
 * grid is presented at n × 1024 / sampleRate seconds, rounded to the µs, so the audio stays
 * continuous however long the drive, and stopping and starting keeps it on the grid.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAdts } from 'ringclip';

export const CABIN_AUDIO_STREAM = 'cabin-audio';
export const CABIN_AUDIO_ASSET = fileURLToPath(new URL('../assets/cabin-audio.aac', import.meta.url));
const FRAME_SAMPLES = 1024;

/** The loop: its AudioSpecificConfig, sample rate and raw AAC frames (ADTS headers removed). */
export interface AacLoop {
  config: Uint8Array;
  sampleRate: number;
  frames: Uint8Array[];
}

/** Reads an ADTS asset (the engine parses ADTS). */
export function loadAacLoop(path = CABIN_AUDIO_ASSET): AacLoop {
  const { config, sampleRate, frames } = parseAdts(readFileSync(path));
  return { config, sampleRate, frames };
}

export interface AudioFrame {
  /** capture time, µs */
  pts: number;
  data: Uint8Array;
}

export class Microphone {
  readonly loop: AacLoop;
  /** the loop's length, µs (a whole number of seconds) */
  readonly periodUs: number;
  /** the next frame: its index on the grid, counted in loops and frames within the loop */
  #cycle = 0;
  #frame = 0;

  constructor(loop: AacLoop) {
    const samples = loop.frames.length * FRAME_SAMPLES;
    if (loop.frames.length === 0 || samples % loop.sampleRate !== 0)
      throw new RangeError(
        `a microphone loop is a whole number of seconds: ${loop.frames.length} frames of ${FRAME_SAMPLES} samples at ${loop.sampleRate} Hz is not`,
      );
    this.loop = loop;
    this.periodUs = (samples / loop.sampleRate) * 1e6;
  }

  /** Capture time of frame `frame` of loop `cycle` (exact: whole loops are whole seconds). */
  #pts(cycle: number, frame: number): number {
    return cycle * this.periodUs + Math.round((frame * FRAME_SAMPLES * 1e6) / this.loop.sampleRate);
  }

  /** Capture time of the next frame. */
  get nextPts(): number {
    return this.#pts(this.#cycle, this.#frame);
  }

  /** Starts (again) at the first frame of the grid at or after `us`: after power-on, or after the microphone was off. */
  start(us: number): void {
    this.#cycle = Math.floor(us / this.periodUs);
    const into = us - this.#cycle * this.periodUs;
    this.#frame = Math.ceil((into * this.loop.sampleRate) / (FRAME_SAMPLES * 1e6) - 1e-9);
    while (this.#pts(this.#cycle, this.#frame) < us) this.#frame++;
    if (this.#frame >= this.loop.frames.length) {
      this.#cycle++;
      this.#frame = 0;
    }
  }

  /** The next frame. */
  capture(): AudioFrame {
    const frame = { pts: this.nextPts, data: this.loop.frames[this.#frame]! };
    if (++this.#frame === this.loop.frames.length) {
      this.#cycle++;
      this.#frame = 0;
    }
    return frame;
  }
}
