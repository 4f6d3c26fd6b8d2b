// The one pinned transport and the typed backend client against a REAL backend (HTTPS, TLS 1.3,
// embedded PKI): the pinned channel works, any other key, chain or TLS version is refused before a
// request byte leaves (fail closed), replies are capped and checked against the route table's
// schemas, and errors come back typed with the backend's trace id.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createRoot } from '../../server/pki/issue.js';
import { generateEcKeyPair } from '../../server/pki/keys.js';
import { startTestServer, type TestServer } from '../../server/testing/harness.js';
import {
  createUser,
  ctxOf,
  enrolledDesktop,
  newDesktopKeys,
} from '../../server/testing/identity-fixtures.js';
import { signRequest } from '../crypto/request-signing.js';
import { isViworksError } from '../errors/viworks-error.js';
import { AdminClient } from './admin-client.js';
import { BackendClient } from './backend-client.js';
import { type BackendTarget, PinnedTransport } from './pinned-transport.js';

let ts: TestServer;
const randomPin = () => createHash('sha256').update(randomBytes(32)).digest('base64');

before(async () => {
  ts = await startTestServer({ mode: 'development' });
});
after(() => ts?.stop());

const target = (over: Partial<BackendTarget> = {}): BackendTarget => ({
  url: `https://127.0.0.1:${ts.server.port}`,
  caPem: ts.ca,
  pins: ts.server.banner.backend_pins,
  ...over,
});
const client = (over: Partial<BackendTarget> = {}, o = {}) =>
  new BackendClient(new PinnedTransport(target(over), o));

