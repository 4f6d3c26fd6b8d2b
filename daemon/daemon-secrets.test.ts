// The session's key material is wiped however a connect ends, against the REAL backend (fakes only
// for the TLS proxy and OpenVPN). The key store is the encrypted file store behind a hook that runs
// when the sealed bootstrap is opened: there the test takes hold of the session's secret Buffers
// as the engine stores them, and can make the open wait (as a busy TPM does) while a disconnect
// ends the session. Each case then checks that every one of those Buffers is all zeros.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BootstrapSecrets } from '../core/bootstrap/opened.js';
import type { SignedHeaders } from '../core/crypto/request-signing.js';
import { isViworksError } from '../core/errors/viworks-error.js';
import type { ActiveSession } from './engine/session.js';
import { FileKeyStore } from './keystore/file-store.js';
import type { HardwareKeyStore, NewDeviceKeys } from './keystore/keystore.js';
import { SecretStoreDeviceKeys } from './keystore/software-device-keys.js';
import { type BackendSession, startBackendSession } from './testing/backend-session.js';
import { until } from './testing/viworksd-process.js';

const PASSWORD = 'wanda wipe correct horse 58';

/** The file store's device keys, with a hook the open of each sealed bootstrap waits for. */
class HookedKeyStore implements HardwareKeyStore {
  readonly kind = 'device-keys' as const;
  private readonly keys: SecretStoreDeviceKeys;
  /** Runs after the envelope is decrypted, before the plaintext goes back to the engine. */
  onOpen: (() => Promise<void>) | null = null;

  constructor(stateDir: string) {
    this.keys = new SecretStoreDeviceKeys(new FileKeyStore({ dir: join(stateDir, 'keys') }));
  }

  get name(): string {
    return this.keys.name;
  }
  get protection() {
    return this.keys.protection;
  }
  get keyType() {
    return this.keys.keyType;
  }
  create(): Promise<NewDeviceKeys> {
    return this.keys.create();
  }
  check(): Promise<void> {
    return this.keys.check();
  }
  sign(keyId: string, method: string, path: string, body: Uint8Array): Promise<SignedHeaders> {
    return this.keys.sign(keyId, method, path, body);
  }
  delete(): Promise<void> {
    return this.keys.delete();
  }
  async openEnvelope(
    envelope: unknown,
    o: { readonly expectedDeviceId: string; readonly expectedSessionId: string },
  ): Promise<Uint8Array> {
    const plaintext = await this.keys.openEnvelope(envelope, o);
    await this.onOpen?.();
    return plaintext;
  }
}

/** A set of secrets the engine stored on the session, and whether each Buffer held key material then. */
interface Stored {
  readonly secrets: BootstrapSecrets;
  readonly liveWhenStored: boolean;
}

/** Every set of secrets the engine stores on `s` from now on (the session's own Buffers). */
function secretsStoredOn(s: ActiveSession): Stored[] {
  const stored: Stored[] = [];
  let value = s.secrets;
  Object.defineProperty(s, 'secrets', {
    configurable: true,
    enumerable: true,
    get: () => value,
    set: (v: BootstrapSecrets | null) => {
      if (v)
        stored.push({
          secrets: v,
          liveWhenStored: Object.values(v).every((buf: Buffer) => buf.some((x) => x !== 0)),
        });
      value = v;
    },
  });
  return stored;
}

/** The session stored real key material once, and every one of those Buffers is all zeros now. */
function assertWiped(stored: readonly Stored[] | null): void {
  assert.ok(stored, 'the hook saw the open');
  assert.equal(stored.length, 1, 'the session stored one set of secrets');
  assert.equal(stored[0]!.liveWhenStored, true, 'the secrets were key material when stored');
  for (const [name, buf] of Object.entries(stored[0]!.secrets) as Array<[string, Buffer]>) {
    assert.ok(buf.length > 0, `${name}: empty`);
    assert.ok(
      buf.every((b) => b === 0),
      `${name}: ${buf.filter((b) => b !== 0).length} of ${buf.length} bytes not wiped`,
    );
  }
}

describe('the session secrets are wiped however a connect ends', () => {
  let b: BackendSession;
  let store: HookedKeyStore;

  before(async () => {
    b = await startBackendSession('wanda', PASSWORD, {
      keyStore: (stateDir) => {
        store = new HookedKeyStore(stateDir);
        return store;
      },
    });
    await b.enrollWithToken(PASSWORD);
  });
  after(async () => {
    if (store) store.onOpen = null;
    await b?.stop();
  });

  /** Arms the hook for the next connect: what it stores on its session (filled in at the open). */
  function watchNextConnect(opts: { hold?: Promise<void>; entered?: () => void } = {}) {
    const seen: { stored: Stored[] | null } = { stored: null };
    store.onOpen = async () => {
      store.onOpen = null;
      const s = b.d.daemon.engine.activeSession();
      assert.ok(s, 'a session is opening its bootstrap');
      seen.stored = secretsStoredOn(s);
      opts.entered?.();
      await opts.hold;
    };
    return seen;
  }

  it('a disconnect while the bootstrap is being opened (the key store still busy) wipes what the open returns', async () => {
    await b.login(PASSWORD);
    let release!: () => void;
    const hold = new Promise<void>((r) => {
      release = r;
    });
    let entered = false;
    const seen = watchNextConnect({ hold, entered: () => (entered = true) });
    const connecting = b.d.client.connect().then(
      () => null,
      (err: unknown) => err,
    );
    await until(() => entered, 'the open of the bootstrap', 15_000);
    assert.equal((await b.d.client.status()).state, 'bootstrapping');

    // The session ends while the key store still holds the open: its teardown finds no secrets yet.
    assert.equal((await b.d.client.disconnect()).state, 'enrolled');
    release();
    const err = await connecting;
    assert.ok(isViworksError(err, 'VIW_E_STATE'), `connect: ${String(err)}`);

    // The open handed over real keys after the teardown, and none of them is left.
    assertWiped(seen.stored);
    assert.equal(b.d.daemon.engine.activeSession(), null);
    assert.equal((await b.d.client.status()).state, 'enrolled');
  });

  const failures = [
    {
      name: 'no TLS answer after every knock (VIW_E_SPA_FAILED)',
      code: 'VIW_E_SPA_FAILED',
      arrange: () => {
        b.d.tls.failWith = ['VIW_E_TLS_FAILED', 'VIW_E_TLS_FAILED', 'VIW_E_TLS_FAILED'];
      },
    },
    {
      name: 'the gateway key matching neither pin (VIW_E_PIN_MISMATCH)',
      code: 'VIW_E_PIN_MISMATCH',
      arrange: () => {
        b.d.tls.failWith = ['VIW_E_PIN_MISMATCH'];
      },
    },
    {
      name: 'OpenVPN refused by the gateway (VIW_E_OPENVPN_FAILED, not retried)',
      code: 'VIW_E_OPENVPN_FAILED',
      arrange: () => {
        b.d.openvpn.failWith = [{ reason: 'auth_failed', retryable: false }];
      },
    },
  ] as const;

  for (const f of failures) {
    it(`a failed connect wipes them: ${f.name}`, async () => {
      await b.login(PASSWORD);
      const seen = watchNextConnect();
      f.arrange();
      await assert.rejects(b.d.client.connect(), (e) => isViworksError(e, f.code));
      assertWiped(seen.stored);
      const s = await b.d.client.status();
      assert.equal(s.state, 'error');
      assert.equal(s.last_error?.code, f.code);
    });
  }
});
