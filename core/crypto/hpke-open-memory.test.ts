// The open path against the process's real memory, not only the buffers it knows about: after an
// open returns, none of the RFC 9180 key schedule's secrets (the KEM shared secret, the key schedule
// secret, the AEAD key, the exporter secret) nor the plaintext is anywhere in this process's writable
// memory — JS heap, malloc arenas (freed blocks included), OpenSSL's, stacks. The same scan after
// @hpke/core's own open finds them, which shows the scan sees what a leaky open leaves behind. Its own
// file, so its own process: nothing else here ever derived these values. /proc/self/mem needs no root.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formsOf, needlesFound, writableRegions } from '../../scripts/testkit/memory-scan.js';
import { hexDecode, wipe } from './bytes.js';
import { hpkeOpen, hpkeSuite, importPrivateKey } from './hpke.js';
import { RFC9180_A2, RFC9180_A2_BASE_SCHEDULE } from './hpke.vectors.js';
import { type EcdhZ, hpkeOpenWithEcdh, hpkeSuiteP256 } from './hpke-p256.js';
import { RFC9180_A5_BASE } from './hpke-p256.vectors.js';

const A2 = RFC9180_A2[0]!;
const A2_E0 = A2.encryptions[0]!;
const S = RFC9180_A2_BASE_SCHEDULE;
const A5 = RFC9180_A5_BASE;
const A5_E0 = A5.encryptions[0]!;

/** A Buffer over the same memory: Buffer.from(pt) would leave an unwiped copy in Node's buffer pool. */
const view = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Secrets as hex text: they become raw bytes only after memory has been read (see secretsInMemory). */
const SECRETS: Record<string, string> = {
  'A.2 shared_secret': S.shared_secret,
  'A.2 secret': S.secret,
  'A.2 key': S.key,
  'A.2 exporter_secret': S.exporter_secret,
  'A.2 plaintext': A2_E0.pt,
  'A.5 shared_secret': A5.shared_secret,
  'A.5 key': A5.key,
};

/** Reads the process's memory first, then builds the raw needles, so they are not in what is searched. */
function secretsInMemory(): string[] {
  const regions = writableRegions(process.pid);
  const needles = Object.entries(SECRETS).map(([name, hex]) => formsOf(name, Buffer.from(hex, 'hex'))[0]!);
  return needlesFound(regions, needles);
}

describe('an open leaves no key schedule secret and no plaintext in memory', () => {
  it('none after hpkeOpen and hpkeOpenWithEcdh; @hpke/core leaves them (the scan sees them)', async () => {
    const recipientKey = await importPrivateKey(hexDecode(A2.skRm));
    const a2 = {
      enc: hexDecode(A2.enc),
      info: hexDecode(A2.info),
      aad: hexDecode(A2_E0.aad),
      ct: hexDecode(A2_E0.ct),
    };
    const pt = await hpkeOpen({ recipientKey, ...a2 });
    assert.equal(view(pt).toString('hex'), A2_E0.pt);
    wipe(pt);

    const p256 = await hpkeSuiteP256().kem.deriveKeyPair(hexDecode(A5.ikmR));
    const ecdh: EcdhZ = async (peer) => {
      const pub = await crypto.subtle.importKey(
        'raw',
        new Uint8Array(peer),
        { name: 'ECDH', namedCurve: 'P-256' },
        false,
        [],
      );
      return new Uint8Array(
        await crypto.subtle.deriveBits({ name: 'ECDH', public: pub }, p256.privateKey, null),
      );
    };
    const pt5 = await hpkeOpenWithEcdh({
      recipientPublicKey: hexDecode(A5.pkRm),
      ecdh,
      enc: hexDecode(A5.enc),
      info: hexDecode(A5.info),
      aad: hexDecode(A5_E0.aad),
      ct: hexDecode(A5_E0.ct),
    });
    assert.equal(view(pt5).toString('hex'), A5_E0.pt);
    wipe(pt5);

    assert.deepEqual(secretsInMemory(), [], 'found after our opens');

    const viaLibrary = await hpkeSuite().open({ recipientKey, enc: a2.enc, info: a2.info }, a2.ct, a2.aad);
    assert.equal(Buffer.from(viaLibrary).toString('hex'), A2_E0.pt);
    const found = secretsInMemory();
    assert.ok(
      found.includes('A.2 key (raw)') && found.includes('A.2 shared_secret (raw)'),
      `found: ${found}`,
    );
  });
});
