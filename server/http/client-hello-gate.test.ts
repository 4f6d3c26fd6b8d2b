// The ClientHello gate in front of a real HTTPS server with the backend's TLS settings and
// certificate (embedded PKI): real Node clients, raw sockets for the hostile cases.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import { type AddressInfo, type Socket, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { inRecords } from '../../core/tls/testing/build-client-hello.js';
import { CLIENT_HELLO_VECTORS } from '../../core/tls/testing/client-hello-vectors.js';
import { type EmbeddedPki, loadOrCreatePki } from '../pki/embedded-pki.js';
import { splitNames } from '../start.js';
import {
  type ClientHelloGateOptions,
  fingerprintsOf,
  type HandshakeOutcome,
  type HelloObservation,
  installClientHelloGate,
} from './client-hello-gate.js';
import { backendTlsOptions } from './tls.js';

const TIMEOUT_MS = 400;
const CHROME = CLIENT_HELLO_VECTORS.find((v) => v.note.startsWith('Chrome:'))!;

let dir: string;
let pki: EmbeddedPki;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'viw-gate-'));
  pki = await loadOrCreatePki(dir, splitNames(['localhost', '127.0.0.1']));
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Gated {
  readonly port: number;
  readonly seen: Array<{ hello: HelloObservation; outcome: HandshakeOutcome }>;
  readonly gate: { close(): void };
  readonly server: Server;
  close(): Promise<void>;
}

async function gated(over: Partial<ClientHelloGateOptions> = {}): Promise<Gated> {
  const server = createServer(
    { ...backendTlsOptions(pki.backendApi.chainPem, pki.backendApi.keyPem), handshakeTimeout: 2000 },
    (req, res) => res.end(JSON.stringify(fingerprintsOf(req.socket))),
  );
  const seen: Gated['seen'] = [];
  const gate = installClientHelloGate(server, {
    timeoutMs: TIMEOUT_MS,
    maxPendingPerAddress: 3,
    onHandshake: (hello, outcome) => seen.push({ hello, outcome }),
    ...over,
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    gate,
    server,
    close: async () => {
      gate.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

function get(port: number, opts: object = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = request(
      { host: '127.0.0.1', servername: 'localhost', port, path: '/', ca: pki.rootPem, agent: false, ...opts },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve(body));
      },
    );
    r.on('error', reject);
    r.end();
  });
}

/** A raw TCP connection; resolves with the time from the first write to the close. */
function raw(port: number, send: (s: Socket) => void): Promise<{ closedAfterMs: number; received: number }> {
  return new Promise((resolve) => {
    const s = tcpConnect(port, '127.0.0.1');
    let started = 0;
    let received = 0;
    s.on('data', (c: Buffer) => {
      received += c.length;
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve({ closedAfterMs: performance.now() - started, received }));
    s.on('connect', () => {
      started = performance.now();
      send(s);
    });
  });
}

describe('ClientHello gate: real clients', () => {
  it('a TLS 1.3 client completes; its request sees the connection’s JA3/JA4', async () => {
    const g = await gated();
    try {
      const body = JSON.parse(await get(g.port)) as { ja3: string; ja4: string } | null;
      const { hello, outcome } = await waitFor('the report', () => g.seen[0]);
      assert.equal(outcome.completed, true);
      assert.equal(outcome.completed && outcome.protocol, 'TLSv1.3');
      assert.ok(hello.fingerprints, 'fingerprinted');
      assert.deepEqual(body, JSON.parse(JSON.stringify(hello.fingerprints)), 'the request sees the same');
      assert.match(hello.fingerprints.ja4, /^t13d\d{4}00_[0-9a-f]{12}_[0-9a-f]{12}$/);
      assert.equal(hello.srcIp, '127.0.0.1');
      assert.ok((hello.srcPort ?? 0) > 0 && hello.bytes > 100);
      assert.equal(g.seen.length, 1, 'one report per connection');
    } finally {
      await g.close();
    }
  });

  it('a TLS 1.2-only client fails; its JA3 says 771 and the reason is the TLS error', async () => {
    const g = await gated();
    try {
      const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
        const s = tlsConnect({ host: '127.0.0.1', port: g.port, ca: pki.rootPem, maxVersion: 'TLSv1.2' });
        s.on('error', resolve);
      });
      assert.ok(err.code, 'the client was refused');
      const { hello, outcome } = await waitFor('the report', () => g.seen[0]);
      assert.equal(outcome.completed, false);
      assert.equal(!outcome.completed && outcome.reason, 'ERR_SSL_UNSUPPORTED_PROTOCOL');
      assert.match(hello.fingerprints?.ja3Text ?? '', /^771,/);
      assert.match(hello.fingerprints?.ja4 ?? '', /^t12i/);
    } finally {
      await g.close();
    }
  });

  it('a ClientHello split over TCP writes and TLS records gives the published fingerprint', async () => {
    const g = await gated();
    try {
      const message = Buffer.from(CHROME.hex, 'hex').subarray(5);
      const stream = inRecords(message, [7, 300, 1]);
      await raw(g.port, (s) => {
        let at = 0;
        const step = () => {
          if (at >= stream.length) return setTimeout(() => s.destroy(), 50);
          s.write(stream.subarray(at, at + 61));
          at += 61;
          setTimeout(step, 2);
        };
        step();
      });
      const { hello, outcome } = await waitFor('the report', () => g.seen[0]);
      assert.equal(hello.fingerprints?.ja4, CHROME.ja4);
      assert.equal(hello.fingerprints?.ja3, CHROME.ja3);
      assert.equal(outcome.completed, false, 'a replayed hello cannot finish the handshake');
    } finally {
      await g.close();
    }
  });
});

