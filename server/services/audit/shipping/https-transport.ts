// The secondary shipping path (pki-siem §2.2/§4.4, siem/README.md#https-bulk): HTTPS bulk to
// Elasticsearch (`_bulk`) or Splunk HEC (`/services/collector/event`), every body signed with the
// shipping key (body-signature.ts). TLS 1.3 only, and the receiver is trusted through
// siem.https.caFile alone, never the system store. A batch resolves only when the receiver answered
// for every record; anything unclear (garbage, a cut-off answer, a reset) is a retryable ShipError,
// which is safe because delivery is idempotent: Elasticsearch `create` with the deterministic _id
// `<tenant>-<seq>` refuses a second copy (409, counted as delivered), HEC events carry fields.seq.
//
// Batches larger than maxBodyBytes (5 MiB, within Elasticsearch's advice for bulk sizes and far below
// its 100 MB http.max_content_length) are split here, in order; the shipper need not know the limit.

import { X509Certificate } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { hostname } from 'node:os';
import { Type } from 'typebox';
import { ViworksError } from '../../../../core/errors/viworks-error.js';
import { strictValidator } from '../../../../core/schema/strict.js';
import {
  type ShippedRecord,
  type SiemFormat,
  siemDocumentId,
  toSiemDocument,
} from '../../../../core/siem/format.js';
import type { ServerConfig } from '../../../config.js';
import { VERSION } from '../../../version.js';
import { BODY_SIGNATURE_HEADER, type BodySigningKey, bodySignatureHeader } from './body-signature.js';
import { loadOrCreateShippingKey } from './shipping-key.js';
import { ShipError, type ShipTransport } from './transport.js';

export type SiemHttpsKind = 'elasticsearch' | 'splunk-hec';

export interface HttpsTransportOptions {
  readonly kind: SiemHttpsKind;
  /** Base URL; `/_bulk` or `/services/collector/event` is appended unless already there. */
  readonly url: string;
  /** The only trust anchors for the receiver's certificate. */
  readonly caPem: string | Buffer;
  /** Elasticsearch: the index (required); HEC: the index field (optional). */
  readonly index: string | null;
  /** API key (Elasticsearch) or HEC token; null sends no Authorization. Wiped by close(). */
  readonly token: Buffer | null;
  readonly format: SiemFormat;
  readonly signingKey: BodySigningKey;
  /** The whole request, connect to last answer byte; default 30 s. */
  readonly timeoutMs?: number;
  readonly maxBodyBytes?: number;
  /** HEC `host`; default this machine's name. */
  readonly host?: string;
}

export const DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
const ENDPOINT: Record<SiemHttpsKind, string> = {
  elasticsearch: '/_bulk',
  'splunk-hec': '/services/collector/event',
};

/** The request line(s) one record becomes. */
function encodeRecord(opts: HttpsTransportOptions, host: string, record: ShippedRecord): Buffer {
  const doc = toSiemDocument(opts.format, record);
  if (opts.kind === 'elasticsearch') {
    const action = { create: { _index: opts.index, _id: siemDocumentId(record) } };
    return Buffer.from(`${JSON.stringify(action)}\n${JSON.stringify(doc)}\n`, 'utf8');
  }
  const ms = Date.parse(record.event.timestamp);
  const event = {
    ...(Number.isFinite(ms) ? { time: ms / 1000 } : {}),
    host,
    source: 'viworks-server',
    sourcetype: `viworks:audit:${opts.format}`,
    ...(opts.index !== null ? { index: opts.index } : {}),
    // HEC indexed fields are strings (or string arrays); the receiver's de-duplication key.
    fields: { seq: String(record.seq), tenant: record.event.tenant_id },
    event: doc,
  };
  return Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
}

/** Consecutive groups of records whose encoded size stays within the cap (one record at least). */
export function chunkByBytes<T>(items: readonly T[], sizeOf: (item: T) => number, maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

function endpointUrl(opts: HttpsTransportOptions): URL {
  const url = new URL(opts.url);
  const suffix = ENDPOINT[opts.kind];
  if (!url.pathname.endsWith(suffix)) url.pathname = `${url.pathname.replace(/\/+$/, '')}${suffix}`;
  return url;
}

/** TLS failures retrying cannot fix: the receiver is not the one siem.https.caFile vouches for. */
const TRUST_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
]);

function networkError(err: NodeJS.ErrnoException): ShipError {
  const code = err.code ?? 'unknown';
  // OpenSSL reports a receiver without TLS 1.3 as EPROTO with the alert in the message.
  if (code === 'EPROTO' && /protocol version|unsupported protocol/i.test(err.message))
    return new ShipError('SIEM receiver does not speak TLS 1.3 (EPROTO): check siem.https.url', false);
  if (TRUST_ERRORS.has(code))
    return new ShipError(`SIEM receiver refused by TLS (${code}): check siem.https.caFile and url`, false);
  return new ShipError(`SIEM receiver unreachable or cut off (${code})`, true);
}

