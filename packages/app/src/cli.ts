#!/usr/bin/env node
/**
 * ringclip-app connect --device URL [--code 123456] [--cloud URL --token T]   (streams until Ctrl-C)
 * ringclip-app clips | drives | budget [--set 40%]
 * ringclip-app clip --from T --to T [--from-device]
 * ringclip-app device-settings [--set eventBeforeSeconds=30 --set cabinAudio=false ...]
 * ringclip-app download ID [--track road|cabin|both] --out FILE
 * ringclip-app delete ID | uninstall
 * ringclip-app export-telemetry CLIP --format gpx|csv [--out FILE] [--cloud URL --token T]
 * Common: --data DIR (default $RINGCLIP_APP_DATA or ~/.ringclip-app), --phone-storage SIZE.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PhoneApp } from './app.js';
import { microsToIso } from './device-client.js';

const USAGE = `usage: ringclip-app <connect|clips|drives|budget|clip|download|device-settings|delete|export-telemetry|uninstall> [options]
  connect --device URL [--code CODE] [--cloud URL --token TOKEN] [--cellular]
  clips | drives | budget [--set 40%|2GiB]
  clip --from TIME --to TIME [--from-device]
  device-settings [--set NAME=VALUE ...]   the paired dashcam's settings: eventBeforeSeconds,
                  eventAfterSeconds (event clip length), cabinAudio (true|false), gpsHz (1-10)
  download ID --out FILE [--track road|cabin|both]   a clip to a file: both cameras (default), or one
                  camera with the clip's audio and telemetry (from the phone, else the cloud)
  delete ID
  export-telemetry CLIP --format gpx|csv [--out FILE]   a cloud clip's GPS route (GPX 1.1) or GPS and
                  G-sensor samples (CSV), from the cloud the app is signed in to (or --cloud URL --token T)
  uninstall
  --data DIR   app storage (default $RINGCLIP_APP_DATA or ~/.ringclip-app)
  --phone-storage SIZE   simulated phone size at first use (default 1GiB)`;

function bar(label: string, done: number, total: number | null): void {
  if (!process.stderr.isTTY) return;
  const w = 30;
  const f = total ? Math.min(1, done / total) : 0;
  process.stderr.write(
    `\r${label} [${'#'.repeat(Math.round(f * w)).padEnd(w)}] ${total ? `${Math.round(f * 100)}%` : `${done} B`}   `,
  );
  if (total && done >= total) process.stderr.write('\n');
}

/** `--set name=value` pairs as a settings change: numbers and true/false as JSON, the device checks the rest. */
function settingsPatch(pairs: string[]): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const pair of pairs) {
    const m = /^(\w+)=(.+)$/.exec(pair);
    if (!m) throw new Error(`--set takes NAME=VALUE (e.g. cabinAudio=false), got '${pair}'`);
    patch[m[1]!] = /^(true|false|-?\d+(\.\d+)?)$/.test(m[2]!) ? JSON.parse(m[2]!) : m[2];
  }
  return patch;
}

/**
 * export-telemetry: the cloud derives the files from the clip's camm track
 * (GET /v1/clips/:id/telemetry.gpx|.csv); this fetches one to a file or stdout.
 */
