/**
 * The collision-with-live-link part of a simulation: the contacts' webhook inbox, a viewer
 * as soon as a link is published and a second one later (it must start at the newest key
 * frame), then the link revoked at the end and checked to answer 410.
 */
import { mkdirSync } from 'node:fs';
import type { LiveLink } from '@ringclip/app';
import { LinkViewer, median, NoticeInbox, type Notice } from './live-watch.js';
import type { Reporter } from './report.js';

export interface LiveSummary {
  by: 'phone' | 'dashcam';
  id: string;
  url: string;
  streams: string[];
  contacts: number;
  notices: Array<Pick<Notice, 'contact' | 'url'>>;
  viewers: Array<{
    name: string;
    fragments: number;
    bytes: number;
    medianLagSeconds: number | null;
    maxLagSeconds: number | null;
    startedSecondsIn: number | null;
    ended: string | null;
  }>;
  /** what the link answers after it was revoked */
  afterRevoke: number | null;
}

export class LiveRun {
  readonly inbox: NoticeInbox;
  #viewers: LinkViewer[] = [];
  #ended: Array<Promise<unknown>> = [];
  #link: (LiveLink & { by: 'phone' | 'dashcam' }) | null = null;
  #late: NodeJS.Timeout | null = null;

  constructor(
    private readonly report: Reporter,
    private readonly dir: string,
    private readonly deviceNow: () => number,
    private readonly speed: number,
    private readonly lateAfterMs: number,
  ) {
    mkdirSync(dir, { recursive: true });
    this.inbox = new NoticeInbox((n) => report.line('contact', `${n.contact} got the live link ${n.url} (webhook)`));
  }

  get link(): LiveLink | null {
    return this.#link;
  }

  /** A link was published (by the phone or the dashcam): watch it now, and again later. */
  onLink(link: LiveLink, by: 'phone' | 'dashcam'): void {
    if (this.#link) return;
    this.#link = { ...link, by };
    this.report.line(
      'cloud',
      `emergency live link from the ${by}: ${link.url} (${link.streams.join(' + ')}, until ${link.expiresAt.slice(11, 19)} UTC), sent to ${link.contacts} contacts`,
    );
    this.#watch('viewer-1');
    this.#late = setTimeout(() => this.#watch('viewer-2 (late)'), this.lateAfterMs);
  }

  #watch(name: string): void {
    const v = new LinkViewer(name, this.#link!.url, this.dir, this.deviceNow, this.speed);
    this.#viewers.push(v);
    v.start();
    // The one place a viewer's failure is reported; finish() waits for these.
    this.#ended.push(
      v.done.catch((err: unknown) => this.report.line('contact', `${name} failed: ${(err as Error).message}`)),
    );
  }

  /** Revokes the link (`revoke`), lets the viewers see it end, and sums up. */
  async finish(revoke: (id: string) => Promise<void>): Promise<LiveSummary | null> {
    if (this.#late) clearTimeout(this.#late);
    const link = this.#link;
    if (!link) return null;
    await revoke(link.id);
    await Promise.all(this.#ended);
    const after = await fetch(link.url);
    await after.arrayBuffer();
    this.report.line('cloud', `revoked the live link: it answers ${after.status} now`);
    const first = Math.min(...this.#viewers.map((v) => v.result.first ?? Infinity));
    const viewers = this.#viewers.map(({ result: r }) => ({
      name: r.name,
      fragments: r.fragments,
      bytes: r.bytes,
      medianLagSeconds: median(r.lags),
      maxLagSeconds: r.lags.length ? Math.max(...r.lags) : null,
      startedSecondsIn: r.first === null ? null : (r.first - first) / 1e6,
      ended: r.ended,
    }));
    for (const v of viewers) {
      this.report.line(
        'contact',
        `${v.name}: ${v.fragments} fragments from ${v.startedSecondsIn?.toFixed(1) ?? '?'} s into the stream, newest picture ${v.medianLagSeconds?.toFixed(2) ?? '?'} s behind the camera at arrival (median; max ${v.maxLagSeconds?.toFixed(2) ?? '?'} s); stream ${v.ended ?? 'open'}`,
      );
    }
    return {
      by: link.by,
      id: link.id,
      url: link.url,
      streams: link.streams,
      contacts: link.contacts,
      notices: this.inbox.notices.map((n) => ({ contact: n.contact, url: n.url })),
      viewers,
      afterRevoke: after.status,
    };
  }

  async close(): Promise<void> {
    if (this.#late) clearTimeout(this.#late);
    await Promise.all(this.#viewers.map((v) => v.stop()));
    await this.inbox.close();
  }
}
