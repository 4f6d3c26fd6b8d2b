import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { describe, test } from 'node:test';
import { isViworksError } from '../errors/viworks-error.js';
import { decodeSpa } from './decode.js';
import { type EncodeSpaInput, encodeSpa, freshRandomValue } from './encode.js';
import { evpBytesToKey } from './evp-bytes-to-key.js';
import { SpaMessageType } from './packet.js';

const keys = () => ({ encKey: randomBytes(32), hmacKey: randomBytes(64) });
const base = (): EncodeSpaInput => ({
  ...keys(),
  username: 'alice',
  accessIp: '203.0.113.7',
  accessPorts: [{ proto: 'tcp', port: 443 }],
});
const refusedAt = (check: string) => (e: unknown) =>
  isViworksError(e, 'VIW_E_SPA_INVALID') && e.details.length === 1 && e.details[0] === check;

describe('encodeSpa → decodeSpa round trip', () => {
  test('default ACCESS packet decodes to what was asked, under 400 characters', () => {
    const input = base();
    const packet = encodeSpa(input);
    assert.ok(packet.length >= 140 && packet.length < 400, `length ${packet.length}`);
    assert.match(packet, /^[A-Za-z0-9+/]+$/);
    assert.ok(!packet.startsWith('U2FsdGVkX1'));
    const d = decodeSpa(packet, { encKey: input.encKey, hmacKey: input.hmacKey });
    assert.equal(d.username, 'alice');
    assert.equal(d.accessIp, '203.0.113.7');
    assert.deepEqual(d.accessPorts, [{ proto: 'tcp', port: 443 }]);
    assert.equal(d.messageType, SpaMessageType.ACCESS);
    assert.equal(d.version, '3.0.0');
    assert.equal(d.digestType, 'sha256');
    assert.match(d.random, /^[0-9]{16}$/);
    assert.ok(Math.abs(d.timestamp - Date.now() / 1000) < 5);
    assert.equal(d.clientTimeout, undefined);
    assert.equal(d.nat, undefined);
  });

  test('two encodes of the same request differ (fresh random value and salt)', () => {
    const input = base();
    const a = encodeSpa(input);
    const b = encodeSpa(input);
    assert.notEqual(a, b);
    assert.notEqual(a.slice(0, 12), b.slice(0, 12), 'salt sits in the first characters');
    const da = decodeSpa(a, { encKey: input.encKey, hmacKey: input.hmacKey });
    const db = decodeSpa(b, { encKey: input.encKey, hmacKey: input.hmacKey });
    assert.notEqual(da.random, db.random);
  });

  test('every option survives the round trip with random keys of every allowed size', () => {
    for (let i = 0; i < 50; i++) {
      const encKey = randomBytes(randomInt(1, 33));
      const hmacKey = randomBytes(randomInt(1, 137));
      if (encKey.equals(hmacKey)) continue;
      const ports = [
        { proto: 'tcp', port: randomInt(1, 65536) } as const,
        { proto: 'udp', port: 53 } as const,
      ];
      const input: EncodeSpaInput = {
        encKey,
        hmacKey,
        username: `u${i}.x-y_z@corp`,
        accessIp: `10.${i}.0.${randomInt(1, 255)}`,
        accessPorts: ports,
        clientTimeout: randomInt(1, 3600),
        serverAuth: 'pass word!',
        timestamp: 1_800_000_000 + i,
        ...(i % 2 === 0 ? { nat: { host: 'db.corp.example', port: 22 } } : {}),
        ...(i % 4 === 0 ? { nat: { host: '192.168.7.9', port: 2222, local: true } } : {}),
      };
      const packet = encodeSpa(input);
      assert.ok(packet.length < 400);
      const d = decodeSpa(packet, { encKey, hmacKey, now: input.timestamp ?? 0 });
      assert.deepEqual(d.accessPorts, ports);
      assert.equal(d.clientTimeout, input.clientTimeout);
      assert.equal(d.serverAuth, 'pass word!');
      assert.equal(d.timestamp, input.timestamp);
      assert.deepEqual(d.nat, input.nat);
      const expected = !input.nat ? 3 : input.nat.local ? 6 : 4;
      assert.equal(d.messageType, expected);
    }
  });

  test('clientTimeout 0 means none: plain ACCESS', () => {
    const input = { ...base(), clientTimeout: 0 };
    const d = decodeSpa(encodeSpa(input), input);
    assert.equal(d.messageType, SpaMessageType.ACCESS);
    assert.equal(d.clientTimeout, undefined);
  });

  test('random values are 16 digits and vary', () => {
    const seen = new Set(Array.from({ length: 200 }, freshRandomValue));
    assert.equal(seen.size, 200);
    for (const r of seen) assert.match(r, /^[0-9]{16}$/);
  });
});

