/**
 * The +Connectivity part of a simulation: the dashcam's own cellular link to the cloud
 * (packages/device/src/connectivity.ts), what it reports, and the check that the phone,
 * connecting later, finds those clips in the cloud and uploads none of them again.
 */
import type { EmergencyContact } from '@ringclip/app';
import { Connectivity, type Dashcam } from '@ringclip/device';
import { formatBytes } from 'ringclip';
import type { Reporter } from './report.js';

export interface UplinkSummary {
  month: string;
  /** cellular bytes used this month, and the budget */
  used: number;
  budget: number;
  /** cloud clip ids the dashcam uploaded */
  clips: string[];
  /** of those, how many the phone's upload queue also completed (under the same cloud id) */
  phoneUploadedAgain: number;
}

export class UplinkRun {
  readonly uplink: Connectivity;
  readonly clips: string[] = [];

  constructor(
    device: Dashcam,
    cloudUrl: string,
    token: string,
    monthlyBudget: string,
    contacts: EmergencyContact[],
    private readonly report: Reporter,
  ) {
    this.uplink = new Connectivity(device, {
      cloudUrl,
      token,
      monthlyBudget,
      contacts,
      liveOnCollision: contacts.length > 0,
      backoffMs: 250,
    });
    this.uplink.on('uploaded', (u) => {
      this.clips.push(u.clip);
      report.line(
        'device',
        `uploaded the clip of ${u.event} over cellular (${formatBytes(u.bytes)}): cloud clip ${u.clip.slice(0, 8)}; acknowledged it itself`,
      );
    });
    this.uplink.on('budget-exhausted', (b) =>
      report.line(
        'device',
        `cellular data budget used up for ${b.month} (${formatBytes(b.used)} of ${formatBytes(b.budget)}): uploads wait for next month or the phone`,
      ),
    );
    this.uplink.on('error', (e) => report.line('device', `connectivity: ${e.message}`));
    report.line(
      'device',
      `+Connectivity: uploads its event clips itself, ${formatBytes(this.uplink.budget)} of cellular data a month`,
    );
  }

  start(): void {
    this.uplink.start();
  }

  /** `phoneUploads`: the clip ids the phone's upload queue completed. */
  summary(phoneUploads: string[]): UplinkSummary {
    const s = this.uplink.status();
    const again = phoneUploads.filter((id) => this.clips.includes(id));
    // A phone that fetched one of these clips before the dashcam acknowledged it queues it under the same cloud id: one clip, not two.
    this.report.line(
      'device',
      `cellular data used in ${s.month}: ${formatBytes(s.used)} of ${formatBytes(s.budget)}; ${this.clips.length} clips uploaded by the dashcam${again.length ? `, ${again.length} of them also in the phone's upload queue (the same cloud id: no second clip)` : ''}`,
    );
    return { month: s.month, used: s.used, budget: s.budget, clips: [...this.clips], phoneUploadedAgain: again.length };
  }
}
