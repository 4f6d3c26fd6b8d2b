import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { isViworksError } from '../errors/viworks-error.js';
import { canonicalJson } from './chain.js';
import { buildAuditEvent } from './event.js';
import {
  type BatchManifest,
  batchFileStem,
  eventLeafData,
  eventLeafHash,
  FIRST_PREV_MANIFEST,
  MANIFEST_SIGNING_PREFIX,
  manifestDigest,
  manifestRangeConsistent,
  manifestSignedBytes,
  manifestText,
  parseManifest,
  parseManifestText,
  type UnsignedManifest,
} from './manifest.js';
import { leafHash } from './merkle.js';

const unsigned: UnsignedManifest = {
  v: 1,
  batch: 3,
  first_seq: 21,
  last_seq: 30,
  count: 10,
  from: '2026-03-01T10:00:00.000Z',
  to: '2026-03-01T10:00:59.999Z',
  root: 'a'.repeat(64),
  chain_head: 'b'.repeat(64),
  prev_manifest: 'c'.repeat(64),
  sealed_at: '2026-03-01T10:01:00.000Z',
  key_id: 'd'.repeat(64),
  alg: 'ed25519',
};

function signed(u: UnsignedManifest = unsigned): BatchManifest {
  const { privateKey } = generateKeyPairSync('ed25519');
  return { ...u, sig: sign(null, manifestSignedBytes(u), privateKey).toString('base64') };
}

describe('batch manifest contract', () => {
  it('signs the prefix and the canonical JSON without sig, whatever the key order', () => {
    const m = signed();
    const bytes = manifestSignedBytes(m).toString('utf8');
    assert.ok(bytes.startsWith(MANIFEST_SIGNING_PREFIX));
    assert.equal(bytes, `viworks-audit-manifest-v1\n${canonicalJson(unsigned)}`);
    assert.ok(!bytes.includes('"sig"'));
    const reordered = Object.fromEntries(Object.entries(m).reverse()) as BatchManifest;
    assert.ok(manifestSignedBytes(reordered).equals(manifestSignedBytes(m)));
    assert.equal(manifestText(reordered), manifestText(m));
  });

  it('chains manifests over their full text, signature included', () => {
    const m = signed();
    assert.equal(manifestDigest(m), createHash('sha256').update(canonicalJson(m)).digest('hex'));
    const otherSig = { ...m, sig: Buffer.alloc(64, 1).toString('base64') };
    assert.notEqual(manifestDigest(otherSig), manifestDigest(m));
    assert.equal(FIRST_PREV_MANIFEST, '0'.repeat(64));
  });

  it('verifies with both algorithms over the same bytes (Ed25519; ECDSA P-256, SHA-256, P1363)', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const u = { ...unsigned, alg: 'ecdsa-p256-sha256' as const };
    const sig = sign('sha256', manifestSignedBytes(u), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' });
    const m = parseManifest({ ...u, sig: sig.toString('base64') });
    assert.ok(
      verify('sha256', manifestSignedBytes(m), { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, sig),
    );
    const tampered = { ...m, count: 9 };
    assert.equal(
      verify('sha256', manifestSignedBytes(tampered), { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, sig),
      false,
    );
  });

  it('is a closed schema: unknown, missing or malformed fields are refused by name', () => {
    const m = signed();
    assert.deepEqual(parseManifestText(manifestText(m)), m);
    const refused = (value: unknown, path: string) =>
      assert.throws(
        () => parseManifest(value),
        (err: unknown) =>
          isViworksError(err, 'VIW_E_VALIDATION') && err.details.some((d) => d.includes(path)),
        path,
      );
    refused({ ...m, extra: 1 }, '/');
    refused({ ...m, v: 2 }, '/v');
    refused({ ...m, batch: 0 }, '/batch');
    refused({ ...m, root: 'A'.repeat(64) }, '/root');
    refused({ ...m, alg: 'rsa' }, '/alg');
    refused({ ...m, sealed_at: '2026-03-01T10:01:00Z' }, '/sealed_at');
    const { sig: _sig, ...noSig } = m;
    assert.throws(() => parseManifest(noSig));
    assert.throws(
      () => parseManifestText('{'),
      (err: unknown) => isViworksError(err, 'VIW_E_VALIDATION'),
    );
    assert.throws(
      () => parseManifestText(`${manifestText(m)}${' '.repeat(5000)}`),
      (err: unknown) => isViworksError(err, 'VIW_E_VALIDATION') && err.details[0]!.includes('larger than'),
    );
  });

  it('checks that count and range agree', () => {
    assert.ok(manifestRangeConsistent(unsigned));
    assert.equal(manifestRangeConsistent({ ...unsigned, count: 11 }), false);
    assert.equal(manifestRangeConsistent({ ...unsigned, last_seq: 20, count: 0 }), false);
  });

  it('hashes an event leaf as canonicalJson({seq, event}), so any copy with seq and fields can be checked', () => {
    const event = buildAuditEvent(
      { env: 'prod', site: 's1', tenant_id: 't' },
      { component: 'backend', action: 'auth.login', result: 'success' },
      new Date('2026-03-01T10:00:00.000Z'),
    );
    const data = eventLeafData(42, event).toString('utf8');
    assert.equal(data, `{"event":${canonicalJson(event)},"seq":42}`);
    // Field order in the copy does not matter; content does.
    const shuffled = Object.fromEntries(Object.entries(event).reverse());
    assert.ok(eventLeafHash(42, shuffled).equals(eventLeafHash(42, event)));
    assert.ok(eventLeafHash(42, event).equals(leafHash(Buffer.from(data, 'utf8'))));
    assert.equal(eventLeafHash(43, event).equals(eventLeafHash(42, event)), false, 'the seq is in the leaf');
    assert.equal(eventLeafHash(42, { ...event, rc: 1 }).equals(eventLeafHash(42, event)), false);
    assert.equal(batchFileStem(42), '000000000042');
  });
});
