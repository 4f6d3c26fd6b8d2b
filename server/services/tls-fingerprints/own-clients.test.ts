import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadOrCreatePki } from '../../pki/embedded-pki.js';
import { splitNames } from '../../start.js';
import { fingerprintFacts } from './audit-fields.js';
import { ownClientFingerprints } from './own-clients.js';

describe('our own clients’ TLS fingerprints, measured', () => {
  it('by name and by address: TLS 1.3 only, the same lists, SNI the only difference', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'viw-own-fp-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const pki = await loadOrCreatePki(dir, splitNames(['localhost', '127.0.0.1']));
    const { fingerprints, missing } = await ownClientFingerprints(pki.rootPem);
    assert.deepEqual(missing, []);
    const [byName, byAddress] = fingerprints;
    assert.deepEqual(
      fingerprints.map((f) => f.variant),
      ['by name (SNI)', 'by address (no SNI)'],
    );
    assert.match(byName!.ja4, /^t13d/);
    assert.match(byAddress!.ja4, /^t13i/);
    // The extension count differs by the SNI extension; both hashes are the same.
    assert.equal(Number(byName!.ja4.slice(6, 8)), Number(byAddress!.ja4.slice(6, 8)) + 1);
    assert.equal(byName!.ja4.slice(10), byAddress!.ja4.slice(10));
    // TLS 1.3 only: supported_versions (43) offers 1.3 alone, so no TLS 1.2 suite is in the list.
    for (const f of fingerprints) {
      assert.match(f.ja3Text, /^771,/);
      assert.ok(f.ja4Raw.includes('_002b,') || f.ja4Raw.includes(',002b,'), 'supported_versions sent');
      const suites = f.ja4Raw.split('_')[1]!.split(',');
      assert.ok(
        suites.every((c) => c.startsWith('13') || c === '00ff'),
        suites.join(','),
      );
      assert.deepEqual(fingerprintFacts(f), { tls_ja3: f.ja3, tls_ja4: f.ja4 }, 'fits the audit schema');
    }
    assert.notEqual(byName!.ja3, byAddress!.ja3);
  });
});
