import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { GENESIS_HASH } from '../../../../core/audit/chain.js';
import { isViworksError } from '../../../../core/errors/viworks-error.js';
import {
  needRsyslog,
  type RsyslogReceiver,
  startRsyslogReceiver,
} from '../../../../scripts/testkit/rsyslog.js';
import { createTestPki, type TestPki } from '../../../../scripts/testkit/test-pki.js';
import { formatSyslogMessage, parseSyslogMessage, VIWORKS_SD_ID } from './rfc5424.js';
import { createSyslogTransport, loadSyslogTransport, type SyslogConfig } from './syslog-transport.js';
import { chainedRecords as chained } from './testing.js';
import { ShipError, type ShippedRecord } from './transport.js';

const peers = needRsyslog();
const HOSTNAME = 'backend-test';

const configFor = (pki: TestPki, port: number, client = pki.client): SyslogConfig => ({
  host: '127.0.0.1',
  port,
  serverName: pki.serverName,
  caFile: pki.caFile,
  certFile: client.certFile,
  keyFile: client.keyFile,
});

async function shipError(p: Promise<unknown>): Promise<ShipError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ShipError, `a ShipError, not ${String(err)}`);
    return err;
  }
  assert.fail('send() resolved; the batch must count as not delivered');
}

describe('syslog transport against a real rsyslogd (RFC 5425, mutual TLS 1.3)', { skip: peers.skip }, () => {
  let dir: string;
  let pki: TestPki;
  let receiver: RsyslogReceiver;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-syslog-tx-'));
    pki = await createTestPki(dir);
    receiver = await startRsyslogReceiver({
      dir,
      caFile: pki.caFile,
      certFile: pki.server.certFile,
      keyFile: pki.server.keyFile,
      permittedPeers: [pki.clientName],
    });
  });
  after(async () => {
    await receiver?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers a batch: every message is in the receiver when send() resolves, byte-exact, and parses back', async () => {
    const transport = loadSyslogTransport(configFor(pki, receiver.port), { hostname: HOSTNAME });
    const records = chained(50);
    await transport.send(records);
    const lines = await receiver.messages();
    const header = { hostname: HOSTNAME, procId: String(process.pid) };
    assert.deepEqual(
      lines,
      records.map((r) => formatSyslogMessage(r, header)),
    );
    lines.forEach((line, i) => {
      const parsed = parseSyslogMessage(line);
      const r = records[i] as ShippedRecord;
      assert.equal(parsed.structuredData.meta?.sequenceId, String(r.seq));
      assert.equal(parsed.structuredData[VIWORKS_SD_ID]?.hash, r.hash);
      const { seq, hash, prev_hash, ...event } = JSON.parse(parsed.msg);
      assert.deepEqual(
        { seq, hash, prev_hash, event },
        { seq: r.seq, hash: r.hash, prev_hash: r.prevHash, event: r.event },
      );
    });
    await transport.close();
  });

  it('measures a batch round trip (connect, TLS 1.3, write, refusal window, close) by batch size', async (t) => {
    const transport = loadSyslogTransport(configFor(pki, receiver.port), { hostname: HOSTNAME });
    let seq = 1000;
    for (const size of [1, 100, 800]) {
      const records = chained(size, { seq, hash: GENESIS_HASH });
      seq += size;
      const before = (await receiver.messages()).length;
      const started = performance.now();
      await transport.send(records);
      const ms = performance.now() - started;
      const bytes = records.reduce(
        (n, r) => n + Buffer.byteLength(formatSyslogMessage(r, { hostname: HOSTNAME })),
        0,
      );
      t.diagnostic(`batch of ${size} (${Math.round(bytes / 1024)} KiB): ${ms.toFixed(0)} ms`);
      assert.equal((await receiver.messages()).length, before + size);
    }
    await transport.close();
  });

  it('counts nothing as delivered when the receiver refuses our certificate (rsyslog just closes)', async () => {
    const foreign = loadSyslogTransport(configFor(pki, receiver.port, pki.foreignClient));
    const before = (await receiver.messages()).length;
    const err = await shipError(foreign.send(chained(3)));
    assert.equal(err.retryable, true);
    const otherDir = mkdtempSync(join(tmpdir(), 'viw-syslog-tx-peer-'));
    const strict = await startRsyslogReceiver({
      dir: otherDir,
      caFile: pki.caFile,
      certFile: pki.server.certFile,
      keyFile: pki.server.keyFile,
      permittedPeers: ['someone-else.lab.viworks.test'],
    });
    try {
      // rsyslog closes a refused connection without an alert: repeat, since telling that apart from a
      // receipt is a race the transport must win every time.
      const transport = loadSyslogTransport(configFor(pki, strict.port));
      for (let i = 0; i < 10; i++) {
        const refused = await shipError(transport.send(chained(3)));
        assert.match(refused.message, /before our end of stream|ECONNRESET/);
      }
      assert.deepEqual(await strict.messages(), []);
    } finally {
      await strict.stop();
      rmSync(otherDir, { recursive: true, force: true });
    }
    assert.equal((await receiver.messages()).length, before);
  });

  it('refuses a receiver whose certificate does not carry the expected name (not retryable)', async () => {
    const transport = loadSyslogTransport({
      ...configFor(pki, receiver.port),
      serverName: 'elsewhere.lab.viworks.test',
    });
    const err = await shipError(transport.send(chained(1)));
    assert.equal(err.retryable, false);
    assert.match(err.message, /ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  it('fails retryably when nothing listens', async () => {
    const transport = loadSyslogTransport(configFor(pki, 1));
    const err = await shipError(transport.send(chained(1)));
    assert.equal(err.retryable, true);
    assert.match(err.message, /ECONNREFUSED/);
  });
});

type Behaviour = 'garbage' | 'truncate' | 'early-close' | 'silent';

/** A TLS server (mutual TLS, like the real one) that misbehaves after the handshake. */
function badTlsServer(pki: TestPki, behaviour: Behaviour): Promise<{ server: Server; port: number }> {
  const sockets = new Set<TLSSocket>();
  const server = createTlsServer(
    {
      cert: readFileSync(pki.server.certFile),
      key: readFileSync(pki.server.keyFile),
      ca: readFileSync(pki.caFile),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.3',
      // Without it node would answer our half-close with its own: 'silent' must not.
      allowHalfOpen: behaviour === 'silent',
    },
    (socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
      if (behaviour === 'garbage') socket.write('this is not how syslog works\n');
      if (behaviour === 'early-close') socket.end();
      let seen = 0;
      socket.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        // Reads part of the stream, then drops the connection without a close_notify.
        if (behaviour === 'truncate' && seen > 100) socket.destroy();
      });
    },
  );
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  const close = server.close.bind(server);
  server.close = (cb) => {
    for (const s of sockets) s.destroy();
    return close(cb);
  };
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, port: (server.address() as { port: number }).port }),
    ),
  );
}

