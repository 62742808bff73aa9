/**
 * The whole system on one machine: the cloud service, the dashcam and the phone app, each
 * with its own residency (device memory, phone storage, cloud), driven through a scenario.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, loadConfig, type Server } from '@ringclip/cloud';
import { postgresBackend, type CloudBackend } from './cloud-backend.js';
import { Dashcam, loadScenario, scenarioDuration, type DeviceEvent } from '@ringclip/device';
import { PhoneApp, type EmergencyContact } from '@ringclip/app';
import { formatBytes, microsToIso, parseDuration } from 'ringclip';
import { LiveRun, type LiveSummary } from './live-run.js';
import type { SimulationOptions } from './options.js';
import type { Reporter, ResidencyRow } from './report.js';
import { simSettings } from './sim-settings.js';
import { UplinkRun, type UplinkSummary } from './uplink-run.js';

const PAIRING_CODE = '246810';
const SCENARIOS = new URL('../scenarios/', import.meta.url).pathname;
const SMALL_CAMERAS = [
  { name: 'road', width: 320, height: 180, fps: 30 },
  { name: 'cabin', width: 160, height: 96, fps: 15 },
];

export interface CloudClip {
  id: string;
  kind: string;
  time: string;
  /** seconds from the clip's start to the event */
  eventOffset: number | null;
  duration: number;
  size: number | null;
  state: string;
  tracks: Array<{ role: string }>;
}

export interface SimulationSummary {
  scenario: string;
  expected: Array<{ kind: string; at: string }>;
  drive: { from: number; to: number; frames: Record<string, number> };
  device: {
    drives: Array<{ id: number; first: number | null; last: number | null }>;
    events: Array<Pick<DeviceEvent, 'id' | 'kind' | 'time' | 'from' | 'to' | 'acknowledged' | 'location'>>;
  };
  phone: {
    budget: number;
    clips: Array<{
      id: string;
      kind: string;
      source: string;
      from: number | null;
      to: number | null;
      bytes: number | null;
      uploaded: boolean;
      path: string | null;
    }>;
  };
  /** stores: where the cloud kept them (--cloud) */
  cloud: { url: string; stores: 'sqlite' | 'postgres'; clips: CloudClip[] };
  /** the emergency live link, when the scenario has emergency contacts and a collision */
  live: LiveSummary | null;
  /** the dashcam's own uploads, when it has +Connectivity */
  uplink: UplinkSummary | null;
  viewer: string;
  dirs: { device: string; phone: string; cloud: string };
}

export interface Running {
  summary: SimulationSummary;
  /** stops everything (and removes the temporary folder, if one was used) */
  stop(): Promise<void>;
}

function scenarioPath(name: string): string {
  const own = join(SCENARIOS, `${name}.json`);
  return existsSync(own) ? own : name;
}

