import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pkcs11 from 'pkcs11js';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import {
  createSoftHsmToken,
  type SoftHsmToken,
  softHsmPeers,
  useSoftHsmToken,
} from '../../../scripts/testkit/softhsm.js';
import { verifyAuditSignature } from '../../services/audit/signer.js';
import { openHsm } from './hsm.js';

const peers = softHsmPeers();

/** IEEE P1363 r‖s → DER ECDSA-Sig-Value, what `openssl dgst -verify` reads. */
function p1363ToDer(sig: Buffer): Buffer {
  const int = (b: Buffer) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    const body = v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v;
    return Buffer.concat([Buffer.from([0x02, body.length]), body]);
  };
  const seq = Buffer.concat([int(sig.subarray(0, 32)), int(sig.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, seq.length]), seq]);
}

/** CKA_VALUE of the private key labelled `label`, asked through raw PKCS#11 (not our wrapper). */
function readPrivateValue(token: SoftHsmToken, label: string): string {
  const p11 = new pkcs11.PKCS11();
  p11.load(token.module);
  try {
    p11.C_Initialize();
  } catch (err) {
    if (!(err instanceof pkcs11.Pkcs11Error && err.code === pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED))
      throw err;
  }
  const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === token.tokenLabel);
  assert.ok(slot, 'token slot');
  const session = p11.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION);
  try {
    p11.C_FindObjectsInit(session, [
      { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY },
      { type: pkcs11.CKA_LABEL, value: label },
    ]);
    const [handle] = p11.C_FindObjects(session, 2);
    p11.C_FindObjectsFinal(session);
    assert.ok(handle, `private key ${label} found`);
    try {
      p11.C_GetAttributeValue(session, handle, [{ type: pkcs11.CKA_VALUE }]);
      return 'read';
    } catch (err) {
      return err instanceof pkcs11.Pkcs11Error ? err.message : String(err);
    }
  } finally {
    p11.C_CloseSession(session);
  }
}