describe('syslog transport against misbehaving receivers (node:tls)', () => {
  let dir: string;
  let pki: TestPki;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-syslog-bad-'));
    pki = await createTestPki(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const behaviour of ['garbage', 'truncate', 'early-close', 'silent'] as const) {
    it(`a receiver that is ${behaviour}: retryable ShipError, batch not delivered`, async () => {
      const { server, port } = await badTlsServer(pki, behaviour);
      try {
        const transport = createSyslogTransport({
          host: '127.0.0.1',
          port,
          serverName: pki.serverName,
          ca: readFileSync(pki.caFile),
          cert: readFileSync(pki.client.certFile),
          key: readFileSync(pki.client.keyFile),
          closeTimeoutMs: 1000,
        });
        const err = await shipError(transport.send(chained(200)));
        assert.equal(err.retryable, true, err.message);
      } finally {
        await new Promise((r) => server.close(r));
      }
    });
  }

  it('a receiver that does not speak TLS at all: retryable ShipError', async () => {
    const sockets: Socket[] = [];
    const server = createTcpServer((s) => {
      sockets.push(s);
      s.on('error', () => {});
      s.end(Buffer.from('220 definitely not TLS\r\n'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const transport = loadSyslogTransport(configFor(pki, (server.address() as { port: number }).port));
      const err = await shipError(transport.send(chained(1)));
      assert.equal(err.retryable, true);
      assert.match(err.message, /ERR_SSL|ECONNRESET|closed/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });

  it('times out a receiver that never completes the handshake', async () => {
    const sockets: Socket[] = [];
    const server = createTcpServer((s) => sockets.push(s)); // accepts, then says nothing
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const transport = createSyslogTransport({
        host: '127.0.0.1',
        port: (server.address() as { port: number }).port,
        serverName: pki.serverName,
        ca: readFileSync(pki.caFile),
        cert: readFileSync(pki.client.certFile),
        key: readFileSync(pki.client.keyFile),
        connectTimeoutMs: 300,
      });
      const err = await shipError(transport.send(chained(1)));
      assert.equal(err.retryable, true);
      assert.match(err.message, /no TLS session within 300 ms/);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('syslog transport credentials (siem.syslog files)', () => {
  let dir: string;
  let pki: TestPki;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'viw-syslog-cred-'));
    pki = await createTestPki(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('wipes the key Buffer once the TLS context holds it', () => {
    const key = readFileSync(pki.client.keyFile);
    createSyslogTransport({
      host: 'h',
      port: 1,
      ca: readFileSync(pki.caFile),
      cert: readFileSync(pki.client.certFile),
      key,
    });
    assert.ok(key.every((b) => b === 0));
  });

  it('refuses at start: a missing file, a world-readable key, a key that is not the certificate’s', () => {
    const config = configFor(pki, 1);
    const configError = (detail: RegExp) => (err: unknown) =>
      isViworksError(err, 'VIW_E_CONFIG') && err.details.some((d) => detail.test(d));
    assert.throws(
      () => loadSyslogTransport({ ...config, keyFile: join(dir, 'nope.key') }),
      configError(/keyFile: ENOENT/),
    );
    chmodSync(pki.client.keyFile, 0o644);
    try {
      assert.throws(() => loadSyslogTransport(config), configError(/keyFile: readable by everyone/));
    } finally {
      chmodSync(pki.client.keyFile, 0o600);
    }
    assert.throws(
      () => loadSyslogTransport({ ...config, keyFile: pki.foreignClient.keyFile }),
      configError(/TLS credentials unusable/),
    );
  });
});
