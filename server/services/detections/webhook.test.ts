// The alert webhook against a real local HTTPS server (a certificate from a test CA): the signed
// body verified with the public key, retries on 500 with the same bytes, give-up on a refusal, an
// unreachable or silent receiver and an untrusted certificate, the bounded queue, and the settings.
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AlertViewT, AlertWebhookBody } from '../../../core/api/admin-alerts.js';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import { strictValidator } from '../../../core/schema/strict.js';
import { mintReceiverCertificate } from '../../../scripts/testkit/siem-https-receiver.js';
import { BODY_SIGNATURE_HEADER, verifyBodySignature } from '../audit/shipping/body-signature.js';
import { EMPTY_CONTEXT } from './store.js';
import {
  type AlertWebhook,
  type AlertWebhookSettings,
  createAlertWebhook,
  DEFAULT_ALERT_WEBHOOK_SETTINGS,
  loadWebhookSigningKey,
  parseAlertWebhookSettings,
} from './webhook.js';

const ORIGIN = { env: 'test', site: 'lab', tenant_id: 't1' };
let serial = 0;
function alert(over: Partial<AlertViewT> = {}): AlertViewT {
  serial++;
  return {
    id: `0190f3c2-0000-7000-8000-${String(serial).padStart(12, '0')}`,
    rule: 'otp_stuffing',
    severity: 'critical',
    key: 'u-0123456789abcdef01234567',
    summary: '7 wrong codes from 3 ASNs',
    fields: { failures: 7, asns: [64501, 64502, 64503] },
    evidence: [4, 5, 6],
    context: { ...EMPTY_CONTEXT, src_ip: '198.51.100.7', asn: 64501 },
    audit_seq: 7,
    fired_at: '2030-01-02T03:04:05.678Z',
    acked_at: null,
    acked_by: null,
    ...over,
  };
}

interface Received {
  readonly body: Buffer;
  readonly headers: IncomingMessage['headers'];
  readonly at: number;
}
/** What the receiver does with the next request: a status, or hold it until released. */
type Answer = number | 'hold';

