// A test receiver for the HTTPS bulk path (server/services/audit/shipping/https-transport.ts). No
// Debian package provides Elasticsearch or Splunk, so instead of a mock that answers whatever the
// client wants, this receiver ENFORCES the vendors' documented request/response contracts, as far as
// our client uses them, and refuses what they refuse:
//
// Elasticsearch bulk API — https://www.elastic.co/guide/en/elasticsearch/reference/8.17/docs-bulk.html
//   (and https://www.elastic.co/docs/api/doc/elasticsearch/operation/operation-bulk): POST or PUT
//   /_bulk or /<index>/_bulk; NDJSON action/document line pairs, "the final line of data must end
//   with a newline"; Content-Type application/x-ndjson (or application/json; others 406); a
//   malformed action line fails the whole request with 400, a document that does not parse fails
//   its item with 400 mapper_parsing_exception; `create` fails its item with 409
//   version_conflict_engine_exception when the _id exists; the answer is 200 {took, errors, items}
//   with one item per action, in order, each carrying its own status. API keys:
//   `Authorization: ApiKey <encoded>` (https://www.elastic.co/guide/en/elasticsearch/reference/8.17/security-api-create-api-key.html),
//   a bad one 401 security_exception with WWW-Authenticate.
// Splunk HTTP Event Collector — https://help.splunk.com/splunk-enterprise/get-data-in/collect-http-event-data/format-events-for-http-event-collector
//   and the status table in https://help.splunk.com/en/splunk-enterprise/get-data-in/collect-http-event-data/troubleshoot-http-event-collector:
//   POST /services/collector/event (also /services/collector and /services/collector/event/1.0);
//   `Authorization: Splunk <token>`; a body of event objects one after another; `event` required and
//   not blank; `fields` values strings or arrays of strings; answers {text, code}: 200 code 0
//   Success, 401 code 2 Token is required, 401 code 3 Invalid authorization, 403 code 4 Invalid
//   token, 400 code 5 No data, 400 code 6 Invalid data format (+ invalid-event-number), 400 code 12/13
//   Event field is required / cannot be blank, 400 code 15 Error in handling indexed fields, 500
//   code 8 Internal server error, 503 code 9 Server is busy.
// Both: 401 when X-Viworks-Signature is missing or does not verify over the exact body (what a
// verifying proxy in front of the SIEM does; body-signature.ts). TLS 1.3 only.

import type { KeyObject } from 'node:crypto';
import { timingSafeEqual } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createEndEntity, createRoot } from '../../server/pki/issue.js';
import { generateEcKeyPair, privateKeyToPem } from '../../server/pki/keys.js';
import { days, PROFILES } from '../../server/pki/profiles.js';
import {
  BODY_SIGNATURE_HEADER,
  verifyBodySignature,
} from '../../server/services/audit/shipping/body-signature.js';

export type SiemReceiverKind = 'elasticsearch' | 'splunk-hec';
/** 500/429: answered before anything is stored. 'reset': the connection dropped before anything is
 * stored. 'garbage'/'truncate': the events ARE stored, then the answer is garbled or cut off — the
 * "did it land?" case that only de-duplication makes safe to retry. */
export type ReceiverFailure = 500 | 429 | 'garbage' | 'truncate' | 'reset';

export interface ReceivedRequest {
  readonly path: string;
  readonly status: number | 'reset' | 'truncated';
  /** Elasticsearch: each item's status, in order. */
  readonly itemStatuses: readonly number[];
}

export interface SiemHttpsReceiver {
  readonly url: string;
  readonly port: number;
  /** Stored documents, de-duplicated by (_index, _id) or by (fields.tenant, fields.seq), in arrival order. */
  stored(): unknown[];
  /** Documents received in authenticated, well-formed requests, duplicates included. */
  readonly received: number;
  /** Every request, as answered. */
  requests(): readonly ReceivedRequest[];
  failNext(n: number, how: ReceiverFailure, retryAfterS?: number): void;
  /** The stored documents as NDJSON (0600), one per line, what a SIEM export looks like. */
  exportNdjson(path: string): void;
  close(): Promise<void>;
}

