#!/usr/bin/env node
/**
 * ringclip-device: the dashcam simulator.
 *
 *   ringclip-device simulate --scenario FILE|NAME [--duration 30m] [--speed 20] [--memory 2GiB]
 *                            [--port N] [--data DIR] [--exit] [--pairing-code 123456] [--b-frames] [--json]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatBytes, microsToIso } from 'ringclip';
import { Dashcam } from './dashcam.js';
import type { DeviceEvent } from './events.js';
import { BUILT_IN, loadScenario, scenarioDuration, seconds } from './scenario.js';

const USAGE = `usage: ringclip-device simulate --scenario FILE|NAME [options]

  --scenario FILE|NAME  a scenario JSON file, or a built-in: ${BUILT_IN.join(', ')}
  --duration D          how much of it to drive (e.g. 90s, 30m; default: the scenario's)
  --speed N             multiple of real time (default 20; 'max' for as fast as possible)
  --memory SIZE         internal memory size when it is created (default 2GiB)
  --data DIR            where internal memory lives (default: a new temporary directory)
  --port N              Wi-Fi API port on 127.0.0.1 (default 0: any free port)
  --exit                stop after the scenario instead of keeping the Wi-Fi API up
  --pairing-code CODE   the 6-digit code to show (default: random)
  --road WxH@FPS        road camera (default 1280x720@30)
  --cabin WxH@FPS       cabin camera (default 640x360@15)
  --b-frames            both cameras code one B picture between references (Main profile), as
                        many real dashcam encoders do; default: none (Baseline-like I and P only)
  --json                print events and the summary as JSON lines
`;

function camera(spec: string | undefined, name: string, bFrames: boolean) {
  const b = bFrames ? { bFrames: 1 as const } : {};
  if (!spec) return { name, ...b };
  const m = /^(\d+)x(\d+)(?:@(\d+(?:\.\d+)?))?$/.exec(spec);
  if (!m) throw new Error(`--${name} must look like 1280x720@30, got ${spec}`);
  return { name, width: Number(m[1]), height: Number(m[2]), ...(m[3] ? { fps: Number(m[3]) } : {}), ...b };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  if (command !== 'simulate') {
    process.stderr.write(`unknown command '${command}'\n${USAGE}`);
    return 2;
  }
  let args;
  try {
    args = parseArgs({
      args: rest,
      options: {
        scenario: { type: 'string' },
        duration: { type: 'string' },
        speed: { type: 'string' },
        memory: { type: 'string' },
        data: { type: 'string' },
        port: { type: 'string' },
        exit: { type: 'boolean' },
        'pairing-code': { type: 'string' },
        road: { type: 'string' },
        cabin: { type: 'string' },
        'b-frames': { type: 'boolean' },
        json: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!args.scenario) {
    process.stderr.write(`--scenario is required\n${USAGE}`);
    return 2;
  }
  const scenario = loadScenario(args.scenario);
  const speed = args.speed === undefined ? 20 : args.speed === 'max' ? Infinity : Number(args.speed);
  if (!(speed > 0)) throw new Error(`--speed must be a number above 0 or 'max', got ${args.speed}`);
  const port = args.port === undefined ? 0 : Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0 to 65535, got ${args.port}`);
  const dataDir = args.data ?? mkdtempSync(join(tmpdir(), 'ringclip-device-'));
  const json = args.json === true;
  const out = (line: string, obj: object) => process.stdout.write(json ? `${JSON.stringify(obj)}\n` : `${line}\n`);

  const device = new Dashcam({
    dataDir,
    memory: { capacity: args.memory ?? '2GiB' },
    cameras: [
      camera(args.road, 'road', args['b-frames'] === true),
      camera(args.cabin, 'cabin', args['b-frames'] === true),
    ],
    ...(args['pairing-code'] ? { pairingCode: args['pairing-code'] } : {}),
  });
  const describe = (e: DeviceEvent) => `${e.kind}${e.peakG !== null ? ` (peak ${e.peakG.toFixed(2)} g)` : ''}`;
  device.on('event', (e) =>
    out(
      `event ${e.id} ${microsToIso(e.time)} ${describe(e)} — clip ${microsToIso(e.from)} to ${microsToIso(e.to)}${e.protectionId === null ? ` [${e.note}]` : ''}`,
      { type: 'event', id: e.id, kind: e.kind, time: microsToIso(e.time), peakG: e.peakG },
    ),
  );
  device.on('error', (err) => process.stderr.write(`error: ${err.message}\n`));

  await device.powerOn();
  const rec = device.recovery;
  const addr = await device.startServer({ port });
  out(
    `internal memory: ${join(dataDir, 'memory.ring')} (drive ${device.drive}${rec ? `, recovered ${rec.recordsKept} records${rec.tornTailRecords ? `, cut a torn tail of ${rec.tornTailRecords}` : ''}` : ', new'})`,
    { type: 'power', data: dataDir, drive: device.drive, recovery: rec },
  );
  out(`wi-fi api: ${addr.url}  pairing code: ${device.pairingCode}`, {
    type: 'api',
    url: addr.url,
    port: addr.port,
    pairingCode: device.pairingCode,
  });
  const duration = args.duration !== undefined ? seconds(args.duration, '--duration') : scenarioDuration(scenario);
  out(`driving '${scenario.name}' for ${duration} s at ${speed === Infinity ? 'max' : `${speed}x`} speed`, {
    type: 'start',
    scenario: scenario.name,
    duration,
    speed,
  });

  let stopping = false;
  const stop = async (abrupt = false) => {
    if (stopping) return;
    stopping = true;
    await device.powerOff({ abrupt });
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  const s = await device.run(scenario, { speed, duration });
  const st = device.status();
  const summary = {
    type: 'summary',
    scenario: s.scenario,
    from: microsToIso(s.from),
    to: microsToIso(s.to),
    realSeconds: s.realMs / 1000,
    speedAchieved: Math.round(((s.to - s.from) / 1000 / Math.max(1, s.realMs)) * 10) / 10,
    frames: s.frames,
    bytes: s.bytes,
    audio: s.audio,
    telemetry: s.telemetry,
    events: s.events.map((e) => ({ id: e.id, kind: e.kind, time: microsToIso(e.time) })),
    overwrittenFrames: s.overwrittenFrames,
    dropped: s.dropped,
    storage: st.storage,
    drive: st.drive,
  };
  out(
    [
      `summary: ${s.scenario}, ${((s.to - s.from) / 1e6).toFixed(0)} s of driving in ${(s.realMs / 1000).toFixed(1)} s (${summary.speedAchieved}x)`,
      `  frames: ${Object.entries(s.frames)
        .map(([k, v]) => `${k} ${v} (${formatBytes(s.bytes[k]!)})`)
        .join(', ')}`,
      `  cabin audio: ${s.audio.frames} AAC frames (${formatBytes(s.audio.bytes)}); telemetry: ${s.telemetry.samples} camm samples, ${s.telemetry.gps} of them GPS fixes (${formatBytes(s.telemetry.bytes)})`,
      `  events: ${s.events.length ? s.events.map((e) => `${e.id} ${e.kind}`).join(', ') : 'none'}`,
      `  memory: ${formatBytes(st.storage.used)} of ${formatBytes(st.storage.capacity)} used, ${formatBytes(st.storage.protected)} protected, ${s.overwrittenFrames} frames overwritten`,
    ].join('\n'),
    summary,
  );
  if (args.exit) {
    await device.powerOff();
    return 0;
  }
  out(`parked; recording at 1x and serving ${addr.url} (Ctrl-C powers off)`, { type: 'parked', url: addr.url });
  device.park(1);
  await new Promise(() => {});
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`ringclip-device: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