describe('HSM keys in a PKCS#11 token (SoftHSM2)', { skip: peers.skip }, () => {
  let token: SoftHsmToken;
  let scratch: string;
  const settings = () => ({ module: token.module, tokenLabel: token.tokenLabel, pinFile: token.pinFile });

  before(async () => {
    token = await createSoftHsmToken();
    useSoftHsmToken(token);
    scratch = mkdtempSync(join(tmpdir(), 'viw-hsm-test-'));
  });
  after(async () => {
    rmSync(scratch, { recursive: true, force: true });
    await token?.destroy();
  });

  it('makes CA keys inside the token that cannot leave it', async () => {
    const hsm = await openHsm(settings());
    try {
      assert.equal(await hsm.caKeyPair('int-tls', false), null);
      const pair = await hsm.caKeyPair('int-tls', true);
      assert.ok(pair);
      await assert.rejects(hsm.crypto.subtle.exportKey('pkcs8', pair.privateKey));
      await assert.rejects(hsm.crypto.subtle.exportKey('jwk', pair.privateKey));
      const described = await hsm.describe();
      assert.equal(described.tokenLabel, token.tokenLabel);
      assert.equal(described.manufacturer, 'SoftHSM project');
      const key = described.keys.find((k) => k.label === 'viworks-int-tls');
      assert.ok(key, 'described');
      assert.equal(key.extractable, false);
      assert.equal(key.sensitive, true);
      assert.equal(key.neverExtractable, true);
      assert.equal(key.private, true);
      assert.equal(key.token, true);
      assert.equal(key.local, true, 'generated in the token');
      assert.equal(key.nonExportable, true);
      assert.equal(readPrivateValue(token, 'viworks-int-tls'), 'CKR_ATTRIBUTE_SENSITIVE');
    } finally {
      await hsm.close();
    }
  });

  it('finds the same keys after a reopen', async () => {
    const first = await openHsm(settings());
    const before = await first.caKeyPair('int-vpn', true);
    await first.close();
    const again = await openHsm(settings());
    try {
      const after = await again.caKeyPair('int-vpn', false);
      assert.ok(before && after);
      assert.deepEqual(after.spki, before.spki);
      assert.equal(await again.caKeyPair('int-device', false), null);
    } finally {
      await again.close();
    }
  });

  it('signs audit data that verifyAuditSignature and openssl accept, serialized under load', async () => {
    const hsm = await openHsm(settings());
    try {
      await assert.rejects(hsm.auditSigner(false), (e) => isViworksError(e, 'VIW_E_KEYSTORE'));
      const signer = await hsm.auditSigner(true);
      assert.equal(signer.algorithm, 'ecdsa-p256-sha256');
      assert.equal(signer.storage, 'pkcs11');
      const data = Buffer.from('viworks-audit-manifest-v1\nroot\n');
      const sig = await signer.sign(data);
      assert.equal(sig.length, 64, 'P1363 r‖s');
      assert.equal(verifyAuditSignature(signer.algorithm, signer.publicKeyPem, data, sig), true);
      assert.equal(
        verifyAuditSignature(signer.algorithm, signer.publicKeyPem, Buffer.from('other'), sig),
        false,
      );

      writeFileSync(join(scratch, 'audit.pub.pem'), signer.publicKeyPem);
      writeFileSync(join(scratch, 'data'), data);
      writeFileSync(join(scratch, 'sig.der'), p1363ToDer(sig));
      const out = execFileSync('openssl', [
        'dgst',
        '-sha256',
        '-verify',
        join(scratch, 'audit.pub.pem'),
        '-signature',
        join(scratch, 'sig.der'),
        join(scratch, 'data'),
      ]).toString();
      assert.match(out, /Verified OK/);

      // Many signatures at once on the one session: each must be whole and valid.
      const many = await Promise.all(
        Array.from({ length: 24 }, (_, i) => signer.sign(Buffer.from(`event ${i}`))),
      );
      many.forEach((s, i) => {
        assert.equal(
          verifyAuditSignature(signer.algorithm, signer.publicKeyPem, Buffer.from(`event ${i}`), s),
          true,
        );
      });
      const again = await hsm.auditSigner(false);
      assert.equal(again.keyId, signer.keyId);
    } finally {
      await hsm.close();
    }
  });

  it('installs a pending CA key in place of the current one, keeping the old as -prev', async () => {
    const hsm = await openHsm(settings());
    try {
      const current = await hsm.caKeyPair('int-device', true);
      const pending = await hsm.pendingCaKeyPair('int-device', true);
      assert.ok(current && pending);
      assert.notDeepEqual(pending.spki, current.spki);
      assert.deepEqual(
        (await hsm.pendingCaKeyPair('int-device', true))?.spki,
        pending.spki,
        'pending reused',
      );
      await hsm.installPendingCaKey('int-device');
      await hsm.installPendingCaKey('int-device'); // a second run (after a crash) changes nothing
      assert.deepEqual((await hsm.caKeyPair('int-device', false))?.spki, pending.spki);
      assert.equal(await hsm.pendingCaKeyPair('int-device', false), null);
      const labels = (await hsm.describe()).keys.map((k) => k.label);
      assert.ok(labels.includes('viworks-int-device-prev'));
      assert.ok((await hsm.describe()).keys.every((k) => k.nonExportable));
    } finally {
      await hsm.close();
    }
  });

  it('refuses a wrong PIN, a missing module, an absent token and a loose PIN file, naming the setting and never the PIN', async () => {
    const goodPin = readFileSync(token.pinFile, 'utf8').trim();
    const wrongPin = join(scratch, 'wrong.pin');
    writeFileSync(wrongPin, 'not-the-pin-123\n', { mode: 0o600 });
    const refused = async (s: Parameters<typeof openHsm>[0], setting: RegExp) => {
      await assert.rejects(openHsm(s), (err: unknown) => {
        assert.ok(isViworksError(err, 'VIW_E_CONFIG'), String(err));
        const text = `${err.message} ${err.details.join(' ')} ${err.stack ?? ''}`;
        assert.match(err.details.join('\n'), setting);
        assert.ok(!text.includes(goodPin) && !text.includes('not-the-pin-123'), 'no PIN in the error');
        return true;
      });
    };
    await refused({ ...settings(), pinFile: wrongPin }, /hsm\.pinFile: .*CKR_PIN_INCORRECT/);
    await refused(
      { ...settings(), pinFile: join(scratch, 'absent.pin') },
      /hsm\.pinFile: cannot read .*ENOENT/,
    );
    const loose = join(scratch, 'loose.pin');
    writeFileSync(loose, `${goodPin}\n`);
    chmodSync(loose, 0o644);
    await refused({ ...settings(), pinFile: loose }, /hsm\.pinFile: .*open to other users/);
    await refused({ ...settings(), module: join(scratch, 'no-such-module.so') }, /hsm\.module: cannot load/);
    await refused(
      { ...settings(), tokenLabel: 'no-such-token' },
      /hsm\.tokenLabel: no token labelled "no-such-token"/,
    );
    // And the right PIN still opens it afterwards.
    await (await openHsm(settings())).close();
  });
});
