/**
 * How an emergency live link reaches the people the driver chose (up to 10 contacts).
 * Delivery is pluggable: the default writes a log line for every contact and POSTs a JSON
 * notice to each contact's webhook (a relay to SMS, mail or a chat). A failed delivery is
 * recorded on the link and logged, never dropped silently.
 */
import { badRequest } from '../errors.js';

export interface EmergencyContact {
  name: string;
  /** http(s) URL that receives the notice as a JSON POST */
  webhook?: string;
  /** shown in the log line; a real deployment hands it to an SMS gateway */
  phone?: string;
  email?: string;
}

export interface LiveNotice {
  /** the share link: anyone holding it watches live until it expires or is revoked */
  url: string;
  expiresAt: string;
  /** who sends it (the account's name) */
  from: string;
  /** what happened, as the publisher said (e.g. { kind: 'collision', time }) */
  event: { kind: string; time: string } | null;
}

export interface Delivery {
  contact: string;
  via: 'log' | 'webhook';
  ok: boolean;
  error?: string;
}

export interface Notifier {
  notify(contact: EmergencyContact, notice: LiveNotice): Promise<Delivery[]>;
}

export const MAX_CONTACTS = 10;

/** A log line per contact: the delivery that always works (and what the simulation shows). */
export class LogNotifier implements Notifier {
  constructor(private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {}
  notify(contact: EmergencyContact, notice: LiveNotice): Promise<Delivery[]> {
    const to = [contact.name, contact.phone, contact.email].filter(Boolean).join(' ');
    const what = notice.event ? `${notice.event.kind} at ${notice.event.time}` : 'an emergency';
    this.write(
      `ringclip-cloud: live link for ${to} from ${notice.from} (${what}): ${notice.url} (until ${notice.expiresAt})`,
    );
    return Promise.resolve([{ contact: contact.name, via: 'log', ok: true }]);
  }
}

/** POSTs `{ type: 'emergency-live-link', contact, ...notice }` to the contact's webhook. */
export class WebhookNotifier implements Notifier {
  constructor(private readonly timeoutMs = 5000) {}
  async notify(contact: EmergencyContact, notice: LiveNotice): Promise<Delivery[]> {
    if (!contact.webhook) return [];
    try {
      const res = await fetch(contact.webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        redirect: 'error',
        body: JSON.stringify({ type: 'emergency-live-link', contact: contact.name, ...notice }),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await res.arrayBuffer();
      return [
        { contact: contact.name, via: 'webhook', ok: res.ok, ...(res.ok ? {} : { error: `HTTP ${res.status}` }) },
      ];
    } catch (err) {
      return [{ contact: contact.name, via: 'webhook', ok: false, error: (err as Error).message }];
    }
  }
}

/** Several notifiers, each asked for every contact. */
export class Notifiers implements Notifier {
  constructor(private readonly list: Notifier[]) {}
  async notify(contact: EmergencyContact, notice: LiveNotice): Promise<Delivery[]> {
    return (await Promise.all(this.list.map((n) => n.notify(contact, notice)))).flat();
  }
}

export const defaultNotifier = (): Notifier => new Notifiers([new LogNotifier(), new WebhookNotifier()]);

/** Checks a request's `contacts` (at most 10; names; webhooks are http(s) URLs). */
export function parseContacts(v: unknown): EmergencyContact[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > MAX_CONTACTS)
    throw badRequest(`contacts must be a list of at most ${MAX_CONTACTS} contacts`);
  return v.map((c: unknown, i) => {
    const o = c as Record<string, unknown>;
    if (!o || typeof o !== 'object' || typeof o.name !== 'string' || !o.name || o.name.length > 100)
      throw badRequest(`contacts[${i}].name must be a non-empty string (up to 100 characters)`);
    for (const k of Object.keys(o))
      if (!['name', 'webhook', 'phone', 'email'].includes(k))
        throw badRequest(`contacts[${i}]: unknown field ${k} (name, webhook, phone, email)`);
    for (const k of ['phone', 'email'] as const)
      if (o[k] !== undefined && (typeof o[k] !== 'string' || (o[k] as string).length > 200))
        throw badRequest(`contacts[${i}].${k} must be a string`);
    if (o.webhook !== undefined) {
      let u: URL | null = null;
      try {
        u = typeof o.webhook === 'string' ? new URL(o.webhook) : null;
      } catch {
        u = null; // not a URL: the 400 below says so
      }
      if (typeof o.webhook !== 'string' || !u || (u.protocol !== 'http:' && u.protocol !== 'https:'))
        throw badRequest(`contacts[${i}].webhook must be an http or https URL`);
    }
    return o as unknown as EmergencyContact;
  });
}