describe('encodeSpa refuses bad input with a safe, typed error', () => {
  const cases: [string, Partial<EncodeSpaInput>, string][] = [
    ['empty enc key', { encKey: new Uint8Array(0) }, 'input.encKey'],
    ['33-byte enc key', { encKey: randomBytes(33) }, 'input.encKey'],
    ['empty hmac key', { hmacKey: new Uint8Array(0) }, 'input.hmacKey'],
    ['137-byte hmac key', { hmacKey: randomBytes(137) }, 'input.hmacKey'],
    ['identical keys', { encKey: Buffer.alloc(32, 7), hmacKey: Buffer.alloc(32, 7) }, 'input.keysIdentical'],
    ['empty username', { username: '' }, 'input.username'],
    ['64-char username', { username: 'a'.repeat(64) }, 'input.username'],
    ['username with colon', { username: 'a:b' }, 'input.username'],
    ['username with comma', { username: 'a,b' }, 'input.username'],
    ['username with newline', { username: 'a\nb' }, 'input.username'],
    ['non-ASCII username', { username: 'élise' }, 'input.username'],
    ['IP 256.1.1.1', { accessIp: '256.1.1.1' }, 'input.accessIp'],
    ['IP with leading zero', { accessIp: '010.1.1.1' }, 'input.accessIp'],
    ['three octets', { accessIp: '10.1.1' }, 'input.accessIp'],
    ['IPv6', { accessIp: '::1' }, 'input.accessIp'],
    ['0.0.0.0', { accessIp: '0.0.0.0' }, 'input.accessIp'],
    ['no ports', { accessPorts: [] }, 'input.accessPorts'],
    ['port 0', { accessPorts: [{ proto: 'tcp', port: 0 }] }, 'input.accessPorts'],
    ['port 65536', { accessPorts: [{ proto: 'tcp', port: 65536 }] }, 'input.accessPorts'],
    ['port 1.5', { accessPorts: [{ proto: 'tcp', port: 1.5 }] }, 'input.accessPorts'],
    ['proto icmp', { accessPorts: [{ proto: 'icmp' as 'tcp', port: 1 }] }, 'input.accessPorts'],
    [
      'duplicate port',
      {
        accessPorts: [
          { proto: 'tcp', port: 443 },
          { proto: 'tcp', port: 443 },
        ],
      },
      'input.accessPorts',
    ],
    ['negative timeout', { clientTimeout: -1 }, 'input.clientTimeout'],
    ['fractional timeout', { clientTimeout: 1.5 }, 'input.clientTimeout'],
    ['empty server auth', { serverAuth: '' }, 'input.serverAuth'],
    ['fractional timestamp', { timestamp: 1.5 }, 'input.timestamp'],
    ['bad NAT host', { nat: { host: 'a b', port: 22 } }, 'input.nat'],
    ['bad NAT port', { nat: { host: '10.0.0.1', port: 0 } }, 'input.nat'],
  ];
  for (const [name, patch, check] of cases) {
    test(name, () => {
      assert.throws(() => encodeSpa({ ...base(), ...patch }), refusedAt(check));
    });
  }

  test('a request too big for a Rijndael packet is refused, never sent as 400+ characters', () => {
    const ports = Array.from({ length: 20 }, (_, i) => ({ proto: 'tcp' as const, port: 1000 + i }));
    assert.throws(
      () => encodeSpa({ ...base(), username: 'u'.repeat(63), accessPorts: ports }),
      refusedAt('packet.length'),
    );
  });
});

describe('evpBytesToKey', () => {
  const opensslOk = spawnSync('openssl', ['version']).status === 0;
  test('matches `openssl enc -md md5 -P` key and IV', { skip: opensslOk ? undefined : 'no openssl' }, () => {
    const pass = randomBytes(12).toString('hex');
    const salt = randomBytes(8);
    // The test password goes through stdin, not argv.
    const r = spawnSync(
      'openssl',
      ['enc', '-aes-256-cbc', '-md', 'md5', '-S', salt.toString('hex'), '-pass', 'stdin', '-P'],
      { input: `${pass}\n`, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const { key, iv } = evpBytesToKey(Buffer.from(pass), salt);
    assert.match(r.stdout, new RegExp(`key=${key.toString('hex')}`, 'i'));
    assert.match(r.stdout, new RegExp(`iv\\s*=${iv.toString('hex')}`, 'i'));
  });
});
