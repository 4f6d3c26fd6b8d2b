import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { hostKeyFingerprint, parseHostKeyLine } from './host-key.js';

/** An OpenSSH ed25519 public key line, as the node's ssh_host_ed25519_key.pub holds it. */
function ed25519Line(): { line: string; blob: Buffer } {
  const raw = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
  return { line: `ssh-ed25519 ${blob.toString('base64')} root@gw1`, blob };
}

describe('a pasted SSH host key line', () => {
  it('gives the fingerprint ssh-keygen prints', async () => {
    const { line, blob } = ed25519Line();
    const parsed = parseHostKeyLine(`  ${line}\n`);
    assert.ok(parsed.ok);
    const expected = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
    assert.equal(await hostKeyFingerprint(parsed.blob), expected);
  });

  it('refuses a cut line, a mismatched type, bad base64 and a bare fingerprint', () => {
    const { line, blob } = ed25519Line();
    const b64 = blob.toString('base64');
    assert.equal(parseHostKeyLine(`ssh-ed25519 ${b64.slice(0, 10)}`).ok, false);
    // Cut on a base64 boundary after the type: decodes, starts right, still refused.
    assert.equal(parseHostKeyLine(line.slice(0, 40)).ok, false);
    assert.equal(parseHostKeyLine(`ssh-ed25519 ${blob.subarray(0, 50).toString('base64')}`).ok, false);
    assert.equal(parseHostKeyLine(`ssh-rsa ${b64}`).ok, false);
    assert.equal(parseHostKeyLine('ssh-ed25519 !!!notbase64').ok, false);
    assert.equal(parseHostKeyLine('SHA256:abc').ok, false);
    assert.equal(parseHostKeyLine(line).ok, true);
  });
});