type Verdict =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly retryable: boolean;
      readonly retryAfterMs: number | null;
      readonly message: string;
    };

const OK: Verdict = { ok: true };
const fail = (message: string, retryable: boolean, retryAfterMs: number | null = null): Verdict => ({
  ok: false,
  retryable,
  retryAfterMs,
  message,
});

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms; null when absent or invalid. */
export function retryAfterMs(value: unknown, now: number = Date.now()): number | null {
  if (typeof value !== 'string') return null;
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Text from the receiver that goes into our logs: printable, bounded, never a whole body. */
const printable = (text: string, max = 120) => text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The error type (Elasticsearch) or code and text (HEC) of a refusal, when the body says. */
function refusalOf(kind: SiemHttpsKind, text: string): string {
  const body = parseJson(text) as
    | { error?: { type?: unknown } | string; code?: unknown; text?: unknown }
    | undefined;
  if (kind === 'elasticsearch') {
    const type = typeof body?.error === 'object' ? body.error.type : body?.error;
    return typeof type === 'string' ? printable(type) : '';
  }
  return typeof body?.code === 'number'
    ? `code ${body.code}${typeof body.text === 'string' ? ` ${printable(body.text)}` : ''}`
    : '';
}

/** A non-200 answer: 408, 429 and 5xx are worth retrying (after Retry-After); other refusals are not. */
function classifyStatus(
  kind: SiemHttpsKind,
  status: number,
  headers: Record<string, unknown>,
  text: string,
): Verdict {
  const why = refusalOf(kind, text);
  const message = `SIEM answered ${status}${why ? ` (${why})` : ''}`;
  if (status >= 200 && status < 300) return fail(`${message}: not the answer this API gives`, true);
  const retryable = status === 408 || status === 429 || status >= 500;
  return fail(message, retryable, retryable ? retryAfterMs(headers['retry-after']) : null);
}

// Elasticsearch's answer is foreign and grows fields between versions: open objects, only what we read.
const BulkAnswer = strictValidator(
  Type.Object({
    errors: Type.Boolean(),
    items: Type.Array(
      Type.Object({
        create: Type.Object({
          _id: Type.Optional(Type.String()),
          status: Type.Integer(),
          error: Type.Optional(Type.Object({ type: Type.Optional(Type.String()) })),
        }),
      }),
    ),
  }),
);

/**
 * A 200 from _bulk: per item 201 (created) and 409 (that _id exists: an earlier delivery landed) are
 * delivered; 429 and 5xx retryable; any other refusal is not. Items answer the actions in order.
 */
function classifyBulkAnswer(text: string, ids: readonly string[]): Verdict {
  const body = parseJson(text);
  if (!BulkAnswer.check(body)) return fail('SIEM _bulk answer garbled', true);
  if (body.items.length !== ids.length) return fail('SIEM _bulk answer does not match the request', true);
  let retry: Verdict = OK;
  for (const [i, { create }] of body.items.entries()) {
    if (create._id !== undefined && create._id !== ids[i])
      return fail('SIEM _bulk answer out of order', true);
    if (create.status === 200 || create.status === 201 || create.status === 409) continue;
    const what = `SIEM refused ${ids[i]}: ${create.status}${create.error?.type ? ` ${printable(create.error.type)}` : ''}`;
    if (create.status === 429 || create.status >= 500) retry = retry.ok ? fail(what, true) : retry;
    else return fail(what, false);
  }
  return retry;
}

/** A 200 from HEC: {"text": "Success", "code": 0}. */
function classifyHecAnswer(text: string): Verdict {
  const body = parseJson(text) as { code?: unknown } | undefined;
  return typeof body === 'object' && body !== null && body.code === 0
    ? OK
    : fail('SIEM HEC answer garbled', true);
}

export function createHttpsTransport(opts: HttpsTransportOptions): ShipTransport {
  if (opts.kind === 'elasticsearch' && opts.index === null)
    throw new ViworksError('VIW_E_CONFIG', { details: ['siem.https.index: required for elasticsearch'] });
  const url = endpointUrl(opts);
  const host = opts.host ?? hostname();
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  // `ca` replaces Node's bundled roots: only siem.https.caFile is trusted.
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: opts.caPem, minVersion: 'TLSv1.3' });
  let token = opts.token;

  function post(body: Buffer): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
    const headers: Record<string, string> = {
      'Content-Type': opts.kind === 'elasticsearch' ? 'application/x-ndjson' : 'application/json',
      'Content-Length': String(body.length),
      Accept: 'application/json',
      'User-Agent': `viworks-server/${VERSION}`,
      [BODY_SIGNATURE_HEADER]: bodySignatureHeader(opts.signingKey, body),
    };
    // The header must be a string; the token's copy lives only as long as this request.
    if (token)
      headers.Authorization = `${opts.kind === 'elasticsearch' ? 'ApiKey' : 'Splunk'} ${token.toString('latin1')}`;
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        outcome();
      };
      const refuse = (err: ShipError) => settle(() => reject(err));
      const req = request(url, { method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES)
            req.destroy(Object.assign(new Error('answer too large'), { code: 'EANSWERSIZE' }));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          if (!res.complete) return refuse(new ShipError('SIEM answer cut off', true));
          const text = Buffer.concat(chunks).toString('utf8');
          settle(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        });
        res.on('error', (err: NodeJS.ErrnoException) => refuse(networkError(err)));
      });
      // One deadline for the whole exchange, connect to the answer's last byte.
      timer = setTimeout(
        () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
        timeoutMs,
      );
      req.on('error', (err: NodeJS.ErrnoException) => refuse(networkError(err)));
      req.end(body);
    });
  }

  async function sendChunk(records: readonly ShippedRecord[], parts: readonly Buffer[]): Promise<void> {
    const answer = await post(Buffer.concat(parts));
    const verdict: Verdict =
      answer.status !== 200
        ? classifyStatus(opts.kind, answer.status, answer.headers, answer.text)
        : opts.kind === 'elasticsearch'
          ? classifyBulkAnswer(answer.text, records.map(siemDocumentId))
          : classifyHecAnswer(answer.text);
    if (!verdict.ok) throw new ShipError(verdict.message, verdict.retryable, verdict.retryAfterMs);
  }

  return {
    path: 'https',
    async send(records) {
      const encoded = records.map((record) => ({ record, bytes: encodeRecord(opts, host, record) }));
      for (const chunk of chunkByBytes(encoded, (e) => e.bytes.length, maxBody)) {
        await sendChunk(
          chunk.map((e) => e.record),
          chunk.map((e) => e.bytes),
        );
      }
    },
    async close() {
      agent.destroy();
      token?.fill(0);
      token = null;
    },
  };
}

