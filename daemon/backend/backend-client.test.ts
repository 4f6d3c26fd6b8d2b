// The daemon's backend client against a REAL backend (HTTPS, TLS 1.3, embedded PKI): the pinned
// channel works, any other key or chain is refused before a request byte leaves (fail closed),
// errors come back typed, and every request carries its own trace id.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { signRequest } from '../../core/crypto/request-signing.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { createRoot } from '../../server/pki/issue.js';
import { generateEcKeyPair } from '../../server/pki/keys.js';
import { startTestServer, type TestServer } from '../../server/testing/harness.js';
import { newDesktopKeys } from '../../server/testing/identity-fixtures.js';
import { BackendClient } from './backend-client.js';

let ts: TestServer;
const randomPin = () => createHash('sha256').update(randomBytes(32)).digest('base64');

before(async () => {
  ts = await startTestServer({ mode: 'development' });
});
after(() => ts?.stop());

const target = (
  over: Partial<{ pins: { primary_b64: string; backup_b64: string }; caPem: string }> = {},
) => ({
  url: `https://127.0.0.1:${ts.server.port}`,
  caPem: over.caPem ?? ts.ca,
  pins: over.pins ?? ts.server.banner.backend_pins,
});

describe('daemon backend client (pinned HTTPS)', () => {
  it('reaches the backend over the pinned channel and reads its clock', async () => {
    const h = await new BackendClient(target()).health();
    assert.ok(h.serverDateMs !== null && Math.abs(h.serverDateMs - Date.now()) < 5000);
    assert.match(h.traceId, /^[0-9a-f-]{36}$/);
    assert.ok(ts.logs().includes(h.traceId), 'the backend logged our x-trace-id');
  });

  it('accepts the backup pin alone (pin roll), refuses when neither pin matches', async () => {
    const { primary_b64, backup_b64 } = ts.server.banner.backend_pins;
    await new BackendClient(target({ pins: { primary_b64: randomPin(), backup_b64: primary_b64 } })).health();
    const wrong = new BackendClient(target({ pins: { primary_b64: randomPin(), backup_b64: randomPin() } }));
    await assert.rejects(wrong.health(), (e) => isViworksError(e, 'VIW_E_PIN_MISMATCH'));
    assert.ok(backup_b64);
  });

  it('refuses a chain from another CA as a pin mismatch (fail closed)', async () => {
    const keys = await generateEcKeyPair();
    const foreign = (await createRoot('Foreign Root', keys, 1)).toString('pem');
    const c = new BackendClient(target({ caPem: foreign }));
    await assert.rejects(c.health(), (e) => isViworksError(e, 'VIW_E_PIN_MISMATCH'));
  });

  it('types an unreachable backend', async () => {
    const closed = new BackendClient({ ...target(), url: 'https://127.0.0.1:1' });
    await assert.rejects(closed.health(), (e) => isViworksError(e, 'VIW_E_BACKEND_UNREACHABLE'));
  });

  it('rebuilds backend refusals as typed errors', async () => {
    const c = new BackendClient(target());
    const keys = await newDesktopKeys();
    const signer = async (method: string, path: string, body: Uint8Array) =>
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
      (e) => isViworksError(e) && e.code.startsWith('VIW_E_') && e.code !== 'VIW_E_INTERNAL',
    );
    await assert.rejects(
      c.heartbeat(`viw_at_${'A'.repeat(43)}`, `s-${'0'.repeat(32)}`),
      (e) => isViworksError(e, 'VIW_E_TOKEN_INVALID') || isViworksError(e, 'VIW_E_AUTH_REQUIRED'),
    );
  });
});