export interface SiemReceiverOptions {
  readonly kind: SiemReceiverKind;
  /** Leaf (then intermediates), as the server sends it. */
  readonly certPem: string;
  readonly keyPem: string;
  /** Trusted shipping keys (siem-shipping.pub.pem). */
  readonly publicKeys: readonly KeyObject[];
  /** The API key (Elasticsearch) or HEC token the client must send. */
  readonly token: string;
  readonly port?: number;
  /** Elasticsearch's http.max_content_length default (100 MB); larger bodies are refused with 413. */
  readonly maxBodyBytes?: number;
  /**
   * Indexes the key/token may write (default: any). Elasticsearch answers an item for another index
   * 403 security_exception; HEC refuses the request 400 code 7 "Incorrect index".
   */
  readonly indexes?: readonly string[];
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };
type Handled = { answer: Answer; items?: number[] };
/** A request refused whole, before anything is stored. */
type Refused = { readonly refused: Answer };

const json = (status: number, body: unknown, headers?: Record<string, string>): Answer => ({
  status,
  body,
  ...(headers ? { headers } : {}),
});
const esError = (status: number, type: string, reason: string, headers?: Record<string, string>) =>
  json(status, { error: { root_cause: [{ type, reason }], type, reason }, status }, headers);
const esRefused = (status: number, type: string, reason: string): Refused => ({
  refused: esError(status, type, reason),
});
const hec = (status: number, code: number, text: string, extra: Record<string, unknown> = {}) =>
  json(status, { text, code, ...extra });
const hecRefused = (status: number, code: number, text: string, event?: number): Refused => ({
  refused: hec(status, code, text, event === undefined ? {} : { 'invalid-event-number': event }),
});
const isRefused = <T>(v: T | Refused): v is Refused => typeof v === 'object' && v !== null && 'refused' in v;

const sameSecret = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const parsed = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

const signatureOf = (req: IncomingMessage, body: Buffer, keys: readonly KeyObject[]) =>
  verifyBodySignature(req.headers[BODY_SIGNATURE_HEADER.toLowerCase()], body, keys);

/** Splits "{...}{...} {...}" into its top-level JSON texts; null when the stream does not parse. */
function jsonStream(text: string): Array<string> | null {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (depth === 0 && /\s/.test(c)) continue;
    if (depth === 0 && c !== '{') return null;
    if (c === '"') inString = true;
    else if (c === '{') {
      if (depth++ === 0) start = i;
    } else if (c === '}' && --depth === 0) out.push(text.slice(start, i + 1));
  }
  return depth === 0 && !inString ? out : null;
}

/** Elasticsearch's refusals of a whole _bulk request, in its order: route, method, auth, then ours. */
function bulkRefusal(
  req: IncomingMessage,
  path: string,
  body: Buffer,
  opts: SiemReceiverOptions,
): Refused | null {
  if (!/^\/(?:[a-z0-9][a-z0-9._-]*\/)?_bulk$/.test(path))
    return {
      refused: json(400, {
        error: `no handler found for uri [${path}] and method [${req.method}]`,
        status: 400,
      }),
    };
  if (req.method !== 'POST' && req.method !== 'PUT') {
    const error = `Incorrect HTTP method for uri [${path}] and method [${req.method}], allowed: [POST, PUT]`;
    return { refused: json(405, { error, status: 405 }) };
  }
  const auth = req.headers.authorization;
  if (auth === undefined || !sameSecret(auth, `ApiKey ${opts.token}`)) {
    const reason =
      'unable to authenticate with provided credentials and anonymous access is not allowed for this request';
    return { refused: esError(401, 'security_exception', reason, { 'WWW-Authenticate': 'ApiKey' }) };
  }
  const signature = signatureOf(req, body, opts.publicKeys);
  if (!signature.valid)
    return esRefused(401, 'security_exception', `X-Viworks-Signature: ${signature.reason}`);
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  if (type !== 'application/x-ndjson' && type !== 'application/json')
    return { refused: json(406, { error: `Content-Type header [${type}] is not supported`, status: 406 }) };
  return null;
}