describe('alert webhook (real HTTPS)', () => {
  let dir: string;
  let tls: Awaited<ReturnType<typeof mintReceiverCertificate>>;
  let caFile: string;
  let keyFile: string;
  let publicKey: KeyObject;
  let server: Server;
  let url: string;
  const received: Received[] = [];
  const script: Answer[] = [];
  const held: ServerResponse[] = [];
  const logs: string[] = [];
  const log = {
    info: (m: string) => logs.push(`info ${m}`),
    warn: (m: string) => logs.push(`warn ${m}`),
    error: (m: string) => logs.push(`error ${m}`),
  };
  const hooks: AlertWebhook[] = [];
  const hook = (over: Partial<AlertWebhookSettings> = {}, target = url) => {
    const settings = parseAlertWebhookSettings({ url: target, keyFile, caFile, ...over })!;
    const h = createAlertWebhook({ settings, origin: ORIGIN, log, backoffBaseMs: 20, random: () => 0.5 });
    hooks.push(h);
    return h;
  };
  const reset = () => {
    for (const res of held.splice(0)) res.destroy();
    received.length = 0;
    script.length = 0;
    logs.length = 0;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-alert-webhook-'));
    tls = await mintReceiverCertificate();
    caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, tls.caPem);
    const pair = generateKeyPairSync('ed25519');
    keyFile = join(dir, 'webhook.key');
    writeFileSync(keyFile, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    publicKey = pair.publicKey;
    server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: Buffer.concat(chunks), headers: req.headers, at: performance.now() });
        const answer = script.shift() ?? 200;
        if (answer === 'hold') held.push(res);
        else
          res
            .writeHead(answer, {
              'content-type': 'application/json',
              ...(answer === 429 ? { 'retry-after': '1' } : {}),
            })
            .end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/viworks?channel=soc`;
  });
  after(async () => {
    for (const h of hooks) await h.stop();
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('posts the alert as the documented body, signed; the signature verifies with the public key only', async () => {
    reset();
    const h = hook();
    const a = alert();
    assert.equal(h.enqueue(a), true);
    await h.drained();
    assert.equal(received.length, 1);
    const { body, headers } = received[0]!;
    assert.equal(headers['content-type'], 'application/json');
    const parsed = strictValidator(AlertWebhookBody).parse(JSON.parse(body.toString('utf8')));
    assert.deepEqual(parsed, { v: 1, type: 'viworks.alert', ...ORIGIN, alert: a });
    const header = headers[BODY_SIGNATURE_HEADER.toLowerCase()];
    assert.deepEqual(verifyBodySignature(header, body, [publicKey]), {
      valid: true,
      keyId: loadWebhookSigningKey(keyFile).keyId,
    });
    const stranger = generateKeyPairSync('ed25519').publicKey;
    assert.deepEqual(verifyBodySignature(header, body, [stranger]), { valid: false, reason: 'unknown-key' });
    const tampered = Buffer.from(body.toString('utf8').replace('"critical"', '"warning"'));
    assert.deepEqual(verifyBodySignature(header, tampered, [publicKey]), {
      valid: false,
      reason: 'bad-signature',
    });
    assert.deepEqual(h.stats(), { queued: 0, delivered: 1, failed: 0, overflowed: 0, lastError: null });
    assert.deepEqual(logs, []);
  });

  it('500 is retried with the same bytes and signature until it is taken', async () => {
    reset();
    script.push(500, 503, 200);
    const h = hook({ maxAttempts: 5 });
    h.enqueue(alert());
    await h.drained();
    assert.equal(received.length, 3);
    const first = received[0]!;
    for (const r of received) {
      assert.ok(r.body.equals(first.body));
      assert.equal(
        r.headers[BODY_SIGNATURE_HEADER.toLowerCase()],
        first.headers[BODY_SIGNATURE_HEADER.toLowerCase()],
      );
    }
    assert.deepEqual(h.stats(), {
      queued: 0,
      delivered: 1,
      failed: 0,
      overflowed: 0,
      lastError: 'answered 503',
    });
    assert.deepEqual(logs, []);
  });

  it('429 waits as long as Retry-After says (here 1 s, far above the backoff)', async () => {
    reset();
    script.push(429, 200);
    const h = hook();
    h.enqueue(alert());
    await h.drained();
    assert.equal(received.length, 2);
    const gap = received[1]!.at - received[0]!.at;
    assert.ok(gap >= 950 && gap < 3000, `${gap} ms`);
    assert.equal(h.stats().delivered, 1);
  });

  it('gives up after maxAttempts on 500, at once on 400, and logs each without the path or query', async () => {
    reset();
    script.push(500, 500, 500, 400);
    const h = hook({ maxAttempts: 3 });
    const a = alert();
    const b = alert({ rule: 'dns_leak' });
    h.enqueue(a);
    h.enqueue(b);
    await h.drained();
    assert.equal(received.length, 4, 'three tries of the first, one of the second');
    const origin = new URL(url).origin;
    assert.deepEqual(logs, [
      `warn alert webhook: gave up on alert ${a.id} (otp_stuffing) after 3 attempt(s) to ${origin}: answered 500`,
      `warn alert webhook: gave up on alert ${b.id} (dns_leak) after 1 attempt(s) to ${origin}: answered 400`,
    ]);
    assert.ok(!logs.join('').includes('channel=soc'));
    assert.equal(h.stats().failed, 2);
  });

  it('an unreachable receiver: dropped after N attempts with a log line', async () => {
    reset();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const h = hook({ maxAttempts: 3 }, `https://127.0.0.1:${port}/x`);
    const a = alert();
    h.enqueue(a);
    await h.drained();
    assert.deepEqual(logs, [
      `warn alert webhook: gave up on alert ${a.id} (otp_stuffing) after 3 attempt(s) to https://127.0.0.1:${port}: unreachable or cut off (ECONNREFUSED)`,
    ]);
    assert.deepEqual(h.stats(), {
      queued: 0,
      delivered: 0,
      failed: 1,
      overflowed: 0,
      lastError: 'unreachable or cut off (ECONNREFUSED)',
    });
  });

  it('a receiver that does not answer in timeoutMs is retried, then dropped', async () => {
    reset();
    script.push('hold', 'hold');
    const h = hook({ maxAttempts: 2, timeoutMs: 300 });
    h.enqueue(alert());
    await h.drained();
    assert.equal(received.length, 2);
    assert.match(logs.join('\n'), /after 2 attempt\(s\) .*: unreachable or cut off \(ETIMEDOUT\)/);
  });

  it('a certificate the CA file does not vouch for is refused at once, not retried', async () => {
    reset();
    const other = await mintReceiverCertificate();
    const otherCa = join(dir, 'other-ca.pem');
    writeFileSync(otherCa, other.caPem);
    const h = hook({ caFile: otherCa, maxAttempts: 5 });
    h.enqueue(alert());
    await h.drained();
    assert.equal(received.length, 0);
    assert.equal(logs.length, 1);
    assert.match(
      logs[0]!,
      /after 1 attempt\(s\) .*TLS refused the receiver \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\): check detections\.webhook\.caFile/,
    );
  });

  it('never blocks: a full queue refuses new alerts at once, counts them, logs once, and says when it drains', async () => {
    reset();
    script.push('hold');
    const h = hook({ queueMax: 2 });
    const started = performance.now();
    const results = Array.from({ length: 6 }, () => h.enqueue(alert()));
    assert.ok(performance.now() - started < 50, 'enqueue does not wait for the network');
    assert.deepEqual(results, [true, true, false, false, false, false]);
    assert.deepEqual(
      logs.map((l) => l.replace(/alert \S+ \(/, 'alert ID (')),
      [
        `warn alert webhook: queue full (2) while ${new URL(url).origin} is slow or down: alert ID (otp_stuffing) not posted; more are counted until it drains`,
      ],
    );
    while (held.length === 0) await new Promise((r) => setTimeout(r, 10));
    held.shift()!.writeHead(200).end();
    await h.drained();
    assert.deepEqual(h.stats(), { queued: 0, delivered: 2, failed: 0, overflowed: 4, lastError: null });
    assert.equal(
      logs[1],
      'info alert webhook: queue has room again; 4 alert(s) were not posted (they are in the alert list and the audit stream)',
    );
  });

  it('stop() cuts a backoff short and forgets what waits, with a log line', async () => {
    reset();
    script.push(500);
    const settings = parseAlertWebhookSettings({ url, keyFile, caFile, maxAttempts: 5 })!;
    const h = createAlertWebhook({ settings, origin: ORIGIN, log, backoffBaseMs: 60_000, random: () => 0.5 });
    h.enqueue(alert());
    h.enqueue(alert());
    while (received.length === 0) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    await h.stop();
    assert.ok(performance.now() - started < 1000);
    assert.equal(received.length, 1);
    assert.deepEqual(logs, ['warn alert webhook: stopped with 2 alert(s) not posted']);
    assert.equal(h.enqueue(alert()), false);
  });

  it('stop() cuts off an attempt in flight at once', async () => {
    reset();
    script.push('hold');
    const settings = parseAlertWebhookSettings({ url, keyFile, caFile, timeoutMs: 30_000 })!;
    const h = createAlertWebhook({ settings, origin: ORIGIN, log, backoffBaseMs: 20 });
    h.enqueue(alert());
    while (held.length === 0) await new Promise((r) => setTimeout(r, 10));
    const started = performance.now();
    await h.stop();
    assert.ok(performance.now() - started < 1000, `${performance.now() - started} ms`);
    assert.deepEqual(logs, ['warn alert webhook: stopped with 1 alert(s) not posted']);
    assert.equal(h.stats().delivered, 0);
  });

  it('without keyFile signs with the SIEM shipping key, whose public half is published', async () => {
    reset();
    const dataDir = join(dir, 'data');
    const settings = parseAlertWebhookSettings({ url, caFile })!;
    const h = createAlertWebhook({ settings, origin: ORIGIN, log, dataDir });
    hooks.push(h);
    h.enqueue(alert());
    await h.drained();
    const published = createPublicKey(readFileSync(join(dataDir, 'audit', 'siem-shipping.pub.pem')));
    const { body, headers } = received[0]!;
    assert.equal(
      verifyBodySignature(headers[BODY_SIGNATURE_HEADER.toLowerCase()], body, [published]).valid,
      true,
    );
    assert.equal(
      verifyBodySignature(headers[BODY_SIGNATURE_HEADER.toLowerCase()], body, [publicKey]).valid,
      false,
    );
  });
});