async function until(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function runSimulation(options: SimulationOptions, report: Reporter): Promise<Running> {
  const temporary = options.data === undefined;
  const root = options.data ?? mkdtempSync(join(tmpdir(), 'ringclip-sim-'));
  const dirs = { device: join(root, 'device'), phone: join(root, 'phone'), cloud: join(root, 'cloud') };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const scenario = loadScenario(scenarioPath(options.scenario));
  const sim = simSettings(scenario, options);
  const speed = sim.speed;

  let cloud: Server | null = null;
  let backend: CloudBackend | null = null;
  let device: Dashcam | null = null;
  let app: PhoneApp | null = null;
  let live: LiveRun | null = null;
  let uplink: UplinkRun | null = null;
  const stop = async () => {
    const say = (what: string) => (err: unknown) => report.line('sim', `stopping ${what}: ${(err as Error).message}`);
    await live?.close().catch(say('the live viewers'));
    await uplink?.uplink.stop().catch(say("the dashcam's connectivity"));
    await app?.close().catch(() => {});
    await device?.stopServer().catch(() => {});
    await device?.powerOff().catch(() => {});
    await cloud?.close().catch(() => {});
    await backend
      ?.close(!temporary)
      .catch((e: unknown) =>
        report.line('cloud', `could not clean up the PostgreSQL/s3rver run: ${(e as Error).message}`),
      );
    if (temporary) rmSync(root, { recursive: true, force: true });
  };

  try {
    // 1. The cloud, on 127.0.0.1: embedded SQLite and a local folder, or PostgreSQL + s3rver.
    backend = options.cloud === 'postgres' ? await postgresBackend(options.databaseUrl, dirs.cloud) : null;
    cloud = await createServer(
      loadConfig({ dataDir: dirs.cloud, port: options.cloudPort, host: '127.0.0.1' }, backend?.env ?? {}),
    );
    const cloudUrl = await cloud.listen();
    const { token } = await cloud.service.createToken('driver');
    report.line(
      'cloud',
      `service up at ${cloudUrl} (${backend?.description ?? `SQLite + local folder in ${dirs.cloud}`})`,
    );

    // 2. The dashcam powers on: a new drive recorded into its internal memory.
    device = new Dashcam({
      dataDir: dirs.device,
      memory: { capacity: options.deviceMemory },
      ...(options.cameras === 'small' ? { cameras: SMALL_CAMERAS } : {}),
      pairingCode: PAIRING_CODE,
    });
    await device.powerOn();
    const { url: deviceUrl } = await device.startServer({ port: options.devicePort });
    const info = device.store.info();
    report.line(
      'device',
      `powered on: drive ${device.drive}, ${formatBytes(info.capacity)} internal memory, cameras ${device.cameras.map((c) => c.name).join(' + ')}; Wi-Fi API ${deviceUrl}, pairing code ${device.pairingCode}`,
    );
    device.on('event', (e) =>
      report.line(
        'device',
        `${e.kind} at ${microsToIso(e.time)} (${e.peakG?.toFixed(2) ?? '-'} g): footage ${microsToIso(e.from).slice(11, 19)}..${microsToIso(e.to).slice(11, 19)} protected in internal memory`,
      ),
    );
    device.on('event-extended', (e) => {
      const x = e.triggers!.at(-1)!;
      report.line(
        'device',
        `${x.kind} at ${microsToIso(x.time)} (${x.peakG.toFixed(2)} g) inside the ${e.kind} clip: extended it to ${microsToIso(e.to).slice(11, 19)}`,
      );
    });
    device.on('overwrite', (e) => report.line('device', `loop recording overwrote ${e.frames} old ${e.stream} frames`));

    // Emergency contacts (the scenario's): a webhook inbox stands in for their phones, and
    // viewers watch the live link once it is published (by the phone, or the dashcam itself).
    const contacts: EmergencyContact[] = [];
    if (sim.contacts.length) {
      live = new LiveRun(report, join(root, 'viewers'), () => device!.clock.now(), speed, sim.lateViewerMs);
      const inbox = await live.inbox.start();
      for (const c of sim.contacts)
        contacts.push({
          name: c.name,
          ...(c.phone ? { phone: c.phone } : {}),
          ...(c.email ? { email: c.email } : {}),
          ...(c.webhook ? { webhook: inbox } : {}),
        });
    }
    if (sim.connectivity) {
      uplink = new UplinkRun(device, cloudUrl, token, sim.connectivity.monthlyBudget, contacts, report);
      uplink.uplink.on('live-link', (l) => live?.onLink(l, 'dashcam'));
      uplink.start();
    }

    // 3. The phone app: paired over Wi-Fi, signed in to the cloud. It streams the road camera
    //    live; the cabin camera stays in device memory until a clip is made of it.
    app = await PhoneApp.open({
      dataDir: dirs.phone,
      phoneStorage: options.phoneStorage,
      liveStreams: ['road'],
      eventPollMs: 250,
      reconnectMs: 250,
    });
    await app.signIn(cloudUrl, token);
    app.setEmergency({ contacts });
    const phoneUploads: string[] = [];
    app.on('uploaded', ({ id }) => phoneUploads.push(id));
    app.on('live-link', (l) => live?.onLink(l, 'phone'));
    const connectPhone = async () => {
      await app!.connect(deviceUrl, device!.pairingCode);
      await until(() => app!.connected, 15_000, 'the phone to connect to the dashcam');
    };
    if (sim.phoneLater) {
      report.line('phone', `signed in to the cloud; stays away from the dashcam during the drive (no Wi-Fi link)`);
    } else {
      await connectPhone();
      report.line(
        'phone',
        `paired with the dashcam and signed in to the cloud; budget ${formatBytes(app.budget().bytes)} (${Math.round(app.budget().share * 100)} % of ${formatBytes(app.phoneStorage)}); streaming the road camera live`,
      );
    }
    if (contacts.length)
      report.line(
        'phone',
        `emergency contacts: ${contacts.map((c) => c.name).join(', ')} (a collision publishes a live link to them)`,
      );
    app.on('event-clip', (c) =>
      report.line(
        'phone',
        `saved the ${c.kind} clip from the dashcam (${formatBytes(c.bytes)}, road + cabin + cabin audio + telemetry), acknowledged it, queued it for upload`,
      ),
    );
    app.on('uploaded', ({ id }) => report.line('cloud', `stored clip ${id} permanently`));
    app.on('evicted', (e) =>
      report.line('phone', `storage budget full: removed ${e.what} ${e.id} (${formatBytes(e.bytes)}) from the phone`),
    );
    app.on('error', (e) => report.line('phone', `error: ${e.message}`));

    // 4. The drive, at simulated speed, with a progress bar in device time.
    const total = options.duration ? parseDuration(options.duration, '--duration') / 1000 : scenarioDuration(scenario);
    const startUs = device.clock.now();
    const timer = setInterval(() => {
      const secs = (device!.clock.now() - startUs) / 1e6;
      report.progress(secs, total, `${secs.toFixed(0)} s of ${total.toFixed(0)} s (${speed}x)`);
    }, 200);
    let run;
    try {
      run = await device.run(scenario, { speed, duration: options.duration });
    } finally {
      clearInterval(timer);
    }
    report.progress(
      1,
      1,
      `done: ${((run.to - run.from) / 1e6).toFixed(0)} s driven in ${(run.realMs / 1000).toFixed(1)} s`,
    );
    report.endProgress();

    // 5. Every event clip reaches the phone; then a manual clip of cabin footage the phone
    //    never streamed, recovered from the dashcam's internal memory.
    // (An event whose clip window reaches past the end of the drive stays protected on the
    // dashcam until it is recorded: the drive ended first.)
    const events = run.events;
    const complete = events.filter((e) => e.to <= run.to);
    for (const e of events)
      if (e.to > run.to)
        report.line('device', `the ${e.kind} window ends after the drive: its clip stays protected in internal memory`);
    // The live link ends with the drive here: revoked, and checked to answer 410.
    const liveSummary =
      (await live?.finish((id) =>
        app!.liveLinks.some((l) => l.id === id) ? app!.revokeLiveLink(id) : revokeInCloud(cloudUrl, token, id),
      )) ?? null;
    if (uplink) await uplink.uplink.drained(120_000);
    if (sim.phoneLater) {
      await connectPhone();
      report.line('phone', 'connected to the dashcam after the drive');
      await app.syncEvents();
    }
    // Every complete event's clip is somewhere safe: the phone has it, or the dashcam uploaded it (both acknowledge it).
    await until(
      () => complete.every((e) => device!.event(e.id)?.acknowledged),
      120_000,
      'every event clip on the phone or in the cloud',
    );
    const anchor = events[events.length - 1]?.time ?? run.to - 10e6;
    const cabinFrom = Math.max(run.from, anchor - 8e6),
      cabinTo = Math.min(run.to, anchor + 2e6);
    const manual = await app.clip({
      from: cabinFrom,
      to: cabinTo,
      fromDevice: true,
      streams: ['cabin'],
      title: 'Cabin view recovered from the dashcam',
    });
    report.line(
      'phone',
      `made a manual clip of cabin footage from device memory (${formatBytes(manual.bytes)}, ${microsToIso(manual.from).slice(11, 19)}..${microsToIso(manual.to).slice(11, 19)})`,
    );
    await app.uploaded(undefined, 180_000);

    // Hours that fit, at the bitrates just recorded (Nexar's storage setting shows this).
    const fit = app.hoursThatFit();
    const deviceHours = device.status().storage.hoursThatFit;
    const hours = (h: number | null) =>
      h === null ? '?' : h < 1 ? `${Math.round(h * 60)} min` : `${h >= 10 ? h.toFixed(0) : h.toFixed(1)} h`;
    if (fit.bytesPerSecond !== null)
      report.line(
        'phone',
        `hours that fit: ${hours(fit.budget)} of driving in the ${formatBytes(app.budget().bytes)} budget at the measured ${((fit.bytesPerSecond * 8) / 1e6).toFixed(1)} Mbit/s (road), ${formatBytes(fit.clipReserveBytes)} kept for clips`,
      );
    report.line(
      'device',
      `hours that fit: ${hours(deviceHours)} of driving in ${formatBytes(device.store.info().capacity)} internal memory (road + cabin)`,
    );

    // 6. The summary: what each residency holds.
    await app.refreshDeviceDrives();
    const cloudClips = await listCloudClips(cloudUrl, token);
    const phoneClips = await app.clips();
    const summary: SimulationSummary = {
      scenario: scenario.name,
      expected: (scenario as unknown as { expect?: Array<{ kind: string; at: string }> }).expect ?? [],
      drive: { from: run.from, to: run.to, frames: run.frames },
      device: {
        drives: device.store.info().drives.map((d) => ({ id: d.id, first: d.first, last: d.last })),
        events: device.events.map((e) => ({
          id: e.id,
          kind: e.kind,
          time: e.time,
          from: e.from,
          to: e.to,
          acknowledged: e.acknowledged,
          location: e.location ?? null,
        })),
      },
      phone: {
        budget: app.budget().bytes,
        clips: phoneClips.map((c) => ({
          id: c.id,
          kind: c.kind,
          source: c.source,
          from: c.from,
          to: c.to,
          bytes: c.bytes,
          uploaded: c.uploaded,
          path: c.path,
        })),
      },
      cloud: { url: cloudUrl, stores: options.cloud, clips: cloudClips },
      live: liveSummary,
      uplink: uplink?.summary(phoneUploads) ?? null,
      viewer: `${cloudUrl}/?token=${encodeURIComponent(token)}`,
      dirs,
    };
    report.table(rows(device, app, summary));
    return { summary, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function revokeInCloud(url: string, token: string, id: string): Promise<void> {
  const res = await fetch(`${url}/v1/live/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`the cloud did not revoke live link ${id}: HTTP ${res.status}`);
}

async function listCloudClips(url: string, token: string): Promise<CloudClip[]> {
  const res = await fetch(`${url}/v1/clips?limit=200`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`the cloud did not list the clips: HTTP ${res.status}`);
  return ((await res.json()) as { clips: CloudClip[] }).clips;
}

function rows(device: Dashcam, app: PhoneApp, s: SimulationSummary): ResidencyRow[] {
  const out: ResidencyRow[] = [];
  const info = device.store.info();
  for (const d of info.drives) {
    out.push({
      residency: 'device',
      what: 'drive',
      id: `#${d.id}`,
      kind: d.streams.join('+'),
      from: d.first,
      to: d.last,
      bytes: null,
      note: `${d.frames} frames in ${formatBytes(info.used)} of ${formatBytes(info.capacity)} internal memory`,
    });
  }
  for (const e of device.events) {
    const by =
      e.cloudClip && s.uplink?.clips.includes(e.cloudClip)
        ? 'uploaded by the dashcam itself'
        : 'acknowledged by the phone';
    out.push({
      residency: 'device',
      what: 'clip',
      id: e.id,
      kind: e.kind,
      from: e.from,
      to: e.to,
      bytes: null,
      note: e.acknowledged ? `${by}: protection released` : 'protected until the phone has it',
    });
  }
  for (const d of app.drives()) {
    const streams = Object.entries(d.onPhone)
      .filter(([, list]) => list.length > 0)
      .map(([stream]) => stream);
    const missing = Object.entries(d.recoverable)
      .filter(([, list]) => list.length > 0)
      .map(([stream]) => stream);
    out.push({
      residency: 'phone',
      what: 'drive',
      id: `#${d.id}`,
      kind: streams.join('+'),
      from: d.from,
      to: d.to,
      bytes: null,
      note: missing.length
        ? `the device still has the rest (${missing.join(', ')})`
        : d.onDevice
          ? 'complete'
          : 'the device no longer has the rest',
    });
  }
  for (const c of s.phone.clips) {
    out.push({
      residency: 'phone',
      what: 'clip',
      id: c.id.slice(0, 8),
      kind: c.kind,
      from: c.from,
      to: c.to,
      bytes: c.bytes,
      note: `${c.source === 'device' ? 'from device memory' : c.source}; ${c.uploaded ? 'uploaded' : 'not yet uploaded'}`,
    });
  }
  for (const c of s.cloud.clips) {
    const t = Date.parse(c.time) * 1000 - Math.round((c.eventOffset ?? 0) * 1e6);
    const by = s.uplink?.clips.includes(c.id) ? '; uploaded by the dashcam (cellular)' : '';
    out.push({
      residency: 'cloud',
      what: 'clip',
      id: c.id.slice(0, 8),
      kind: c.kind,
      from: t,
      to: t + c.duration * 1e6,
      bytes: c.size,
      note: `${c.tracks.map((x) => x.role).join(' + ')}; ${c.state}${by}`,
    });
  }
  if (s.live) {
    const lags = s.live.viewers
      .map((v) => v.medianLagSeconds)
      .filter((x) => x !== null)
      .map((x) => x.toFixed(2));
    out.push({
      residency: 'cloud',
      what: 'live',
      id: s.live.id.slice(0, 8),
      kind: `live ${s.live.streams.join('+')}`,
      from: null,
      to: null,
      bytes: s.live.viewers.reduce((n, v) => n + v.bytes, 0),
      note: `from the ${s.live.by}; ${s.live.viewers.length} viewers (${lags.join(' s, ')} s behind at arrival); ${s.live.notices.length} webhook notices; revoked → ${s.live.afterRevoke}`,
    });
  }
  return out;
}
