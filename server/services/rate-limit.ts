// Fixed-window rate limits in the shared store, so every backend instance counts together.
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { KvStore } from '../kv/kv-store.js';

export interface RateRule {
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
}

export class RateLimiter {
  constructor(private readonly kv: KvStore) {}

  /** Counts one hit for `subject` (an IP, a username hash…) and throws VIW_E_RATE_LIMITED past the limit. */
  async hit(rule: RateRule, subject: string): Promise<void> {
    const count = await this.kv.incr(`rl:${rule.name}:${subject}`, rule.windowMs);
    if (count > rule.limit) throw new ViworksError('VIW_E_RATE_LIMITED');
  }
}

/** Per-source-IP limits on unauthenticated entry points (lessons.md: from day one). */
export const RATE_RULES = {
  auth: { name: 'auth', limit: 30, windowMs: 60_000 },
  enroll: { name: 'enroll', limit: 10, windowMs: 60_000 },
  mobile: { name: 'mobile', limit: 60, windowMs: 60_000 },
  /** POST /device/events per address: above the per-device cap, so desktops behind one NAT all report. */
  deviceEvents: { name: 'device-events', limit: 120, windowMs: 60_000 },
  /** POST /device/events per signing device, counted once its signature verified. */
  deviceEventsPerDevice: { name: 'device-events-device', limit: 30, windowMs: 60_000 },
  adminLogin: { name: 'admin-login', limit: 10, windowMs: 60_000 },
  /** The phone app's files: a page load is ~8 requests; a phone reloads a few times at most. */
  phoneApp: { name: 'phone-app', limit: 120, windowMs: 60_000 },
  /** The admin panel's files: a page load is 4 requests (page, script, style, icon). */
  adminUi: { name: 'admin-ui', limit: 120, windowMs: 60_000 },
  /** Unknown paths: scanners walk them; one address may miss a few, not crawl. */
  notFound: { name: 'not-found', limit: 60, windowMs: 60_000 },
} as const satisfies Record<string, RateRule>;