interface BulkCreate {
  readonly index: string;
  readonly id: string;
  readonly source: string;
}

/** The action/document pairs of a _bulk body; a malformed action line refuses the whole request. */
function parseBulk(text: string, pathIndex: string | undefined): BulkCreate[] | Refused {
  if (text.length === 0)
    return esRefused(400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;');
  const unterminated = esRefused(
    400,
    'illegal_argument_exception',
    'The bulk request must be terminated by a newline [\\n]',
  );
  if (!text.endsWith('\n')) return unterminated;
  const lines = text.slice(0, -1).split(/\r?\n/);
  const pairs: BulkCreate[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const action = parsed(lines[i]!);
    if (action === undefined)
      return esRefused(400, 'x_content_parse_exception', `Malformed action/metadata line [${i + 1}]`);
    // Our client sends `create` only (deterministic _id: Elasticsearch itself de-duplicates).
    if (!isObject(action) || Object.keys(action).length !== 1 || !isObject(action.create))
      return esRefused(
        400,
        'illegal_argument_exception',
        `Malformed action/metadata line [${i + 1}], expected create`,
      );
    const meta = action.create;
    const index = typeof meta._index === 'string' ? meta._index : pathIndex;
    if (!index)
      return esRefused(400, 'action_request_validation_exception', 'Validation Failed: 1: index is missing;');
    if (typeof meta._id !== 'string' || meta._id.length === 0 || meta._id.length > 512)
      return esRefused(400, 'illegal_argument_exception', `create on line [${i + 1}] needs an _id`);
    if (i + 1 >= lines.length) return unterminated;
    pairs.push({ index, id: meta._id, source: lines[i + 1]! });
  }
  return pairs;
}

/** HEC's refusals of a whole request: endpoint, method, token (401 missing/malformed, 403 unknown), then ours. */
function hecRefusal(
  req: IncomingMessage,
  path: string,
  body: Buffer,
  opts: SiemReceiverOptions,
): Refused | null {
  if (!['/services/collector/event', '/services/collector/event/1.0', '/services/collector'].includes(path))
    return hecRefused(404, 404, 'The requested URL was not found on this server.');
  if (req.method !== 'POST') return hecRefused(405, 405, 'Method not allowed');
  const auth = req.headers.authorization;
  if (auth === undefined) return hecRefused(401, 2, 'Token is required');
  if (!auth.startsWith('Splunk ')) return hecRefused(401, 3, 'Invalid authorization');
  if (!sameSecret(auth.slice('Splunk '.length), opts.token)) return hecRefused(403, 4, 'Invalid token');
  const signature = signatureOf(req, body, opts.publicKeys);
  if (!signature.valid) return hecRefused(401, 3, `Invalid X-Viworks-Signature: ${signature.reason}`);
  return null;
}

interface HecEvent {
  readonly key: string;
  readonly doc: unknown;
}

let unkeyedEvents = 0;

const indexedFieldOk = (v: unknown) =>
  typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));

