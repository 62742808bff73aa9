/** The simulation's options: `npm start -- --help`. */
import { parseArgs } from 'node:util';
import { DEFAULT_DATABASE_URL } from './cloud-backend.js';

export interface SimulationOptions {
  /** a scenario name (demo-drive, commute, hard-brake-collision, parked-bump) or a JSON file */
  scenario: string;
  /** how much of the scenario to drive (default: all of it) */
  duration?: string;
  /** multiple of real time (default: the scenario's, else 20) */
  speed?: number;
  /** the dashcam has +Connectivity: it uploads its event clips itself */
  connectivity: boolean;
  /** its data budget per month (default 1GiB) */
  dataBudget?: string;
  /** the phone connects only after the drive */
  phoneLater: boolean;
  /** the dashcam's internal memory */
  deviceMemory: string;
  /** the simulated phone's total storage (the app's budget is 50 % of it by default) */
  phoneStorage: string;
  /** camera sizes: 'default' (road 1280x720@30, cabin 640x360@15) or 'small' (quick runs) */
  cameras: 'default' | 'small';
  /** the cloud's stores: sqlite (SQLite + a folder) or postgres (PostgreSQL + s3rver, as at scale) */
  cloud: 'sqlite' | 'postgres';
  /** PostgreSQL for --cloud postgres */
  databaseUrl: string;
  cloudPort: number;
  devicePort: number;
  /** stop after the summary instead of serving the viewer */
  exit: boolean;
  /** keep the residencies under DIR/device, DIR/phone and DIR/cloud (default: a temp folder) */
  data?: string;
  /** print the summary as JSON too (for tests and scripts) */
  json: boolean;
}

export const HELP = `ringclip simulation — a whole drive through the dashcam, the phone app and the cloud

Usage: npm start -- [options]

  --scenario NAME|FILE   drive scenario (default demo-drive: 3 minutes with a hard brake
                         and a collision; also commute, hard-brake-collision, parked-bump
                         (parking mode: timelapse, then a bump), collision-live (the
                         phone publishes an emergency live link; contacts watch it),
                         connected-camera (a dashcam with +Connectivity, no phone during
                         the drive), or a JSON file)
  --duration TIME        drive only this much of it (e.g. 60s, 2m)
  --speed N              simulated speed, a multiple of real time (default 20; the
                         collision-live scenario runs in real time: its latency is real)
  --connectivity         the dashcam has +Connectivity: it uploads its event clips to the
                         cloud itself over cellular (and publishes the live link)
  --data-budget SIZE     its cellular data per month (default 1GiB)
  --phone-later          the phone connects only after the drive (it then finds the
                         clips in the cloud already and uploads none of them again)
  --device-memory SIZE   the dashcam's internal memory (default 1GiB)
  --phone-storage SIZE   the phone's storage; the app keeps 50 % of it (default 2GiB)
  --cameras default|small  camera sizes (small: 320x180 road, 160x96 cabin; quick runs)
  --cloud sqlite|postgres  the cloud's stores: sqlite (default: SQLite + a local folder) or
                         postgres (this machine's PostgreSQL + an S3 server, s3rver, started
                         on 127.0.0.1: the way the cloud runs with several instances)
  --database-url URL     PostgreSQL for --cloud postgres (default: $DATABASE_URL, else
                         postgres://postgres@127.0.0.1:5432/test); a schema of its own per run,
                         dropped at exit unless --data keeps the run
  --cloud-port N         the cloud service's port on 127.0.0.1 (default 0: any free port)
  --device-port N        the dashcam's Wi-Fi API port on 127.0.0.1 (default 0)
  --data DIR             keep the three residencies in DIR/device, DIR/phone, DIR/cloud
                         (default: a temporary folder, removed at exit)
  --exit                 stop after the summary instead of serving the web viewer
  --json                 also print the summary as one JSON line (after the table)
  -h, --help             this text`;

export class UsageError extends Error {}

export function parseOptions(argv: string[]): SimulationOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        scenario: { type: 'string' },
        duration: { type: 'string' },
        speed: { type: 'string' },
        'device-memory': { type: 'string' },
        'phone-storage': { type: 'string' },
        cameras: { type: 'string' },
        connectivity: { type: 'boolean' },
        'data-budget': { type: 'string' },
        'phone-later': { type: 'boolean' },
        cloud: { type: 'string' },
        'database-url': { type: 'string' },
        'cloud-port': { type: 'string' },
        'device-port': { type: 'string' },
        data: { type: 'string' },
        exit: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return 'help';
  const num = (v: string | undefined, name: string, dflt: number, min: number, max: number) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new UsageError(`--${name} must be a number from ${min} to ${max}, got '${v}'`);
    return n;
  };
  const cameras = values.cameras ?? 'default';
  if (cameras !== 'default' && cameras !== 'small')
    throw new UsageError(`--cameras is default or small, got '${cameras}'`);
  const cloud = values.cloud ?? 'sqlite';
  if (cloud !== 'sqlite' && cloud !== 'postgres') throw new UsageError(`--cloud is sqlite or postgres, got '${cloud}'`);
  return {
    scenario: values.scenario ?? 'demo-drive',
    duration: values.duration,
    speed: values.speed === undefined ? undefined : num(values.speed, 'speed', 20, 0.1, 1000),
    connectivity: values.connectivity === true,
    dataBudget: values['data-budget'],
    phoneLater: values['phone-later'] === true,
    deviceMemory: values['device-memory'] ?? '1GiB',
    phoneStorage: values['phone-storage'] ?? '2GiB',
    cameras,
    cloud,
    databaseUrl: values['database-url'] ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    cloudPort: num(values['cloud-port'], 'cloud-port', 0, 0, 65535),
    devicePort: num(values['device-port'], 'device-port', 0, 0, 65535),
    exit: values.exit === true,
    data: values.data,
    json: values.json === true,
  };
}