const MAX_TOKEN_BYTES = 4096;

/**
 * The API key / HEC token from siem.https.tokenFile: one line of visible ASCII, surrounding
 * whitespace dropped. Refused (VIW_E_CONFIG naming the setting, never the content) when missing,
 * empty, readable by everyone, or not one visible-ASCII line. The caller wipes the Buffer.
 */
export function readSiemToken(path: string | null): Buffer | null {
  if (path === null) return null;
  const refuse = (why: string) =>
    new ViworksError('VIW_E_CONFIG', { details: [`siem.https.tokenFile: ${why}`] });
  let raw: Buffer;
  try {
    if ((statSync(path).mode & 0o004) !== 0) throw refuse(`readable by everyone (chmod 600): ${path}`);
    raw = readFileSync(path);
  } catch (err) {
    if (err instanceof ViworksError) throw err;
    throw refuse(`not readable: ${path}`);
  }
  try {
    let start = 0;
    let end = raw.length;
    const space = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
    while (start < end && space(raw[start])) start++;
    while (end > start && space(raw[end - 1])) end--;
    if (end === start) throw refuse(`empty: ${path}`);
    if (end - start > MAX_TOKEN_BYTES) throw refuse(`longer than ${MAX_TOKEN_BYTES} bytes: ${path}`);
    for (let i = start; i < end; i++) {
      if (raw[i]! < 0x21 || raw[i]! > 0x7e) throw refuse(`not one line of visible ASCII: ${path}`);
    }
    return Buffer.from(raw.subarray(start, end));
  } finally {
    raw.fill(0);
  }
}

/**
 * The HTTPS transport siem.https configures, or null when it is not set. Refuses to start
 * (VIW_E_CONFIG) on an unreadable CA file, a missing Elasticsearch index or a bad token file;
 * loads (or makes) the shipping key under dataDir.
 */
export function httpsTransportFromConfig(
  config: Pick<ServerConfig, 'dataDir' | 'siem'>,
  signingKey?: BodySigningKey,
): ShipTransport | null {
  const https = config.siem.https;
  if (https === null) return null;
  let caPem: Buffer;
  try {
    caPem = readFileSync(https.caFile);
    new X509Certificate(caPem);
  } catch {
    throw new ViworksError('VIW_E_CONFIG', {
      details: [`siem.https.caFile: not a readable PEM certificate: ${https.caFile}`],
    });
  }
  const key = signingKey ?? loadOrCreateShippingKey(config.dataDir);
  const token = readSiemToken(https.tokenFile);
  try {
    return createHttpsTransport({
      kind: https.kind,
      url: https.url,
      caPem,
      index: https.index,
      token,
      format: config.siem.format,
      signingKey: key,
    });
  } catch (err) {
    token?.fill(0);
    throw err;
  }
}
