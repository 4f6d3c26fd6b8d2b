// The receiver refuses what Elasticsearch and Splunk HEC refuse, with their status codes and answer
// shapes — checked with plain HTTPS requests, not with our transport, so the transport's tests
// against this receiver mean something.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bodySignatureHeader } from '../../server/services/audit/shipping/body-signature.js';
import {
  loadOrCreateShippingKey,
  type ShippingKey,
} from '../../server/services/audit/shipping/shipping-key.js';
import {
  mintReceiverCertificate,
  type SiemHttpsReceiver,
  type SiemReceiverKind,
  startSiemHttpsReceiver,
} from './siem-https-receiver.js';

const TOKEN = 'dGVzdC1pZDp0ZXN0LWtleQ==';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let dir: string;
let key: ShippingKey;
let tls: Awaited<ReturnType<typeof mintReceiverCertificate>>;

function post(
  receiver: SiemHttpsReceiver,
  path: string,
  body: string,
  headers: Record<string, string>,
  opts: { sign?: boolean; minVersion?: 'TLSv1.2'; maxVersion?: 'TLSv1.2' } = {},
): Promise<Reply> {
  const bytes = Buffer.from(body);
  const all = {
    ...headers,
    ...(opts.sign === false ? {} : { 'X-Viworks-Signature': bodySignatureHeader(key, bytes) }),
  };
  return new Promise((resolve, reject) => {
    const req = request(
      `${receiver.url}${path}`,
      {
        method: 'POST',
        ca: tls.caPem,
        headers: { ...all, 'Content-Length': String(bytes.length) },
        agent: false,
        ...(opts.maxVersion ? { maxVersion: opts.maxVersion, minVersion: opts.minVersion } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(bytes);
  });
}

const ndjson = (...lines: unknown[]) => lines.map((l) => `${JSON.stringify(l)}\n`).join('');
const ES = { 'Content-Type': 'application/x-ndjson', Authorization: `ApiKey ${TOKEN}` };
const HEC = { 'Content-Type': 'application/json', Authorization: `Splunk ${TOKEN}` };

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'viw-siemrx-'));
  key = loadOrCreateShippingKey(dir);
  tls = await mintReceiverCertificate();
});
after(() => rmSync(dir, { recursive: true, force: true }));

function withReceiver(kind: SiemReceiverKind, body: (rx: () => SiemHttpsReceiver) => void) {
  let receiver: SiemHttpsReceiver;
  before(async () => {
    receiver = await startSiemHttpsReceiver({
      kind,
      certPem: tls.certPem,
      keyPem: tls.keyPem,
      publicKeys: [key.publicKey],
      token: TOKEN,
    });
  });
  after(() => receiver.close());
  body(() => receiver);
}

describe('Elasticsearch _bulk receiver', () => {
  withReceiver('elasticsearch', (rx) => {
    const pair = (id: string, doc: unknown) => ndjson({ create: { _index: 'viworks-audit', _id: id } }, doc);

    it('creates, then answers 409 version_conflict for the same _id, item by item', async () => {
      const first = await post(rx(), '/_bulk', pair('t-1', { a: 1 }) + pair('t-2', { a: 2 }), ES);
      assert.equal(first.status, 200);
      const a = JSON.parse(first.body);
      assert.equal(a.errors, false);
      assert.deepEqual(
        a.items.map((i: { create: { status: number } }) => i.create.status),
        [201, 201],
      );
      const again = JSON.parse(
        (await post(rx(), '/viworks-audit/_bulk', pair('t-2', { a: 2 }) + pair('t-3', { a: 3 }), ES)).body,
      );
      assert.equal(again.errors, true);
      assert.equal(again.items[0].create.status, 409);
      assert.equal(again.items[0].create.error.type, 'version_conflict_engine_exception');
      assert.equal(again.items[1].create.status, 201);
      assert.deepEqual(rx().stored(), [{ a: 1 }, { a: 2 }, { a: 3 }]);
      assert.equal(rx().received, 4);
    });

    it('refuses what Elasticsearch refuses', async () => {
      const body = pair('t-9', { a: 9 });
      const cases: Array<[string, Promise<Reply>, number, RegExp]> = [
        ['no trailing newline', post(rx(), '/_bulk', body.slice(0, -1), ES), 400, /terminated by a newline/],
        [
          'malformed action line',
          post(rx(), '/_bulk', `{"create":\n{}\n`, ES),
          400,
          /x_content_parse_exception/,
        ],
        [
          'index action',
          post(rx(), '/_bulk', ndjson({ index: { _index: 'x', _id: '1' } }, {}), ES),
          400,
          /expected create/,
        ],
        ['empty body', post(rx(), '/_bulk', '', ES), 400, /no requests added/],
        [
          'bad ApiKey',
          post(rx(), '/_bulk', body, { ...ES, Authorization: 'ApiKey nope' }),
          401,
          /security_exception/,
        ],
        [
          'no signature',
          post(rx(), '/_bulk', body, ES, { sign: false }),
          401,
          /X-Viworks-Signature: missing/,
        ],
        [
          'text/plain',
          post(rx(), '/_bulk', body, { ...ES, 'Content-Type': 'text/plain' }),
          406,
          /not supported/,
        ],
        ['another endpoint', post(rx(), '/_search', body, ES), 400, /no handler found/],
      ];
      for (const [name, reply, status, text] of cases) {
        const r = await reply;
        assert.equal(r.status, status, name);
        assert.match(r.body, text, name);
      }
      const forged = await post(
        rx(),
        '/_bulk',
        body,
        {
          ...ES,
          'X-Viworks-Signature': `keyid=${key.keyId}, alg=ed25519, sig=${Buffer.alloc(64).toString('base64')}`,
        },
        { sign: false },
      );
      assert.equal(forged.status, 401);
      const bad = JSON.parse(
        (
          await post(
            rx(),
            '/_bulk',
            `${JSON.stringify({ create: { _index: 'x', _id: 'z' } })}\nnot json\n`,
            ES,
          )
        ).body,
      );
      assert.equal(bad.items[0].create.status, 400, 'a document that does not parse fails its item');
      assert.equal(rx().stored().length, 3, 'nothing refused was stored');
    });

    it('injects failures: 429 with Retry-After, garbage after storing, reset before', async () => {
      rx().failNext(1, 429, 7);
      const busy = await post(rx(), '/_bulk', pair('t-10', { a: 10 }), ES);
      assert.equal(busy.status, 429);
      assert.equal(busy.headers['retry-after'], '7');
      rx().failNext(1, 'garbage');
      const garbled = await post(rx(), '/_bulk', pair('t-10', { a: 10 }), ES);
      assert.throws(() => JSON.parse(garbled.body));
      assert.ok(
        rx()
          .stored()
          .some((d) => JSON.stringify(d) === '{"a":10}'),
        'stored despite the garbled answer',
      );
      rx().failNext(1, 'reset');
      await assert.rejects(post(rx(), '/_bulk', pair('t-11', { a: 11 }), ES), /ECONNRESET|socket hang up/);
      assert.ok(
        !rx()
          .stored()
          .some((d) => JSON.stringify(d) === '{"a":11}'),
      );
    });

    it('speaks TLS 1.3 only', async () => {
      await assert.rejects(
        post(rx(), '/_bulk', pair('t-12', {}), ES, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }),
        /version|protocol|alert/i,
      );
    });
  });
});

