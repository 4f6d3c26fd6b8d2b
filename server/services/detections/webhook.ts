// The alert webhook (docs/detections.md): every alert the sink keeps is also POSTed as JSON
// (core/api/admin-alerts.ts AlertWebhookBody: the alert as the admin API shows it, no secrets) to
// one HTTPS endpoint — a SOAR, a chat bridge, an on-call tool. The body is signed with Ed25519 in
// the X-Viworks-Signature header exactly like the SIEM HTTPS bodies (audit/shipping/body-signature.ts:
// verify the raw body with the published public key); by default with the SIEM shipping key, whose
// public half is <dataDir>/audit/siem-shipping.pub.pem, or with the key in `keyFile`.
//
// It never holds the engine up: enqueue() only appends to a bounded queue; one worker posts in
// order, each alert up to maxAttempts times with jittered exponential backoff (Retry-After is
// honoured within the cap) on timeouts, resets, 408, 429 and 5xx. Refusals that retrying cannot fix
// (other 4xx, a redirect, a certificate the trust anchors do not vouch for) give up at once. An alert
// the webhook could not post is still in the alert list and the audit stream; each one is logged,
// and a full queue is counted and logged once per episode. The server's certificate is always
// verified (TLS 1.2 or later: webhook receivers are often behind load balancers we do not run):
// against caFile alone when it is set (a private CA), otherwise the system's roots. One attempt and
// what its outcome means: webhook-post.ts.
import { createPrivateKey, createPublicKey, sign, X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { Agent } from 'node:https';
import { type Static, Type } from 'typebox';
import { type AlertViewT, AlertWebhookBody, type AlertWebhookBodyT } from '../../../core/api/admin-alerts.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { closed, strictValidator } from '../../../core/schema/strict.js';
import type { BodySigningKey } from '../audit/shipping/body-signature.js';
import { loadOrCreateShippingKey } from '../audit/shipping/shipping-key.js';
import { keyIdOf } from '../audit/signer.js';
import { postSigned } from './webhook-post.js';

const Path = Type.String({ minLength: 1, maxLength: 4096 });
export const AlertWebhookSettingsSchema = Type.Object(
  {
    /** https:// only; no user:password@ (put a credential in the query only if the receiver insists). */
    url: Type.String({ minLength: 9, maxLength: 2048, pattern: '^https://[\\x21-\\x7E]+$' }),
    /** Ed25519 private key (PKCS#8 PEM, mode 0600) signing the bodies; null: the SIEM shipping key. */
    keyFile: Type.Union([Path, Type.Null()]),
    /** The only trust anchors for the receiver's certificate (a private CA); null: the system roots. */
    caFile: Type.Union([Path, Type.Null()]),
    /** One attempt, connect to the answer's last byte. */
    timeoutMs: Type.Integer({ minimum: 100, maximum: 60_000 }),
    maxAttempts: Type.Integer({ minimum: 1, maximum: 20 }),
    /** Alerts waiting to be posted; beyond it new ones are not queued (counted, logged). */
    queueMax: Type.Integer({ minimum: 1, maximum: 10_000 }),
  },
  closed,
);
export type AlertWebhookSettings = Static<typeof AlertWebhookSettingsSchema>;

export const DEFAULT_ALERT_WEBHOOK_SETTINGS: Omit<AlertWebhookSettings, 'url'> = {
  keyFile: null,
  caFile: null,
  timeoutMs: 5000,
  maxAttempts: 5,
  queueMax: 256,
};

const SETTING = 'detections.webhook';
const settingsValidator = strictValidator(AlertWebhookSettingsSchema);
const configError = (detail: string) =>
  new ViworksError('VIW_E_CONFIG', { details: [`${SETTING}.${detail}`] });

/**
 * The webhook section with defaults filled in, or null when it is absent (no webhook). Throws
 * VIW_E_CONFIG naming the setting (never the URL, which may carry a token).
 */
export function parseAlertWebhookSettings(section: unknown): AlertWebhookSettings | null {
  if (section === null || section === undefined) return null;
  const given = typeof section === 'object' && !Array.isArray(section) ? section : { url: section };
  const merged = settingsValidator.parse({ ...DEFAULT_ALERT_WEBHOOK_SETTINGS, ...given }, 'VIW_E_CONFIG');
  let url: URL;
  try {
    url = new URL(merged.url);
  } catch {
    throw configError('url: not a URL');
  }
  if (url.protocol !== 'https:') throw configError('url: https only');
  if (url.username || url.password) throw configError('url: no user or password in the URL');
  if (url.hash) throw configError('url: no #fragment');
  return merged;
}

/** The signing key from a PKCS#8 PEM file of the operator's (not others-readable, Ed25519). */
export function loadWebhookSigningKey(path: string): BodySigningKey {
  let bytes: Buffer;
  try {
    if ((statSync(path).mode & 0o077) !== 0)
      throw configError(`keyFile: readable by others (chmod 600): ${path}`);
    bytes = readFileSync(path);
  } catch (err) {
    if (err instanceof ViworksError) throw err;
    throw configError(`keyFile: not readable: ${path}`);
  }
  try {
    const privateKey = createPrivateKey({ key: bytes, format: 'pem' });
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
    return { keyId: keyIdOf(createPublicKey(privateKey)), sign: (data) => sign(null, data, privateKey) };
  } catch {
    throw configError(`keyFile: not an Ed25519 PKCS#8 PEM key: ${path}`);
  } finally {
    bytes.fill(0);
  }
}

function readCa(path: string): Buffer {
  try {
    const pem = readFileSync(path);
    new X509Certificate(pem);
    return pem;
  } catch {
    throw configError(`caFile: not a readable PEM certificate: ${path}`);
  }
}

export interface AlertWebhookStats {
  /** Waiting, the one in flight included. */
  readonly queued: number;
  readonly delivered: number;
  /** Given up on: attempts used up, or refused for good. */
  readonly failed: number;
  /** Not queued because the queue was full. */
  readonly overflowed: number;
  readonly lastError: string | null;
}

export interface AlertWebhook {
  /** Queues one alert; false when the queue is full (counted and logged). Never waits. */
  enqueue(alert: AlertViewT): boolean;
  stats(): AlertWebhookStats;
  /** Resolves once nothing waits and nothing is in flight. */
  drained(): Promise<void>;
  /** Stops posting (an attempt in flight is cut off); what still waits is logged and forgotten. */
  stop(): Promise<void>;
}

export interface AlertWebhookLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface AlertWebhookOptions {
  readonly settings: AlertWebhookSettings;
  /** The deployment the alerts come from (config audit.env/site/tenant). */
  readonly origin: Pick<AlertWebhookBodyT, 'env' | 'site' | 'tenant_id'>;
  readonly log: AlertWebhookLog;
  /** Where the SIEM shipping key lives, used when neither signingKey nor settings.keyFile is given. */
  readonly dataDir?: string;
  readonly signingKey?: BodySigningKey;
  /** Delay before attempt n+1: up to base·2^(n−1), capped (defaults 500 ms, 30 s). */
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  /** Uniform in [0, 1), for jitter. */
  readonly random?: () => number;
}

const bodyValidator = strictValidator(AlertWebhookBody);

function signingKeyOf(opts: AlertWebhookOptions): BodySigningKey {
  if (opts.signingKey) return opts.signingKey;
  if (opts.settings.keyFile !== null) return loadWebhookSigningKey(opts.settings.keyFile);
  if (opts.dataDir !== undefined) return loadOrCreateShippingKey(opts.dataDir);
  throw configError('keyFile: required when no data directory holds the shipping key');
}

export function createAlertWebhook(opts: AlertWebhookOptions): AlertWebhook {
  const { settings, log } = opts;
  const url = new URL(settings.url);
  /** How the receiver is named in logs: scheme, host and port only (the path or query may hold a token). */
  const where = url.origin;
  const key = signingKeyOf(opts);
  const agent = new Agent({
    keepAlive: true,
    maxSockets: 1,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
    ...(settings.caFile !== null ? { ca: readCa(settings.caFile) } : {}),
  });
  const base = opts.backoffBaseMs ?? 500;
  const cap = opts.backoffCapMs ?? 30_000;
  const random = opts.random ?? Math.random;

  const queue: AlertViewT[] = [];
  const counts = { delivered: 0, failed: 0, overflowed: 0 };
  let lastError: string | null = null;
  let overflowing = false;
  let overflowAtStart = 0;
  let stopped = false;
  let worker: Promise<void> | null = null;
  let inFlight: { cancel(): void } | null = null;
  const target = { url, agent, key, timeoutMs: settings.timeoutMs, setting: SETTING };
  let wake: (() => void) | null = null;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });

  function delayMs(attempt: number, retryAfterMs: number | null): number {
    const backoff = Math.min(cap, base * 2 ** (attempt - 1));
    const jittered = backoff / 2 + random() * (backoff / 2);
    return Math.min(cap, Math.max(jittered, retryAfterMs ?? 0));
  }

  async function deliver(alert: AlertViewT): Promise<void> {
    const envelope = { v: 1, type: 'viworks.alert', ...opts.origin, alert };
    if (!bodyValidator.check(envelope)) {
      counts.failed++;
      log.error(
        `alert webhook: alert ${alert.id} (${alert.rule}) does not match the webhook body schema; not posted`,
      );
      return;
    }
    const body = Buffer.from(JSON.stringify(envelope), 'utf8');
    for (let attempt = 1; !stopped; attempt++) {
      const outcome = await postSigned(target, body, (attempt) => {
        inFlight = attempt;
      });
      inFlight = null;
      if (stopped) return;
      if (outcome.ok) {
        counts.delivered++;
        return;
      }
      lastError = outcome.why;
      if (!outcome.retryable || attempt >= settings.maxAttempts) {
        counts.failed++;
        log.warn(
          `alert webhook: gave up on alert ${alert.id} (${alert.rule}) after ${attempt} attempt(s) to ${where}: ${outcome.why}`,
        );
        return;
      }
      await pause(delayMs(attempt, outcome.retryAfterMs));
    }
  }

  async function work(): Promise<void> {
    while (!stopped && queue.length > 0) {
      await deliver(queue[0]!);
      if (stopped) break; // the one cut off counts among those not posted
      queue.shift();
      if (overflowing && queue.length <= settings.queueMax / 2) {
        overflowing = false;
        log.info(
          `alert webhook: queue has room again; ${counts.overflowed - overflowAtStart} alert(s) were not posted (they are in the alert list and the audit stream)`,
        );
      }
    }
    worker = null;
  }

  return {
    enqueue(alert) {
      if (stopped) return false;
      if (queue.length >= settings.queueMax) {
        counts.overflowed++;
        if (!overflowing) {
          overflowing = true;
          overflowAtStart = counts.overflowed - 1;
          log.warn(
            `alert webhook: queue full (${settings.queueMax}) while ${where} is slow or down: alert ${alert.id} (${alert.rule}) not posted; more are counted until it drains`,
          );
        }
        return false;
      }
      queue.push(alert);
      worker ??= work();
      return true;
    },
    stats: () => ({ queued: queue.length, ...counts, lastError }),
    async drained() {
      while (worker) await worker;
    },
    async stop() {
      stopped = true;
      wake?.();
      inFlight?.cancel();
      await worker;
      if (queue.length > 0) log.warn(`alert webhook: stopped with ${queue.length} alert(s) not posted`);
      queue.length = 0;
      agent.destroy();
    },
  };
}
