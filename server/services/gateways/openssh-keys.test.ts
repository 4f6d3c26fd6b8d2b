import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import ssh2 from 'ssh2';
import { executable } from '../../../scripts/testkit/peers.js';
import {
  ed25519PublicBlob,
  ed25519PublicOf,
  generateEd25519,
  opensshPrivateKey,
  parseOpensshPrivateKey,
  publicKeyLine,
  sshFingerprint,
} from './openssh-keys.js';

it('writes an OpenSSH Ed25519 key that ssh2 parses and that reads back to the same key', () => {
  const pair = generateEd25519();
  const text = opensshPrivateKey(pair, 'viworks-backend');
  const parsed = ssh2.utils.parseKey(text);
  assert.ok(!(parsed instanceof Error), String(parsed));
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  assert.equal(key?.type, 'ssh-ed25519');
  assert.deepEqual(key?.getPublicSSH(), ed25519PublicBlob(pair.publicKey));
  const back = parseOpensshPrivateKey(text);
  assert.deepEqual(back.seed, pair.seed);
  assert.deepEqual(back.publicKey, pair.publicKey);
  assert.deepEqual(ed25519PublicOf(pair.seed), pair.publicKey);
  assert.throws(() =>
    parseOpensshPrivateKey(
      Buffer.from('-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n'),
    ),
  );
});

it('public line and fingerprint agree with ssh-keygen', {
  skip: !executable('/usr/bin/ssh-keygen') && 'no ssh-keygen',
}, () => {
  const pair = generateEd25519();
  const dir = mkdtempSync(join(tmpdir(), 'viw-sshkey-'));
  try {
    const line = publicKeyLine(pair.publicKey, 'viworks-backend');
    writeFileSync(join(dir, 'k.pub'), `${line}\n`);
    const out = execFileSync('/usr/bin/ssh-keygen', ['-lf', join(dir, 'k.pub')]).toString();
    assert.equal(out.split(' ')[1], sshFingerprint(ed25519PublicBlob(pair.publicKey)));
    writeFileSync(join(dir, 'k'), opensshPrivateKey(pair, 'viworks-backend'), { mode: 0o600 });
    const derived = execFileSync('/usr/bin/ssh-keygen', ['-y', '-f', join(dir, 'k')])
      .toString()
      .trim();
    assert.equal(derived.split(' ').slice(0, 2).join(' '), line.split(' ').slice(0, 2).join(' '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