describe('Splunk HEC receiver', () => {
  withReceiver('splunk-hec', (rx) => {
    const event = (seq: number, doc: unknown = { seq }) =>
      JSON.stringify({
        time: 1700000000.5,
        host: 'h',
        source: 's',
        sourcetype: 't',
        fields: { seq: String(seq), tenant: 'x' },
        event: doc,
      });

    it('accepts concatenated events, answers {text: Success, code: 0}, de-duplicates by seq', async () => {
      const ok = await post(rx(), '/services/collector/event', `${event(1)}${event(2)}\n${event(2)}`, HEC);
      assert.equal(ok.status, 200);
      assert.deepEqual(JSON.parse(ok.body), { text: 'Success', code: 0 });
      assert.deepEqual(rx().stored(), [{ seq: 1 }, { seq: 2 }]);
      assert.equal(rx().received, 3);
    });

    it('answers the documented HEC codes', async () => {
      const body = event(5);
      const cases: Array<[string, Promise<Reply>, number, number]> = [
        [
          'no token',
          post(rx(), '/services/collector/event', body, { 'Content-Type': 'application/json' }),
          401,
          2,
        ],
        [
          'not the Splunk scheme',
          post(rx(), '/services/collector/event', body, { Authorization: `Bearer ${TOKEN}` }),
          401,
          3,
        ],
        [
          'wrong token',
          post(rx(), '/services/collector/event', body, { Authorization: 'Splunk nope' }),
          403,
          4,
        ],
        ['no data', post(rx(), '/services/collector/event', '  ', HEC), 400, 5],
        ['not JSON', post(rx(), '/services/collector/event', '{"event": ', HEC), 400, 6],
        ['no event field', post(rx(), '/services/collector/event', '{"time": 1}', HEC), 400, 12],
        ['blank event', post(rx(), '/services/collector/event', '{"event": ""}', HEC), 400, 13],
        [
          'nested indexed field',
          post(rx(), '/services/collector/event', '{"event": 1, "fields": {"a": {"b": 1}}}', HEC),
          400,
          15,
        ],
        ['no signature', post(rx(), '/services/collector/event', body, HEC, { sign: false }), 401, 3],
      ];
      for (const [name, reply, status, code] of cases) {
        const r = await reply;
        assert.equal(r.status, status, name);
        assert.equal(JSON.parse(r.body).code, code, name);
      }
      assert.equal(rx().stored().length, 2, 'nothing refused was stored');
    });

    it('503-style busy and truncation', async () => {
      rx().failNext(1, 500, 3);
      const down = await post(rx(), '/services/collector/event', event(6), HEC);
      assert.equal(down.status, 500);
      assert.equal(JSON.parse(down.body).code, 8);
      assert.equal(down.headers['retry-after'], '3');
      rx().failNext(1, 'truncate');
      await assert.rejects(post(rx(), '/services/collector/event', event(6), HEC));
      assert.equal(rx().stored().length, 3, 'the truncated request was stored');
      const path = join(dir, 'export.ndjson');
      rx().exportNdjson(path);
      assert.equal(readFileSync(path, 'utf8'), '{"seq":1}\n{"seq":2}\n{"seq":6}\n');
    });
  });
});