describe('ClientHello gate: answers written just before a destroy still leave', () => {
  it('a 431 written and destroyed at once while the client is still sending reaches it', async () => {
    const g = await gated();
    g.server.on('clientError', (_err: Error, socket: import('node:net').Socket) => {
      socket.write(
        'HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n',
      );
      socket.destroy();
    });
    try {
      for (let i = 0; i < 5; i++) {
        const status = await new Promise<number | string>((resolve) => {
          const r = request(
            {
              host: '127.0.0.1',
              servername: 'localhost',
              port: g.port,
              path: '/',
              ca: pki.rootPem,
              agent: false,
              headers: { 'x-big': 'b'.repeat(20_000) },
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          r.on('error', (e) => resolve(e.message));
          r.end();
        });
        assert.equal(status, 431, `attempt ${i}`);
      }
    } finally {
      await g.close();
    }
  });
});

describe('ClientHello gate: hostile peers', () => {
  it('slowloris: one byte of ClientHello and silence is cut at the timeout', async () => {
    const g = await gated();
    try {
      const r = await raw(g.port, (s) => s.write(Buffer.from([0x16])));
      assert.ok(
        r.closedAfterMs >= TIMEOUT_MS - 50 && r.closedAfterMs < TIMEOUT_MS + 1500,
        `${r.closedAfterMs}`,
      );
      assert.equal(r.received, 0, 'TLS never answered');
      const { hello, outcome } = await waitFor('the report', () => g.seen[0]);
      assert.deepEqual([hello.bytes, hello.fingerprints], [1, null]);
      assert.equal(!outcome.completed && outcome.reason, 'no ClientHello in time');
    } finally {
      await g.close();
    }
  });

  it('a ClientHello announced over the cap is refused at once, before its body', async () => {
    const g = await gated();
    try {
      const header = Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0x00, 0x50, 0x00]);
      const r = await raw(g.port, (s) => s.write(header));
      assert.ok(r.closedAfterMs < TIMEOUT_MS - 100, `closed after ${r.closedAfterMs} ms`);
      const { outcome } = await waitFor('the report', () => g.seen[0]);
      assert.equal(!outcome.completed && outcome.reason, 'ClientHello too large');
    } finally {
      await g.close();
    }
  });

  it('a hello under the cap fed in one-byte records is refused once the buffered bytes pass their cap', async () => {
    const g = await gated();
    try {
      const message = Buffer.concat([Buffer.from([1, 0, 0x3f, 0xf0]), Buffer.alloc(0x3ff0, 0x41)]);
      const r = await raw(g.port, (s) => s.write(inRecords(message, [1])));
      assert.ok(r.closedAfterMs < TIMEOUT_MS, `closed after ${r.closedAfterMs} ms`);
      const { outcome } = await waitFor('the report', () => g.seen[0]);
      assert.equal(!outcome.completed && outcome.reason, 'too many bytes before the handshake');
    } finally {
      await g.close();
    }
  });

  it('plain HTTP goes to TLS, which refuses it; no fingerprint, the parse problem kept', async () => {
    const g = await gated();
    try {
      await raw(g.port, (s) => s.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
      const { hello, outcome } = await waitFor('the report', () => g.seen[0]);
      assert.deepEqual([hello.fingerprints, hello.problem], [null, 'not a TLS handshake']);
      assert.equal(outcome.completed, false);
    } finally {
      await g.close();
    }
  });

  it('a peer that sends nothing is reported with 0 bytes (the recorder ignores those)', async () => {
    const g = await gated();
    try {
      await raw(g.port, (s) => s.end());
      const { hello, outcome } = await waitFor('the report', () => g.seen[0]);
      assert.equal(hello.bytes, 0);
      assert.equal(!outcome.completed && outcome.reason, 'closed before the ClientHello');
    } finally {
      await g.close();
    }
  });

  it('at most maxPendingPerAddress connections per address wait in the pre-read', async () => {
    const g = await gated({ timeoutMs: 5000 });
    const waiting: Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const s = tcpConnect(g.port, '127.0.0.1');
        s.on('error', () => undefined);
        waiting.push(s);
        await new Promise((r) => s.once('connect', r));
      }
      const fourth = await raw(g.port, () => undefined);
      assert.ok(fourth.closedAfterMs < 1000, 'the fourth is closed at once');
      assert.equal(g.seen.length, 0, 'a refusal at the cap is not reported');
      // The gate's close() ends those still waiting, without reports.
      const closed = waiting.map((s) => new Promise((r) => s.once('close', r)));
      g.gate.close();
      await Promise.all(closed);
      assert.equal(g.seen.length, 0);
    } finally {
      for (const s of waiting) s.destroy();
      await g.close();
    }
  });
});
