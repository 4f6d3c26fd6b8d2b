import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { needPeers } from '../../../../scripts/testkit/peers.js';
import { bodySignatureHeader, verifyBodySignature } from './body-signature.js';
import { loadOrCreateShippingKey, type ShippingKey, shippingKeyPaths } from './shipping-key.js';

const BODY = Buffer.from(
  '{"create":{"_index":"viworks-audit","_id":"default-1"}}\n{"seq":1,"hash":"ab"}\n' +
    '{"create":{"_index":"viworks-audit","_id":"default-2"}}\n{"seq":2,"hash":"cd"}\n',
);

describe('body signature', () => {
  let dir: string;
  let key: ShippingKey;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-bodysig-'));
    key = loadOrCreateShippingKey(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies over the exact body with the published key', () => {
    const header = bodySignatureHeader(key, BODY);
    assert.match(header, /^keyid=[0-9a-f]{64}, alg=ed25519, sig=[A-Za-z0-9+/]{86}==$/);
    assert.deepEqual(verifyBodySignature(header, BODY, [key.publicKey]), { valid: true, keyId: key.keyId });
  });

  it('fails after any one byte of the body changes, or a byte is added or removed', () => {
    const header = bodySignatureHeader(key, BODY);
    for (const at of [0, 1, Math.floor(BODY.length / 2), BODY.length - 2, BODY.length - 1]) {
      const changed = Buffer.from(BODY);
      changed[at] = changed[at]! ^ 0x01;
      assert.deepEqual(verifyBodySignature(header, changed, [key.publicKey]), {
        valid: false,
        reason: 'bad-signature',
      });
    }
    assert.equal(
      verifyBodySignature(header, Buffer.concat([BODY, Buffer.from('\n')]), [key.publicKey]).valid,
      false,
    );
    assert.equal(verifyBodySignature(header, BODY.subarray(0, -1), [key.publicKey]).valid, false);
  });

  it('tells a missing, malformed or unknown-key header apart, and never accepts one', () => {
    const good = bodySignatureHeader(key, BODY);
    const sig = good.slice(good.indexOf('sig=') + 4);
    const other = generateKeyPairSync('ed25519').publicKey;
    const cases: Array<[string | string[] | undefined, string]> = [
      [undefined, 'missing'],
      [[good, good], 'malformed'],
      [`keyid=${key.keyId}, alg=rsa, sig=${sig}`, 'malformed'],
      [`keyid=${key.keyId}, alg=ed25519, alg=ed25519, sig=${sig}`, 'malformed'],
      [`keyid=${key.keyId}, alg=ed25519, sig=${sig}, extra=1`, 'malformed'],
      [`keyid=${key.keyId.toUpperCase()}, alg=ed25519, sig=${sig}`, 'malformed'],
      [`keyid=${key.keyId}, alg=ed25519, sig=${sig.slice(4)}`, 'malformed'],
      [`keyid=${key.keyId}, alg=ed25519, sig=${'A'.repeat(300)}`, 'malformed'],
      [`keyid=${'0'.repeat(64)}, alg=ed25519, sig=${sig}`, 'unknown-key'],
    ];
    for (const [header, reason] of cases) {
      assert.deepEqual(
        verifyBodySignature(header, BODY, [key.publicKey]),
        { valid: false, reason },
        String(header),
      );
    }
    assert.deepEqual(verifyBodySignature(good, BODY, [other]), { valid: false, reason: 'unknown-key' });
    // Parameter order and spacing are not significant.
    const reordered = `sig=${sig},alg=ed25519 , keyid=${key.keyId}`;
    assert.equal(verifyBodySignature(reordered, BODY, [other, key.publicKey]).valid, true);
  });

  const openssl = needPeers({ binaries: ['/usr/bin/openssl'], apt: 'openssl' });
  it('verifies SIEM-side with the openssl CLI as documented', { skip: openssl.skip }, () => {
    const header = bodySignatureHeader(key, BODY);
    const sig = Buffer.from(header.slice(header.indexOf('sig=') + 4), 'base64');
    const pub = shippingKeyPaths(dir).publicKey;
    writeFileSync(join(dir, 'body'), BODY);
    writeFileSync(join(dir, 'sig.bin'), sig);
    const run = (args: string[]) => spawnSync('/usr/bin/openssl', args, { cwd: dir, encoding: 'buffer' });
    const der = run(['pkey', '-pubin', '-in', pub, '-outform', 'DER']);
    assert.equal(der.status, 0);
    assert.equal(
      createHash('sha256').update(der.stdout).digest('hex'),
      key.keyId,
      'keyid = sha256(SPKI DER)',
    );
    const verifyArgs = [
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      pub,
      '-rawin',
      '-in',
      'body',
      '-sigfile',
      'sig.bin',
    ];
    const ok = run(verifyArgs);
    assert.equal(ok.status, 0, ok.stderr.toString());
    assert.match(ok.stdout.toString(), /Signature Verified Successfully/);
    const tampered = Buffer.from(BODY);
    tampered[10] = tampered[10]! ^ 0x20;
    writeFileSync(join(dir, 'body'), tampered);
    assert.notEqual(run(verifyArgs).status, 0, 'openssl refuses a changed body');
  });
});