/** The events of a HEC body, each with its de-duplication key (fields.tenant, fields.seq). */
function parseHec(text: string, indexes: readonly string[] | undefined): HecEvent[] | Refused {
  if (text.trim().length === 0) return hecRefused(400, 5, 'No data');
  const parts = jsonStream(text);
  if (!parts) return hecRefused(400, 6, 'Invalid data format', 0);
  const events: HecEvent[] = [];
  for (const [n, part] of parts.entries()) {
    const event = parsed(part);
    if (event === undefined) return hecRefused(400, 6, 'Invalid data format', n);
    if (!isObject(event) || !('event' in event)) return hecRefused(400, 12, 'Event field is required', n);
    const blank =
      event.event === '' ||
      event.event === null ||
      (isObject(event.event) && Object.keys(event.event).length === 0);
    if (blank) return hecRefused(400, 13, 'Event field cannot be blank', n);
    const time = event.time;
    if (
      time !== undefined &&
      typeof time !== 'number' &&
      !(typeof time === 'string' && /^\d+(\.\d+)?$/.test(time))
    )
      return hecRefused(400, 6, 'Invalid data format', n);
    if (indexes && event.index !== undefined && !indexes.includes(String(event.index)))
      return hecRefused(400, 7, 'Incorrect index', n);
    const fields = event.fields ?? {};
    if (!isObject(fields) || !Object.values(fields).every(indexedFieldOk))
      return hecRefused(400, 15, 'Error in handling indexed fields', n);
    events.push({
      // An event without fields.seq cannot be recognized again: a key of its own.
      key: `${String(fields.tenant)}\u0000${String(fields.seq ?? `#unkeyed-${unkeyedEvents++}`)}`,
      doc: event.event,
    });
  }
  return events;
}

