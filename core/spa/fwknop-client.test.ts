// Cross-check against libfko as installed now: packets built by the reference C client
// (fwknop 2.6.10, test mode, never sent) must decode, and for SHA-256 our encoder must rebuild them
// byte for byte from the same random value, timestamp and salt.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { needPeers } from '../../scripts/testkit/peers.js';
import { b64Decode } from '../crypto/bytes.js';
import { decodeSpa } from './decode.js';
import { encodeSpaWithEntropy } from './encode.js';
import { B64_DIGEST_LEN, SALTED_B64_PREFIX, type SpaDigestType } from './packet.js';

const FWKNOP = '/usr/bin/fwknop';
const peers = needPeers({ binaries: [FWKNOP], apt: 'fwknop-client' });
const encKey = randomBytes(32);
const hmacKey = randomBytes(64);
let dir = '';

interface ClientRun {
  readonly packet: string;
  /** `Name: value` lines of fwknop -v (random value, timestamp...). */
  readonly fields: ReadonlyMap<string, string>;
}

/** Runs the client on a stanza; keys live only in the 0600 rc file, never in argv. */
function runClient(name: string, stanza: Record<string, string>): ClientRun {
  const rc = join(dir, `${name}.rc`);
  const lines = Object.entries({
    SPA_SERVER: '192.0.2.1',
    ALLOW_IP: '10.1.2.3',
    SPOOF_USER: 'viwtest',
    USE_HMAC: 'Y',
    KEY_BASE64: encKey.toString('base64'),
    HMAC_KEY_BASE64: hmacKey.toString('base64'),
    ...stanza,
  }).map(([k, v]) => `${k} ${v}`);
  writeFileSync(rc, `[${name}]\n${lines.join('\n')}\n`, { mode: 0o600 });
  const out = join(dir, `${name}.pkt`);
  const r = spawnSync(FWKNOP, ['--rc-file', rc, '-n', name, '--no-save-args', '-T', '-v', '-B', out], {
    env: { PATH: '/usr/bin:/bin', HOME: dir },
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(r.status, 0, `fwknop failed: ${r.stderr}`);
  const fields = new Map<string, string>();
  for (const m of r.stdout.matchAll(/^\s*([A-Za-z ]+): (.*)$/gm)) {
    if (m[1] && m[2] !== undefined && !fields.has(m[1].trim())) fields.set(m[1].trim(), m[2].trim());
  }
  return { packet: readFileSync(out, 'utf8').trim(), fields };
}

const field = (run: ClientRun, name: string): string => {
  const v = run.fields.get(name);
  assert.ok(v !== undefined, `fwknop -v printed no ${name}`);
  return v;
};

describe('reference client fwknop 2.6.10 (libfko) → our decoder', { skip: peers.skip }, () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'viw-spa-client-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('ACCESS tcp/443: decodes, and our encoder rebuilds the identical packet', () => {
    const run = runClient('plain', { ACCESS: 'tcp/443' });
    const d = decodeSpa(run.packet, { encKey, hmacKey });
    assert.equal(d.random, field(run, 'Random Value'));
    assert.equal(d.timestamp, Number(field(run, 'Timestamp')));
    assert.equal(d.username, 'viwtest');
    assert.equal(d.accessIp, '10.1.2.3');
    assert.deepEqual(d.accessPorts, [{ proto: 'tcp', port: 443 }]);
    assert.equal(d.messageType, 1);
    assert.equal(d.version, '3.0.0');
    assert.equal(d.digest, field(run, 'SPA Data Digest'));
    const rebuilt = rebuild(run.packet, d.random, d.timestamp, {
      accessPorts: [{ proto: 'tcp', port: 443 }],
    });
    assert.equal(rebuilt, run.packet);
  });

  test('client timeout + two ports (type 3), rebuilt identically', () => {
    const run = runClient('timeout', { ACCESS: 'tcp/443,udp/53', FW_TIMEOUT: '45' });
    const d = decodeSpa(run.packet, { encKey, hmacKey });
    assert.equal(d.messageType, 3);
    assert.equal(d.clientTimeout, 45);
    const ports = [{ proto: 'tcp', port: 443 } as const, { proto: 'udp', port: 53 } as const];
    assert.deepEqual(d.accessPorts, ports);
    assert.equal(
      rebuild(run.packet, d.random, d.timestamp, { accessPorts: ports, clientTimeout: 45 }),
      run.packet,
    );
  });

  test('NAT access with client timeout (type 4), rebuilt identically', () => {
    const run = runClient('nat', { ACCESS: 'tcp/8088', NAT_ACCESS: '192.168.1.55,88', FW_TIMEOUT: '60' });
    const d = decodeSpa(run.packet, { encKey, hmacKey });
    assert.equal(d.messageType, 4);
    assert.deepEqual(d.nat, { host: '192.168.1.55', port: 88 });
    assert.equal(d.clientTimeout, 60);
    const extra = {
      accessPorts: [{ proto: 'tcp', port: 8088 }] as const,
      nat: { host: '192.168.1.55', port: 88 },
      clientTimeout: 60,
    };
    assert.equal(rebuild(run.packet, d.random, d.timestamp, extra), run.packet);
  });

  // Every digest × HMAC combination libfko offers decodes; in particular SHA-1 verifies with
  // node:crypto, unlike the access_sha1 golden vector.
  const types: SpaDigestType[] = ['md5', 'sha1', 'sha256', 'sha384', 'sha512'];
  for (const digest of types) {
    test(`digest ${digest} with each HMAC type`, () => {
      for (const hmac of types) {
        const run = runClient(`d${digest}h${hmac}`, {
          ACCESS: 'tcp/443',
          DIGEST_TYPE: digest,
          HMAC_DIGEST_TYPE: hmac,
        });
        // SHA-512 digest + HMAC-SHA512 for a one-port request is ~330 characters: all stay Rijndael-sized.
        assert.ok(run.packet.length < 400, `libfko built a ${run.packet.length}-character packet`);
        const d = decodeSpa(run.packet, { encKey, hmacKey, hmacType: hmac });
        assert.equal(d.digestType, digest);
        assert.equal(d.digest, field(run, 'SPA Data Digest'));
        assert.equal(run.packet.slice(-B64_DIGEST_LEN[hmac]), field(run, 'HMAC'));
      }
    });
  }
});

/** Our encoder fed with the client's random value, timestamp and salt (read from its ciphertext). */
function rebuild(
  packet: string,
  random: string,
  timestamp: number,
  extra: Pick<Parameters<typeof encodeSpaWithEntropy>[0], 'accessPorts' | 'clientTimeout' | 'nat'>,
): string {
  const salted = SALTED_B64_PREFIX + packet.slice(0, packet.length - B64_DIGEST_LEN.sha256);
  const salt = b64Decode(salted).subarray(8, 16);
  return encodeSpaWithEntropy(
    { encKey, hmacKey, username: 'viwtest', accessIp: '10.1.2.3', timestamp, ...extra },
    { random, salt },
  );
}
