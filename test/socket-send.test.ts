// Zero-copy sending for servers: VirtualMP4.sendTo() and Mp4Source.sendTo() put exactly the
// bytes read() and the file hold on a real TCP connection, stop where the socket is full and
// go on from there, refuse a ring store's clip, and fail a send to a peer that has gone.
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  StoreIoError,
  Mp4Source,
  SegmentStore,
  StoreClosedError,
  sendableDescriptor,
} from '../lib/index.js';
import { T0, writeDualMp4 } from './helpers/store.js';
import { tempDir } from './helpers/tools.js';

const tmp = tempDir();
let mp4 = '';
afterAll(() => tmp.cleanup());
beforeAll(async () => {
  mp4 = `${tmp.dir}/dual.mp4`;
  await writeDualMp4(`${tmp.dir}/s.ring`, mp4, 4);
});

/** A loopback connection: the server's end (to send on) and everything the client receives. */
async function connection(): Promise<{ server: Socket; client: Socket; received: () => Buffer; close: () => void }> {
  const listener = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const { port } = listener.address() as { port: number };
  const accepted = once(listener, 'connection');
  const client = connect(port, '127.0.0.1');
  const [server] = (await accepted) as [Socket];
  await once(client, 'connect');
  const chunks: Buffer[] = [];
  client.on('data', (d: Buffer) => chunks.push(d));
  return {
    server,
    client,
    received: () => Buffer.concat(chunks),
    close: () => {
      client.destroy();
      server.destroy();
      listener.close();
    },
  };
}

/** Sends [start, end) with send(), waiting whenever the socket is full; resolves with the calls' returns. */
async function sendAll(server: Socket, send: (fd: number, s: number, e: number) => number, start: number, end: number) {
  const returns: number[] = [];
  for (let at = start; at < end;) {
    const fd = sendableDescriptor(server);
    expect(fd).not.toBeNull();
    const n = send(fd!, at, end);
    returns.push(n);
    at += n;
    if (at < end) await new Promise((r) => setTimeout(r, 5)); // full: let the client read
  }
  return returns;
}

async function receivedAtLeast(c: { received: () => Buffer }, n: number) {
  for (let i = 0; i < 2000 && c.received().length < n; i++) await new Promise((r) => setTimeout(r, 5));
  return c.received();
}

describe('VirtualMP4.sendTo()', () => {
  it('sends exactly the bytes read() gives for the whole file and for ranges across boxes and samples', async () => {
    const src = await Mp4Source.open(mp4);
    const clip = src.clip({ from: { offset: 0 }, to: { offset: 60 }, streams: ['road'], allowPartial: true });
    const file = clip.toVirtualMP4();
    const whole = file.read(0);
    const ranges: Array<[number, number]> = [
      [0, whole.length],
      [0, 9], // inside the generated header
      [7, 70_001], // header into the first samples
      [whole.length - 5000, whole.length + 100], // end clamped
      [123_457, 123_457],
    ];
    for (const [s, e] of ranges) {
      const c = await connection();
      try {
        const want = whole.subarray(s, Math.min(e, whole.length));
        await sendAll(c.server, (fd, a, b) => file.sendTo(fd, a, b), s, s + want.length);
        const got = await receivedAtLeast(c, want.length);
        expect(got.equals(want), `${s}-${e}`).toBe(true);
      } finally {
        c.close();
      }
    }
    clip.release();
    file.release();
    src.close();
  });

  it('stops where the socket is full and goes on from there: the bytes arrive once, in order', async () => {
    const src = await Mp4Source.open(mp4);
    const clip = src.clip({ from: { offset: 0 }, to: { offset: 60 }, allowPartial: true });
    const file = clip.toVirtualMP4();
    const whole = file.read(0);
    const c = await connection();
    try {
      c.client.pause(); // nothing is read: the socket's buffers fill up
      const fd = sendableDescriptor(c.server)!;
      // whole copies of the file until one does not fit (loopback buffers hold megabytes)
      let copies = 0;
      let first = 0;
      for (; copies < 1000; copies++) {
        first = file.sendTo(fd, 0);
        if (first < whole.length) break;
      }
      expect(first).toBeLessThan(whole.length);
      expect(file.sendTo(fd, first)).toBe(0); // still full: nothing taken
      c.client.resume();
      const rest = await sendAll(c.server, (f, a, b) => file.sendTo(f, a, b), first, whole.length);
      expect(rest.reduce((a, b) => a + b, 0)).toBe(whole.length - first);
      const want = Buffer.concat(Array.from({ length: copies + 1 }, () => whole));
      expect((await receivedAtLeast(c, want.length)).equals(want)).toBe(true);
    } finally {
      c.close();
    }
    clip.release();
    file.release();
    src.close();
  });

  it('refuses a ring store clip, a released file and bad arguments, and fails when the peer has gone', async () => {
    const store = await SegmentStore.open(`${tmp.dir}/s.ring`);
    const ringClip = store.clip({ from: T0, to: T0 + 2e6 });
    const ringFile = ringClip.toVirtualMP4();
    const c = await connection();
    try {
      const fd = sendableDescriptor(c.server)!;
      expect(() => ringFile.sendTo(fd, 0)).toThrow(InvalidArgumentError);
      expect(() => ringFile.sendTo(fd, 0)).toThrow(/MP4 source/);
      const src = await Mp4Source.open(mp4);
      const clip = src.clip({ from: { offset: 0 }, to: { offset: 60 }, streams: ['road'], allowPartial: true });
      const file = clip.toVirtualMP4();
      for (const bad of [-1, 1.5, NaN, 2 ** 31] as number[])
        expect(() => file.sendTo(bad, 0), String(bad)).toThrow(InvalidArgumentError);
      expect(() => file.sendTo(fd, 10, 5)).toThrow(/0 <= start <= end/);
      // the peer resets the connection: the next sends fail with what the system said
      const d = await connection();
      const fd2 = sendableDescriptor(d.server)!;
      d.server.on('error', () => undefined); // the reset, seen by Node's reader too
      d.client.resetAndDestroy();
      await new Promise((r) => setTimeout(r, 50));
      expect(() => {
        for (let i = 0; i < 100; i++) file.sendTo(fd2, 0);
      }).toThrow(StoreIoError);
      d.close();
      file.release();
      expect(() => file.sendTo(fd2, 0)).toThrow(StoreClosedError);
      clip.release();
      src.close();
    } finally {
      c.close();
      ringClip.release();
      ringFile.release();
      await store.close();
    }
  });
});

describe('Mp4Source.sendTo()', () => {
  it('sends the file as it is, and any range of it', async () => {
    const src = await Mp4Source.open(mp4);
    const bytes = readFileSync(mp4);
    for (const [s, e] of [
      [0, bytes.length],
      [1000, 250_000],
    ] as const) {
      const c = await connection();
      try {
        await sendAll(c.server, (fd, a, b) => src.sendTo(fd, a, b), s, e);
        expect((await receivedAtLeast(c, e - s)).equals(bytes.subarray(s, e))).toBe(true);
      } finally {
        c.close();
      }
    }
    src.close();
    expect(() => src.sendTo(0, 0, 1)).toThrow(StoreClosedError);
  });
});
