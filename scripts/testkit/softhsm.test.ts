import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import pkcs11 from 'pkcs11js';
import { createSoftHsmToken, type SoftHsmToken, softHsmPeers, useSoftHsmToken } from './softhsm.js';

describe('SoftHSM2 test tokens', { skip: softHsmPeers().skip }, () => {
  let a: SoftHsmToken;
  let b: SoftHsmToken;
  before(async () => {
    a = await createSoftHsmToken({ label: 'viw-kit-a' });
    b = await createSoftHsmToken();
  });
  after(async () => {
    await a?.destroy();
    await b?.destroy();
  });

  it('makes an initialized token in a private directory, its PIN in a 0600 file', () => {
    assert.equal(statSync(a.dir).mode & 0o777, 0o700);
    assert.equal(statSync(a.pinFile).mode & 0o777, 0o600);
    assert.match(readFileSync(a.pinFile, 'utf8'), /^[0-9a-f]{24}\n$/);
    const slots = execFileSync('softhsm2-util', ['--show-slots'], { env: a.env }).toString();
    assert.match(slots, /Label:\s+viw-kit-a/);
    assert.match(slots, /User PIN init\.:\s+yes/);
  });

  it('keeps tokens apart: each configuration sees only its own', () => {
    assert.notEqual(a.env.SOFTHSM2_CONF, b.env.SOFTHSM2_CONF);
    assert.match(b.tokenLabel, /^viw-test-[0-9a-f]{8}$/);
    const slots = execFileSync('softhsm2-util', ['--show-slots'], { env: b.env }).toString();
    assert.match(slots, new RegExp(`Label:\\s+${b.tokenLabel}`));
    assert.doesNotMatch(slots, /viw-kit-a/);
  });

  it('logs in in-process with the PIN from the file once SOFTHSM2_CONF points at the token', () => {
    useSoftHsmToken(a);
    const p11 = new pkcs11.PKCS11();
    p11.load(a.module);
    p11.C_Initialize();
    try {
      const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === a.tokenLabel);
      assert.ok(slot, 'token found');
      const session = p11.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION);
      assert.throws(() => p11.C_Login(session, pkcs11.CKU_USER, 'wrong-pin'), /CKR_PIN_INCORRECT/);
      p11.C_Login(session, pkcs11.CKU_USER, readFileSync(a.pinFile, 'utf8').trim());
      p11.C_Logout(session);
      p11.C_CloseSession(session);
    } finally {
      p11.C_Finalize();
      p11.close();
    }
  });

  it('refuses a label that is not a plain word (it reaches a shell command line)', async () => {
    await assert.rejects(createSoftHsmToken({ label: 'x; touch /tmp/pwned' }), RangeError);
  });

  it('removes everything on destroy', async () => {
    const c = await createSoftHsmToken();
    await c.destroy();
    assert.equal(existsSync(c.dir), false);
  });
});