/** A server with the backend's own certificate and key that answers what a test needs. */
async function impostor(
  answer: (res: import('node:http').ServerResponse) => void,
  tls: { maxVersion?: 'TLSv1.2' } = {},
): Promise<{ url: string; server: Server }> {
  const pki = ts.server.ctx!.pki.backendApi;
  const server = createServer({ cert: pki.chainPem, key: pki.keyPem, ...tls }, (_req, res) => answer(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('pinned transport + typed backend client', () => {
  it('reaches the backend over the pinned channel and reads its clock and trace id', async () => {
    const h = await client().health();
    assert.ok(h.serverDateMs !== null && Math.abs(h.serverDateMs - Date.now()) < 5000);
    assert.match(String(h.traceId), /^[0-9a-f-]{36}$/, "the backend's own trace id");
    assert.ok(ts.logs().includes(String(h.traceId)));
    assert.ok(ts.logs().includes('"url":"/health"'), 'requests are logged by path (test 2 relies on it)');
  });

  it('accepts the backup pin alone (pin roll), refuses when neither pin matches', async () => {
    const { primary_b64 } = ts.server.banner.backend_pins;
    await client({ pins: { primary_b64: randomPin(), backup_b64: primary_b64 } }).health();
    const wrong = client({ pins: { primary_b64: randomPin(), backup_b64: randomPin() } });
    const before = ts.logs().length;
    await assert.rejects(wrong.health(), (e) => isViworksError(e, 'VIW_E_PIN_MISMATCH'));
    assert.ok(!ts.logs().slice(before).includes('"url":"/health"'), 'no request reached the backend');

    // The daemon hears which key was presented (its client.pin_mismatch report); a throwing
    // observer changes nothing.
    const told: string[] = [];
    const pins = { primary_b64: randomPin(), backup_b64: randomPin() };
    await assert.rejects(client({ pins }, { onPinMismatch: (p: string) => told.push(p) }).health(), (e) =>
      isViworksError(e, 'VIW_E_PIN_MISMATCH'),
    );
    assert.deepEqual(told, [primary_b64]);
    const throwing = client(
      { pins },
      {
        onPinMismatch: () => {
          throw new Error('observer bug');
        },
      },
    );
    await assert.rejects(throwing.health(), (e) => isViworksError(e, 'VIW_E_PIN_MISMATCH'));
    await client({}, { onPinMismatch: (p: string) => told.push(p) }).health();
    assert.equal(told.length, 1, 'not told when the key matches');
  });

  it('refuses a chain from another CA as a pin mismatch (fail closed)', async () => {
    const keys = await generateEcKeyPair();
    const foreign = (await createRoot('Foreign Root', keys, 1)).toString('pem');
    await assert.rejects(client({ caPem: foreign }).health(), (e) => isViworksError(e, 'VIW_E_PIN_MISMATCH'));
  });

  it('refuses a server that offers only TLS 1.2, even with the pinned key', async () => {
    const { url, server } = await impostor((res) => res.end('{}'), { maxVersion: 'TLSv1.2' });
    try {
      await assert.rejects(client({ url }).health(), (e) => isViworksError(e, 'VIW_E_BACKEND_UNREACHABLE'));
    } finally {
      server.close();
    }
  });

  it('caps the reply size, and refuses a reply outside the contract as VIW_E_INTERNAL', async () => {
    const big = await impostor((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"status":"ok","version":"${'x'.repeat(64 * 1024)}"}`);
    });
    const odd = await impostor((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok","version":"1","extra":true}');
    });
    try {
      await assert.rejects(
        client({ url: big.url }, { maxReplyBytes: 16 * 1024 }).health(),
        (e) => isViworksError(e, 'VIW_E_BACKEND_UNREACHABLE') && e.details.includes('reply too large'),
      );
      await assert.rejects(
        client({ url: odd.url }).health(),
        (e) => isViworksError(e, 'VIW_E_INTERNAL') && /does not match the contract/.test(e.details.join()),
      );
    } finally {
      big.server.close();
      odd.server.close();
    }
  });

  it('types an unreachable backend', async () => {
    await assert.rejects(client({ url: 'https://127.0.0.1:1' }).health(), (e) =>
      isViworksError(e, 'VIW_E_BACKEND_UNREACHABLE'),
    );
  });

  it('rebuilds backend refusals as typed errors carrying the backend trace id', async () => {
    const c = client();
    const keys = await newDesktopKeys();
    const signer = (method: string, path: string, body: Uint8Array) =>
      signRequest('00000000-0000-7000-8000-000000000000', keys.signing.secretKey, method, path, body);
    const login = c.login(
      {
        username: 'nobody-here',
        password: 'x',
        device_id: '00000000-0000-7000-8000-000000000000',
        device_nonce: 'bm9uY2Utbm9uY2Utbm9uY2U',
      },
      signer,
    );
    await assert.rejects(
      login,
      (e) => isViworksError(e, 'VIW_E_SIGNATURE_INVALID') && /^[0-9a-f-]{36}$/.test(String(e.traceId)),
    );
    await assert.rejects(c.heartbeat(`viw_at_${'A'.repeat(43)}`, `s-${'0'.repeat(32)}`), (e) =>
      isViworksError(e, 'VIW_E_TOKEN_INVALID'),
    );
  });

  it('reports a security event signed by the enrolled device; a revoked one gets its typed error', async () => {
    await createUser(ts, 'leaky', 'security event password 9');
    const d = await enrolledDesktop(ts, 'leaky', 'security event password 9');
    const signer = (method: string, path: string, body: Uint8Array) =>
      signRequest(d.deviceId, d.keys.signing.secretKey, method, path, body);
    const event = {
      type: 'dns_leak_detected',
      session_id: null,
      detected_at: new Date().toISOString(),
      reason: 'dns_route_outside_tunnel',
      detail: 'query for example.org left on wlan0',
    } as const;
    // The reports' own events (the detection rules add an alert.dns_leak event of their own).
    const reported = async (take: number) =>
      (await ctxOf(ts).db.auditEvent.findMany({ orderBy: { seq: 'desc' }, take: take + 4 }))
        .map((r) => JSON.parse(r.event))
        .filter((e) => e.action === 'client.dns_leak_detected')
        .slice(0, take);
    const accepted = await client().reportSecurityEvent(event, signer);
    assert.equal(accepted.accepted, true);
    assert.equal((await reported(1))[0].trace_id, accepted.event_id);
    // Several reports go as one batch: one event each, one trace id.
    const twice = await client().reportDeviceEvents([event, { ...event, detail: 'again' }], signer);
    assert.deepEqual(
      (await reported(2)).map((e) => [e.trace_id, e.error_msg]),
      [
        [twice.event_id, 'dns_route_outside_tunnel: again'],
        [twice.event_id, 'dns_route_outside_tunnel: query for example.org left on wlan0'],
      ],
    );
    await ctxOf(ts).db.desktopDevice.update({ where: { id: d.deviceId }, data: { status: 'revoked' } });
    await assert.rejects(client().reportSecurityEvent(event, signer), (e) =>
      isViworksError(e, 'VIW_E_DEVICE_REVOKED'),
    );
  });

  it('the admin client speaks the admin routes through the same transport', async () => {
    const admin = new AdminClient(new PinnedTransport(target()));
    await assert.rejects(admin.me(), (e) => isViworksError(e, 'VIW_E_AUTH_REQUIRED'));
    await assert.rejects(admin.login('nobody-here', 'wrong password 12'), (e) =>
      isViworksError(e, 'VIW_E_AUTH_FAILED'),
    );
  });
});
