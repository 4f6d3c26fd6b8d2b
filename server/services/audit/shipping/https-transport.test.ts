// The HTTPS bulk transport against the test receiver that enforces the Elasticsearch _bulk and Splunk
// HEC contracts (scripts/testkit/siem-https-receiver.ts), over real TLS 1.3 with a CA of our own.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isViworksError } from '../../../../core/errors/viworks-error.js';
import { fromSiemDocument, type SiemFormat } from '../../../../core/siem/format.js';
import { randomRecords } from '../../../../core/siem/testing/random-records.js';
import {
  mintReceiverCertificate,
  type SiemHttpsReceiver,
  type SiemReceiverKind,
  startSiemHttpsReceiver,
} from '../../../../scripts/testkit/siem-https-receiver.js';
import {
  createHttpsTransport,
  httpsTransportFromConfig,
  readSiemToken,
  retryAfterMs,
} from './https-transport.js';
import { loadOrCreateShippingKey, type ShippingKey } from './shipping-key.js';
import { ShipError, type ShipTransport } from './transport.js';

const TOKEN = 'VnVlcm5hbWU6c2VjcmV0LWtleS1mb3ItdGVzdHM=';
const INDEX = 'viworks-audit';
const RECORDS = randomRecords(60, 99);

let dir: string;
let key: ShippingKey;
let tls: Awaited<ReturnType<typeof mintReceiverCertificate>>;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'viw-https-ship-'));
  key = loadOrCreateShippingKey(dir);
  tls = await mintReceiverCertificate();
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The ShipError `promise` rejects with. */
async function shipError(promise: Promise<unknown>): Promise<ShipError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ShipError, `a ShipError, got ${String(err)}`);
    assert.ok(!err.message.includes(TOKEN), 'the token never appears in an error');
    return err;
  }
  assert.fail('expected a ShipError');
}

