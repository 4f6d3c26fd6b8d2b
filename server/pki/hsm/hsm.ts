// The backend's PKCS#11 token (docs/audit.md#hsm; SoftHSM2 in tests): the int-tls, int-vpn and
// int-device CA keys and the audit-signing key, each an ECDSA P-256 pair generated inside the token
// and never exportable. Labels: `viworks-<name>` in use, `viworks-<name>-next` made by
// `pki intermediate-csr` and waiting for its certificate, `viworks-<name>-prev` the one it replaced
// (kept while certificates it issued live), `viworks-audit`.
//
// Private keys here sign only through `hsm.crypto` (pass it to @peculiar/x509 as the crypto
// provider); the public halves come back as Node WebCrypto keys, usable without the token.
import { Crypto as P11Crypto } from 'node-webcrypto-p11';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { AuditSigner } from '../../services/audit/signer.js';
import type { IntermediateName } from '../profiles.js';
import { tokenAuditSigner } from './audit-signer.js';
import { readPinFile } from './pin-file.js';
import { serializedCrypto } from './serialized-crypto.js';
import { nonExportable, type TokenKeyAttributes, type TokenKeyPair, TokenKeys } from './token-keys.js';
import { TokenLock } from './token-lock.js';
import { type HsmSettings, openTokenSession } from './token-session.js';

export type { TokenKeyAttributes, TokenKeyPair } from './token-keys.js';
export type { HsmSettings } from './token-session.js';

export interface HsmKeyDescription extends TokenKeyAttributes {
  /** Sensitive, never extractable, always sensitive, a private token object: as read back. */
  readonly nonExportable: boolean;
}

export interface HsmDescription {
  readonly module: string;
  readonly tokenLabel: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly serialNumber: string;
  /** Every private key under our label prefix, with its attributes as the token reports them. */
  readonly keys: readonly HsmKeyDescription[];
}

export interface Hsm {
  readonly module: string;
  readonly tokenLabel: string;
  /** The token's WebCrypto, one operation at a time: what signs with the private keys below. */
  readonly crypto: Crypto;
  /** The CA key in use (`viworks-<name>`); made in the token when missing and `create`. */
  caKeyPair(name: IntermediateName, create: boolean): Promise<TokenKeyPair | null>;
  /** The key waiting for a new intermediate certificate (`viworks-<name>-next`). */
  pendingCaKeyPair(name: IntermediateName, create: boolean): Promise<TokenKeyPair | null>;
  /**
   * The pending key becomes the one in use; the one in use becomes `-prev` (an older `-prev` is
   * destroyed). Safe to run again after a crash half-way.
   */
  installPendingCaKey(name: IntermediateName): Promise<void>;
  /** The audit-signing key (`viworks-audit`); VIW_E_KEYSTORE when missing and not `create`. */
  auditSigner(create: boolean): Promise<AuditSigner>;
  describe(): Promise<HsmDescription>;
  close(): Promise<void>;
}

export interface OpenHsmOptions {
  /** Label prefix of our objects (default `viworks`): lets several deployments share one token. */
  readonly labelPrefix?: string;
}

/** Loads the module, finds the token by label and logs in with the PIN from `settings.pinFile`. */
export async function openHsm(settings: HsmSettings, opts: OpenHsmOptions = {}): Promise<Hsm> {
  const prefix = opts.labelPrefix ?? 'viworks';
  const pin = readPinFile(settings.pinFile);
  let opened: ReturnType<typeof openTokenSession>;
  try {
    opened = openTokenSession(settings, pin);
  } finally {
    pin.fill(0);
  }
  const lock = new TokenLock();
  const p11 = new P11Crypto({ session: opened.session });
  const crypto = serializedCrypto(p11, lock);
  const keys = new TokenKeys(p11, opened.session);
  const label = (name: string, stage = '') => `${prefix}-${name}${stage}`;

  const keyPair = (name: string, create: boolean) =>
    lock.run(async () => (await keys.load(name)) ?? (create ? keys.generate(name) : null));

  return {
    module: settings.module,
    tokenLabel: settings.tokenLabel,
    crypto,
    caKeyPair: (name, create) => keyPair(label(name), create),
    pendingCaKeyPair: (name, create) => keyPair(label(name, '-next'), create),
    installPendingCaKey: (name) =>
      lock.run(() => {
        const [current, next, prev] = [label(name), label(name, '-next'), label(name, '-prev')];
        if (!keys.attributes(next)) {
          if (keys.attributes(current)) return;
          throw new ViworksError('VIW_E_KEYSTORE', {
            message: 'No pending CA key in the PKCS#11 token',
            details: [next],
          });
        }
        if (keys.attributes(current)) {
          keys.destroy(prev);
          keys.relabel(current, prev);
        }
        keys.relabel(next, current);
      }),
    async auditSigner(create) {
      const pair = await keyPair(label('audit'), create);
      if (!pair) {
        throw new ViworksError('VIW_E_KEYSTORE', {
          message: 'No audit-signing key in the PKCS#11 token',
          details: [label('audit')],
        });
      }
      return tokenAuditSigner(pair, crypto);
    },
    describe: () =>
      lock.run(() => ({
        module: settings.module,
        tokenLabel: settings.tokenLabel,
        manufacturer: opened.token.manufacturerID.trim(),
        model: opened.token.model.trim(),
        serialNumber: opened.token.serialNumber.trim(),
        keys: keys
          .labels(`${prefix}-`)
          .map((l) => keys.attributes(l))
          .filter((a): a is TokenKeyAttributes => a !== null)
          .map((a) => ({ ...a, nonExportable: nonExportable(a) })),
      })),
    close: () => lock.run(() => opened.close()),
  };
}