async function exportTelemetry(
  id: string | undefined,
  o: { format?: string; out?: string; cloud?: string; token?: string; dataDir: string },
): Promise<void> {
  if (!id) throw new Error('export-telemetry needs a clip id (see `ringclip-app clips`)');
  if (o.format !== 'gpx' && o.format !== 'csv')
    throw new Error(`export-telemetry needs --format gpx or --format csv${o.format ? `, not '${o.format}'` : ''}`);
  let cloud = o.cloud && o.token ? { url: o.cloud, token: o.token } : null;
  if (!cloud && (o.cloud || o.token)) throw new Error('--cloud and --token go together');
  if (!cloud) {
    // The cloud the app signed in to (connect --cloud URL --token T), from its settings file.
    let settings: { cloud?: { url: string; token: string } } = {};
    try {
      settings = JSON.parse(readFileSync(join(o.dataDir, 'settings.json'), 'utf8')) as typeof settings;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new Error(`cannot read the app's settings in ${o.dataDir}: ${(e as Error).message}`);
    }
    cloud = settings.cloud ?? null;
  }
  if (!cloud)
    throw new Error(
      'export-telemetry needs a cloud: sign in once with `connect --cloud URL --token T`, or pass --cloud URL --token T',
    );
  const url = `${cloud.url.replace(/\/+$/, '')}/v1/clips/${encodeURIComponent(id)}/telemetry.${o.format}`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${cloud.token}` } });
  const body = await res.text();
  if (!res.ok) {
    let why = body.slice(0, 200);
    try {
      why = (JSON.parse(body) as { error: { message: string } }).error.message;
    } catch {
      /* not the API's JSON: show the text */
    }
    throw new Error(`the cloud answered ${res.status} for clip ${id}: ${why}`);
  }
  if (o.out) writeFileSync(o.out, body);
  else process.stdout.write(body);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      device: { type: 'string' },
      code: { type: 'string' },
      cloud: { type: 'string' },
      token: { type: 'string' },
      cellular: { type: 'boolean' },
      from: { type: 'string' },
      to: { type: 'string' },
      'from-device': { type: 'boolean' },
      set: { type: 'string', multiple: true },
      track: { type: 'string' },
      data: { type: 'string' },
      'phone-storage': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      format: { type: 'string' },
      out: { type: 'string', short: 'o' },
    },
  });
  const [cmd, arg] = positionals;
  if (values.help || !cmd) {
    console.log(USAGE);
    return cmd ? 0 : 2;
  }
  const dataDir = values.data ?? process.env.RINGCLIP_APP_DATA ?? join(homedir(), '.ringclip-app');
  // Needs only the cloud: the phone's store is not opened.
  if (cmd === 'export-telemetry') {
    await exportTelemetry(arg, {
      format: values.format,
      out: values.out,
      cloud: values.cloud,
      token: values.token,
      dataDir,
    });
    return 0;
  }
  const app = await PhoneApp.open({ dataDir, phoneStorage: values['phone-storage'] });
  app.on('transfer', (e) => bar(`${e.kind} ${e.id.slice(0, 8)}`, e.done, e.total));
  app.on('error', (e) => console.error(`ringclip-app: ${e.message}`));
  const time = (s: string) => (/^\d+$/.test(s) ? Number(s) : s);
  try {
    switch (cmd) {
      case 'connect': {
        if (!values.device) throw new Error('connect needs --device URL');
        if (values.cloud && values.token) await app.signIn(values.cloud, values.token);
        if (values.cellular) app.setAllowCellular(true);
        await app.connect(values.device, values.code);
        app.on('event-clip', (c) => console.log(`event clip ${c.id} (${c.kind}) saved`));
        app.on('uploaded', (e) => console.log(`uploaded ${e.id}`));
        app.on('disconnected', (e) => console.error(`disconnected: ${e.reason}`));
        console.log(`streaming from ${values.device} into ${dataDir} (Ctrl-C to stop)`);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        return 0;
      }
      case 'clips': {
        const list = await app.clips();
        if (values.json) console.log(JSON.stringify(list, null, 1));
        else
          for (const c of list)
            console.log(
              `${c.id}  ${c.kind.padEnd(10)} ${c.time ?? ''}  ${c.local ? 'phone' : '     '} ${c.uploaded ? 'cloud' : c.uploading ? 'uploading' : ''}`,
            );
        return 0;
      }
      case 'drives': {
        for (const d of app.drives()) {
          console.log(`drive ${d.id}: ${d.from ? microsToIso(d.from) : '?'} .. ${d.to ? microsToIso(d.to) : '?'}`);
          for (const [s, spans] of Object.entries(d.onPhone))
            console.log(
              `  ${s}: ${spans.map((x) => `${microsToIso(x.from)}..${microsToIso(x.to)}`).join(', ') || '(none on the phone)'}`,
            );
        }
        return 0;
      }
      case 'budget': {
        if ((values.set?.length ?? 0) > 1) throw new Error('budget takes one --set');
        const b = values.set?.[0] ? await app.setBudget(values.set[0]) : app.budget();
        console.log(JSON.stringify({ ...b, hoursThatFit: app.hoursThatFit() }, null, 1));
        return 0;
      }
      case 'clip': {
        if (!values.from || !values.to) throw new Error('clip needs --from and --to');
        const c = await app.clip({ from: time(values.from), to: time(values.to), fromDevice: values['from-device'] });
        console.log(c.id);
        return 0;
      }
      case 'download': {
        if (!arg || !values.out) throw new Error('download needs a clip id and --out FILE');
        const track = values.track ?? 'both';
        if (track !== 'both' && track !== 'road' && track !== 'cabin')
          throw new Error(`--track is road, cabin or both, got '${track}'`);
        const r = await app.download(arg, track, values.out);
        console.log(`${values.out}: ${r.bytes} bytes (from the ${r.from})`);
        return 0;
      }
      case 'device-settings': {
        const s = values.set?.length
          ? await app.setDeviceSettings(settingsPatch(values.set))
          : await app.deviceSettings();
        console.log(JSON.stringify(s, null, 1));
        return 0;
      }
      case 'delete': {
        if (!arg) throw new Error('delete needs a clip id');
        await app.delete(arg);
        return 0;
      }
      case 'uninstall':
        await app.uninstall();
        console.log(`removed ${dataDir}`);
        return 0;
      default:
        console.error(USAGE);
        return 2;
    }
  } finally {
    await app.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: Error) => {
    console.error(`ringclip-app: ${e.message}`);
    process.exitCode = 1;
  },
);