for (const [kind, format] of [
  ['elasticsearch', 'ecs'],
  ['splunk-hec', 'ocsf'],
] as Array<[SiemReceiverKind, SiemFormat]>) {
  describe(`HTTPS transport → ${kind} (${format})`, () => {
    let rx: SiemHttpsReceiver;
    const transports: ShipTransport[] = [];
    const transport = (over: Partial<Parameters<typeof createHttpsTransport>[0]> = {}) => {
      const t = createHttpsTransport({
        kind,
        url: rx.url,
        caPem: tls.caPem,
        index: INDEX,
        token: Buffer.from(TOKEN),
        format,
        signingKey: key,
        timeoutMs: 5000,
        ...over,
      });
      transports.push(t);
      return t;
    };
    const restart = async () => {
      await rx?.close();
      rx = await startSiemHttpsReceiver({
        kind,
        certPem: tls.certPem,
        keyPem: tls.keyPem,
        publicKeys: [key.publicKey],
        token: TOKEN,
        indexes: [INDEX],
      });
    };
    before(restart);
    after(async () => {
      for (const t of transports) await t.close();
      await rx.close();
    });

    it('delivers a batch; the SIEM export converts back to exactly the shipped records', async () => {
      await transport().send(RECORDS);
      assert.equal(rx.stored().length, RECORDS.length);
      const exported = join(dir, `${kind}.ndjson`);
      rx.exportNdjson(exported);
      const lines = readFileSync(exported, 'utf8').trimEnd().split('\n');
      assert.deepStrictEqual(
        lines.map((line) => fromSiemDocument(format, JSON.parse(line))),
        RECORDS,
      );
    });

    it('a second delivery of the same records is accepted and stores nothing new', async () => {
      const before = rx.received;
      await transport().send(RECORDS);
      assert.equal(rx.stored().length, RECORDS.length);
      assert.equal(rx.received, before + RECORDS.length);
      if (kind === 'elasticsearch') {
        const last = rx.requests().at(-1)!;
        assert.ok(last.itemStatuses.length === RECORDS.length && last.itemStatuses.every((s) => s === 409));
      }
    });

    it('500 and 429 are retryable, with Retry-After in ms', async () => {
      for (const how of [500, 429] as const) {
        rx.failNext(1, how, 2);
        const err = await shipError(transport().send(RECORDS.slice(0, 3)));
        assert.equal(err.retryable, true, String(how));
        assert.equal(err.retryAfterMs, 2000);
        assert.match(err.message, new RegExp(String(how)));
      }
    });

    it('garbage, a cut-off answer and a reset are retryable, and the retry completes the delivery', async () => {
      await restart();
      const batch = RECORDS.slice(0, 10);
      for (const how of ['garbage', 'truncate', 'reset'] as const) {
        rx.failNext(1, how);
        const err = await shipError(transport().send(batch));
        assert.equal(err.retryable, true, how);
      }
      // garbage and truncate stored the batch before failing: the retry meets duplicates and succeeds.
      assert.equal(rx.stored().length, batch.length);
      await transport().send(batch);
      assert.equal(rx.stored().length, batch.length);
    });

    it('a wrong token, no token and a forbidden index are not retryable', async () => {
      const wrong = await shipError(
        transport({ token: Buffer.from('wrong-token') }).send(RECORDS.slice(0, 2)),
      );
      assert.equal(wrong.retryable, false);
      assert.match(
        wrong.message,
        kind === 'elasticsearch' ? /401 \(security_exception\)/ : /403 \(code 4 Invalid token\)/,
      );
      const none = await shipError(transport({ token: null }).send(RECORDS.slice(0, 2)));
      assert.equal(none.retryable, false);
      assert.match(none.message, /401/);
      const forbidden = await shipError(transport({ index: 'other-index' }).send(RECORDS.slice(0, 2)));
      assert.equal(forbidden.retryable, false);
      assert.match(
        forbidden.message,
        kind === 'elasticsearch' ? /403 security_exception/ : /400 \(code 7 Incorrect index\)/,
      );
    });

    it('a URL that is no bulk endpoint (Elasticsearch 400, HEC 404) is not retryable', async () => {
      const err = await shipError(transport({ url: `${rx.url}/_nothing-here` }).send(RECORDS.slice(0, 2)));
      assert.equal(err.retryable, false);
      assert.match(err.message, kind === 'elasticsearch' ? /400/ : /404/);
    });

    it('a body signed by a key the receiver does not trust is refused 401, not retryable', async () => {
      const stranger = loadOrCreateShippingKey(mkdtempSync(join(dir, 'stranger-')));
      const err = await shipError(transport({ signingKey: stranger }).send(RECORDS.slice(0, 2)));
      assert.equal(err.retryable, false);
      assert.match(err.message, /401/);
    });

    it('refuses a receiver whose certificate is not from siem.https.caFile (system roots are not used)', async () => {
      const foreign = await mintReceiverCertificate();
      const stored = rx.stored().length;
      const err = await shipError(transport({ caPem: foreign.caPem }).send(RECORDS.slice(0, 2)));
      assert.equal(err.retryable, false);
      assert.match(err.message, /caFile/);
      assert.equal(rx.stored().length, stored);
    });

    it('splits a batch above the body cap into ordered requests', async () => {
      await restart();
      await transport({ maxBodyBytes: 8 * 1024 }).send(RECORDS);
      assert.ok(rx.requests().length > 3, `${rx.requests().length} requests`);
      assert.deepStrictEqual(
        rx.stored().map((doc) => fromSiemDocument(format, doc).seq),
        RECORDS.map((r) => r.seq),
      );
    });
  });
}