export async function startSiemHttpsReceiver(opts: SiemReceiverOptions): Promise<SiemHttpsReceiver> {
  const maxBody = opts.maxBodyBytes ?? 100 * 1024 * 1024;
  const docs = new Map<string, unknown>();
  const log: ReceivedRequest[] = [];
  let received = 0;
  let seqNo = 0;
  let failures: { left: number; how: ReceiverFailure; retryAfterS: number | undefined } = {
    left: 0,
    how: 500,
    retryAfterS: undefined,
  };

  /** One bulk item answered as Elasticsearch answers `create`. */
  function create({ index, id, source }: BulkCreate) {
    received++;
    const base = { _index: index, _id: id };
    if (opts.indexes && !opts.indexes.includes(index)) {
      const reason = `action [indices:data/write/bulk[s]] is unauthorized for index [${index}]`;
      return { create: { ...base, status: 403, error: { type: 'security_exception', reason } } };
    }
    const doc = parsed(source);
    if (!isObject(doc))
      return {
        create: {
          ...base,
          status: 400,
          error: { type: 'mapper_parsing_exception', reason: 'failed to parse' },
        },
      };
    const key = `${index}\u0000${id}`;
    if (docs.has(key)) {
      const reason = `[${id}]: version conflict, document already exists (current version [1])`;
      return {
        create: { ...base, status: 409, error: { type: 'version_conflict_engine_exception', reason } },
      };
    }
    docs.set(key, doc);
    const shards = { total: 2, successful: 1, failed: 0 };
    return {
      create: {
        ...base,
        _version: 1,
        result: 'created',
        _shards: shards,
        _seq_no: seqNo++,
        _primary_term: 1,
        status: 201,
      },
    };
  }

  function elasticsearch(req: IncomingMessage, path: string, body: Buffer): Handled {
    const refusal = bulkRefusal(req, path, body, opts);
    if (refusal) return { answer: refusal.refused };
    const pairs = parseBulk(body.toString('utf8'), /^\/([^/]+)\/_bulk$/.exec(path)?.[1]);
    if (isRefused(pairs)) return { answer: pairs.refused };
    const items = pairs.map(create);
    const statuses = items.map((item) => item.create.status);
    const answer = { took: 1, errors: statuses.some((s) => s >= 300), items };
    return { answer: json(200, answer, { 'X-elastic-product': 'Elasticsearch' }), items: statuses };
  }

  function splunk(req: IncomingMessage, path: string, body: Buffer): Handled {
    const refusal = hecRefusal(req, path, body, opts);
    if (refusal) return { answer: refusal.refused };
    const events = parseHec(body.toString('utf8'), opts.indexes);
    if (isRefused(events)) return { answer: events.refused };
    // Splunk may index the events before an invalid one; this receiver validates the whole body first.
    for (const { key, doc } of events) {
      received++;
      if (!docs.has(key)) docs.set(key, doc);
    }
    return { answer: hec(200, 0, 'Success') };
  }

  function send(res: ServerResponse, answer: Answer): void {
    const text = JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'Content-Type': 'application/json; charset=UTF-8', ...answer.headers });
    res.end(text);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'https://receiver').pathname;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBody) {
        log.push({ path, status: 413, itemStatuses: [] });
        res.writeHead(413, { Connection: 'close' }).end();
        return;
      }
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks);
    const failure = failures.left > 0 ? failures.how : null;
    if (failure !== null) failures = { ...failures, left: failures.left - 1 };
    if (failure === 'reset') {
      log.push({ path, status: 'reset', itemStatuses: [] });
      req.socket.destroy();
      return;
    }
    if (failure === 500 || failure === 429) {
      const retry =
        failures.retryAfterS === undefined ? undefined : { 'Retry-After': String(failures.retryAfterS) };
      const answer =
        opts.kind === 'elasticsearch'
          ? failure === 429
            ? esError(429, 'es_rejected_execution_exception', 'rejected execution', retry)
            : esError(500, 'internal_server_error', 'injected failure', retry)
          : failure === 429
            ? { ...hec(429, 9, 'Server is busy'), ...(retry ? { headers: retry } : {}) }
            : { ...hec(500, 8, 'Internal server error'), ...(retry ? { headers: retry } : {}) };
      log.push({ path, status: answer.status, itemStatuses: [] });
      send(res, answer);
      return;
    }
    const handled = opts.kind === 'elasticsearch' ? elasticsearch(req, path, body) : splunk(req, path, body);
    if (failure === 'garbage') {
      log.push({ path, status: 200, itemStatuses: handled.items ?? [] });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('<html>502 Bad Gateway</html>{"err');
      return;
    }
    if (failure === 'truncate') {
      const text = JSON.stringify(handled.answer.body);
      log.push({ path, status: 'truncated', itemStatuses: handled.items ?? [] });
      res.writeHead(handled.answer.status, {
        'Content-Type': 'application/json',
        'Content-Length': String(text.length),
      });
      res.write(text.slice(0, Math.floor(text.length / 2)), () => req.socket.destroy());
      return;
    }
    log.push({ path, status: handled.answer.status, itemStatuses: handled.items ?? [] });
    send(res, handled.answer);
  }

  const server: Server = createServer(
    { cert: opts.certPem, key: opts.keyPem, minVersion: 'TLSv1.3' },
    (req, res) => {
      handle(req, res).catch(() => req.socket.destroy());
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    stored: () => [...docs.values()],
    get received() {
      return received;
    },
    requests: () => [...log],
    failNext(n, how, retryAfterS) {
      failures = { left: n, how, retryAfterS };
    },
    exportNdjson(path) {
      writeFileSync(path, [...docs.values()].map((d) => `${JSON.stringify(d)}\n`).join(''), { mode: 0o600 });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A throwaway CA and a server certificate for 127.0.0.1/localhost signed by it (ECDSA P-256). */
export async function mintReceiverCertificate(): Promise<{ caPem: string; certPem: string; keyPem: string }> {
  const caKeys = await generateEcKeyPair();
  const ca = await createRoot('SIEM Test CA', caKeys, 2);
  const keys = await generateEcKeyPair();
  const cert = await createEndEntity(
    { cert: ca, keys: caKeys },
    PROFILES['backend-api'],
    { commonName: 'siem-receiver', dns: ['localhost'], ips: ['127.0.0.1'] },
    keys.publicKey,
    days(1),
  );
  return {
    caPem: ca.toString('pem'),
    certPem: cert.toString('pem'),
    keyPem: await privateKeyToPem(keys.privateKey),
  };
}