describe('alert webhook settings', () => {
  const configError = (fn: () => unknown, detail: RegExp) =>
    assert.throws(fn, (e) => isViworksError(e, 'VIW_E_CONFIG') && e.details.some((d) => detail.test(d)));

  it('absent is no webhook; a URL alone gets the defaults', () => {
    assert.equal(parseAlertWebhookSettings(undefined), null);
    assert.equal(parseAlertWebhookSettings(null), null);
    assert.deepEqual(parseAlertWebhookSettings({ url: 'https://soar.example/hook' }), {
      ...DEFAULT_ALERT_WEBHOOK_SETTINGS,
      url: 'https://soar.example/hook',
    });
  });

  it('refuses plain http, credentials in the URL, a fragment, unknown fields and out-of-range numbers', () => {
    configError(() => parseAlertWebhookSettings({ url: 'http://soar.example/hook' }), /url/);
    configError(() => parseAlertWebhookSettings({ url: 'HTTPS://soar.example/hook' }), /url/);
    configError(
      () => parseAlertWebhookSettings({ url: 'https://user:pw@soar.example/hook' }),
      /no user or password/,
    );
    configError(() => parseAlertWebhookSettings({ url: 'https://soar.example/hook#x' }), /fragment/);
    configError(() => parseAlertWebhookSettings({ url: 'https://soar.example/h', verify: false }), /verify/);
    configError(
      () => parseAlertWebhookSettings({ url: 'https://soar.example/h', maxAttempts: 0 }),
      /maxAttempts/,
    );
    configError(
      () => parseAlertWebhookSettings({ url: 'https://soar.example/h', queueMax: 100_000 }),
      /queueMax/,
    );
    configError(
      () => parseAlertWebhookSettings({ url: 'https://soar.example/h', timeoutMs: '5000' }),
      /timeoutMs/,
    );
  });

  it('a key file must be private and Ed25519; a CA file must be a certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'viw-alert-webhook-cfg-'));
    try {
      const open = join(dir, 'open.key');
      writeFileSync(open, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
      chmodSync(open, 0o644);
      configError(() => loadWebhookSigningKey(open), /keyFile: readable by others/);
      const rsa = join(dir, 'rsa.key');
      const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      writeFileSync(rsa, rsaKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      configError(() => loadWebhookSigningKey(rsa), /keyFile: not an Ed25519/);
      configError(() => loadWebhookSigningKey(join(dir, 'absent.key')), /keyFile: not readable/);
      const notCa = join(dir, 'ca.pem');
      writeFileSync(notCa, 'hello');
      const settings = parseAlertWebhookSettings({ url: 'https://soar.example/h', caFile: notCa })!;
      configError(
        () => createAlertWebhook({ settings, origin: ORIGIN, log: console, dataDir: dir }),
        /caFile: not a readable PEM certificate/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