describe('HTTPS transport: TLS and time limits', () => {
  it('will not speak TLS 1.2, and gives up on a receiver that never answers', async () => {
    const stall = createServer({ cert: tls.certPem, key: tls.keyPem }, () => {
      // never answers
    });
    const old = createServer({ cert: tls.certPem, key: tls.keyPem, maxVersion: 'TLSv1.2' }, (_req, res) =>
      res.end('{}'),
    );
    await Promise.all([stall, old].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
    const url = (s: typeof stall) => `https://127.0.0.1:${(s.address() as AddressInfo).port}`;
    const make = (u: string) =>
      createHttpsTransport({
        kind: 'elasticsearch',
        url: u,
        caPem: tls.caPem,
        index: INDEX,
        token: null,
        format: 'native',
        signingKey: key,
        timeoutMs: 400,
      });
    try {
      const t12 = make(url(old));
      const refused = await shipError(t12.send(RECORDS.slice(0, 1)));
      assert.equal(refused.retryable, false);
      const stalled = make(url(stall));
      const started = Date.now();
      const timedOut = await shipError(stalled.send(RECORDS.slice(0, 1)));
      assert.equal(timedOut.retryable, true);
      assert.ok(Date.now() - started < 3000);
      await t12.close();
      await stalled.close();
    } finally {
      for (const s of [stall, old]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    }
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    assert.equal(retryAfterMs('120'), 120_000);
    assert.equal(
      retryAfterMs('Wed, 21 Oct 2015 07:28:30 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT')),
      30_000,
    );
    assert.equal(retryAfterMs('soon'), null);
    assert.equal(retryAfterMs(undefined), null);
  });
});

describe('HTTPS transport from configuration', () => {
  const config = (https: Record<string, unknown> | null) =>
    ({
      dataDir: dir,
      siem: {
        format: 'ecs',
        spoolMaxBytes: 65536,
        syslog: null,
        https:
          https === null
            ? null
            : {
                kind: 'elasticsearch',
                url: 'https://127.0.0.1:1',
                caFile: caFile(),
                index: INDEX,
                tokenFile: null,
                ...https,
              },
      },
    }) as Parameters<typeof httpsTransportFromConfig>[0];
  const caFile = () => {
    const path = join(dir, 'ca.pem');
    writeFileSync(path, tls.caPem);
    return path;
  };
  const configError = (fn: () => unknown, detail: RegExp) =>
    assert.throws(fn, (err) => isViworksError(err, 'VIW_E_CONFIG') && detail.test(err.details.join()));

  it('is null when siem.https is not set (and makes no key then), and delivers when it is', async () => {
    const unused = mkdtempSync(join(dir, 'unused-'));
    assert.equal(httpsTransportFromConfig({ ...config(null), dataDir: unused }), null);
    assert.equal(existsSync(join(unused, 'secrets')), false);
    const rx = await startSiemHttpsReceiver({
      kind: 'elasticsearch',
      certPem: tls.certPem,
      keyPem: tls.keyPem,
      publicKeys: [key.publicKey],
      token: TOKEN,
    });
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const t = httpsTransportFromConfig(config({ url: rx.url, tokenFile }), key)!;
    try {
      await t.send(RECORDS.slice(0, 5));
      assert.equal(rx.stored().length, 5);
    } finally {
      await t.close();
      await rx.close();
    }
  });

  it('refuses to start on a bad token file, CA file or a missing index, naming the setting only', () => {
    const tokenFile = join(dir, 'token-bad');
    configError(
      () => httpsTransportFromConfig(config({ tokenFile: join(dir, 'absent') }), key),
      /siem\.https\.tokenFile: not readable/,
    );
    writeFileSync(tokenFile, '\n \n', { mode: 0o600 });
    configError(() => readSiemToken(tokenFile), /siem\.https\.tokenFile: empty/);
    writeFileSync(tokenFile, 'two words', { mode: 0o600 });
    configError(() => readSiemToken(tokenFile), /siem\.https\.tokenFile: not one line/);
    writeFileSync(tokenFile, TOKEN);
    chmodSync(tokenFile, 0o644);
    configError(() => readSiemToken(tokenFile), /siem\.https\.tokenFile: readable by everyone/);
    chmodSync(tokenFile, 0o640);
    assert.equal(readSiemToken(tokenFile)!.toString(), TOKEN);
    configError(() => httpsTransportFromConfig(config({ index: null }), key), /siem\.https\.index: required/);
    const badCa = join(dir, 'bad-ca.pem');
    writeFileSync(badCa, 'not a certificate');
    configError(() => httpsTransportFromConfig(config({ caFile: badCa }), key), /siem\.https\.caFile/);
    try {
      writeFileSync(tokenFile, 'two words', { mode: 0o600 });
      chmodSync(tokenFile, 0o600);
      readSiemToken(tokenFile);
    } catch (err) {
      assert.ok(
        !JSON.stringify({ m: (err as Error).message, d: (err as { details?: unknown }).details }).includes(
          'words',
        ),
      );
    }
  });
});
