// Everything decodeSpa must refuse, each with one typed error and nothing of the plaintext or keys.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { isViworksError } from '../errors/viworks-error.js';
import { encryptSalted } from './cipher.js';
import { type DecodeSpaOptions, decodeSpa } from './decode.js';
import { digestB64, hmacB64 } from './digest.js';
import { encodeSpa } from './encode.js';
import { SALTED_B64_PREFIX } from './packet.js';

const encKey = randomBytes(32);
const hmacKey = randomBytes(64);
// The clock is fixed: a test that read the real clock at load time failed under load once.
const now = Math.floor(Date.now() / 1000);
const opts: DecodeSpaOptions = { encKey, hmacKey, now };
const USER = 'leakcheckuser';
const IP = '198.51.100.23';
const good = encodeSpa({
  encKey,
  hmacKey,
  username: USER,
  accessIp: IP,
  accessPorts: [{ proto: 'tcp', port: 443 }],
});
const random = decodeSpa(good, opts).random;

/** Fails unless `fn` throws VIW_E_SPA_INVALID naming `check`, with no secret or plaintext anywhere. */
function refuses(fn: () => unknown, check: string | RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(isViworksError(caught, 'VIW_E_SPA_INVALID'), `expected VIW_E_SPA_INVALID, got ${String(caught)}`);
  assert.equal(caught.details.length, 1);
  assert.match(
    caught.details[0] ?? '',
    typeof check === 'string' ? new RegExp(`^${check.replace('.', '\\.')}$`) : check,
  );
  assert.equal(caught.cause, undefined);
  const everything = [
    JSON.stringify(caught.toBody()),
    caught.message,
    caught.stack ?? '',
    ...caught.details,
  ].join('\n');
  const b64User = Buffer.from(USER).toString('base64').replace(/=+$/, '');
  for (const secret of [
    USER,
    b64User,
    IP,
    random,
    encKey.toString('base64'),
    hmacKey.toString('base64'),
    encKey.toString('hex'),
  ]) {
    assert.ok(!everything.includes(secret), 'error text leaks plaintext or key material');
  }
}

/** Encrypts and MACs an arbitrary plaintext, to reach the field checks behind a valid HMAC. */
function seal(plaintext: string, withDigest = true): string {
  const text = withDigest ? `${plaintext}:${digestB64('sha256', Buffer.from(plaintext))}` : plaintext;
  const salted = encryptSalted(Buffer.from(text, 'latin1'), encKey, randomBytes(8));
  return salted.slice(SALTED_B64_PREFIX.length) + hmacB64('sha256', hmacKey, salted);
}
const b64 = (s: string) => Buffer.from(s).toString('base64').replace(/=+$/, '');
const fields = (
  over: Partial<Record<'rand' | 'user' | 'ts' | 'ver' | 'type' | 'msg', string>> = {},
): string =>
  [
    over.rand ?? '1234567890123456',
    over.user ?? b64('bob'),
    over.ts ?? String(now),
    over.ver ?? '3.0.0',
    over.type ?? '1',
    over.msg ?? b64('10.1.1.1,tcp/443'),
  ].join(':');

const flip = (s: string, i: number): string => {
  const c = s[i] === 'A' ? 'B' : 'A';
  return s.slice(0, i) + c + s.slice(i + 1);
};

describe('decodeSpa refuses tampering', () => {
  test('the untouched packet decodes (control)', () => {
    assert.equal(decodeSpa(good, opts).username, USER);
  });
  test('a flipped character anywhere in the ciphertext', () => {
    for (const i of [0, 1, 11, Math.floor((good.length - 43) / 2), good.length - 44]) {
      refuses(() => decodeSpa(flip(good, i), opts), 'hmac.verify');
    }
  });
  test('a flipped character in the HMAC', () => {
    for (const i of [good.length - 43, good.length - 20, good.length - 1]) {
      refuses(() => decodeSpa(flip(good, i), opts), 'hmac.verify');
    }
  });
  test('wrong HMAC key', () => {
    refuses(() => decodeSpa(good, { encKey, hmacKey: randomBytes(64) }), 'hmac.verify');
  });
  test('wrong encryption key (HMAC right) fails in decryption or parsing, never returns', () => {
    for (let i = 0; i < 20; i++) {
      refuses(
        () => decodeSpa(good, { encKey: randomBytes(32), hmacKey }),
        /^(cipher\.decrypt|plaintext\.|digest\.)/,
      );
    }
  });
  test('truncated by one character, or below 140', () => {
    refuses(() => decodeSpa(good.slice(0, -1), opts), 'hmac.verify');
    refuses(() => decodeSpa(good.slice(1), opts), 'hmac.verify');
    refuses(() => decodeSpa(good.slice(0, 139), opts), 'packet.length');
  });
  test('not base64: padding, whitespace, NUL, other alphabets', () => {
    for (const bad of [
      `${good}=`,
      `${good}\n`,
      `${good}\0`,
      `${good.slice(0, 60)}-${good.slice(61)}`,
      ` ${good}`,
    ]) {
      refuses(() => decodeSpa(bad, opts), /^packet\.(base64|length)$/);
    }
    refuses(() => decodeSpa(`${good.slice(0, 60)}_${good.slice(61)}`, opts), 'packet.base64');
  });
  test('too long for Rijndael (400+) and the kept Salted__ prefix', () => {
    refuses(() => decodeSpa(good + 'A'.repeat(400 - good.length), opts), 'packet.length');
    refuses(() => decodeSpa(SALTED_B64_PREFIX + good, opts), 'packet.prefix');
  });
  test('a non-string packet', () => {
    refuses(() => decodeSpa(undefined as unknown as string, opts), 'packet.length');
  });
  test('bad key sizes in the options', () => {
    refuses(() => decodeSpa(good, { encKey: randomBytes(33), hmacKey }), 'input.encKey');
    refuses(() => decodeSpa(good, { encKey, hmacKey: new Uint8Array(0) }), 'input.hmacKey');
  });
});

describe('decodeSpa refuses stale and future packets', () => {
  const at = (ts: number) =>
    encodeSpa({
      encKey,
      hmacKey,
      username: USER,
      accessIp: IP,
      accessPorts: [{ proto: 'tcp', port: 443 }],
      timestamp: ts,
    });
  test('older than 120 s by default', () => refuses(() => decodeSpa(at(now - 121), opts), 'timestamp.age'));
  test('more than 120 s in the future', () => refuses(() => decodeSpa(at(now + 121), opts), 'timestamp.age'));
  test('within the window it passes; maxAgeSeconds tightens it', () => {
    assert.equal(decodeSpa(at(now - 100), opts).timestamp, now - 100);
    refuses(() => decodeSpa(at(now - 100), { ...opts, maxAgeSeconds: 30 }), 'timestamp.age');
  });
});

describe('decodeSpa parses the authenticated plaintext strictly', () => {
  const cases: [string, string, string | RegExp][] = [
    ['15-digit random', fields({ rand: '123456789012345' }), 'field.random'],
    ['non-digit random', fields({ rand: '12345678901234x6' }), 'field.random'],
    ['forbidden username char', fields({ user: b64('a;b') }), 'field.username'],
    ['empty username', fields({ user: '' }), 'field.username'],
    ['username not base64', fields({ user: 'a!b' }), 'field.username'],
    ['timestamp not decimal', fields({ ts: '17e8' }), 'field.timestamp'],
    ['version too long', fields({ ver: '3.0.0.0.0' }), 'field.version'],
    ['COMMAND message type', fields({ type: '0' }), 'field.type'],
    ['message type 7', fields({ type: '7' }), 'field.type'],
    ['access IP missing', fields({ msg: b64('tcp/443') }), 'field.access'],
    ['access port 0', fields({ msg: b64('10.1.1.1,tcp/0') }), 'field.access'],
    ['access proto unknown', fields({ msg: b64('10.1.1.1,sctp/9') }), 'field.access'],
    ['NAT type without NAT field', fields({ type: '2' }), /^(field\.nat|plaintext\.fields)$/],
    ['timeout type, bad timeout', `${fields({ type: '3' })}:abc`, 'field.clientTimeout'],
    ['two extra fields', `${fields()}:${b64('a')}:${b64('b')}`, 'plaintext.fields'],
    ['too few fields', '1234567890123456:Ym9i:1:3.0.0:1', 'plaintext.fields'],
  ];
  for (const [name, plain, check] of cases) {
    test(name, () => refuses(() => decodeSpa(seal(plain), opts), check));
  }
  test('a well-formed sealed plaintext passes (control)', () => {
    assert.equal(decodeSpa(seal(fields()), opts).username, 'bob');
  });
  test('wrong digest behind a valid HMAC', () => {
    refuses(
      () => decodeSpa(seal(`${fields()}:${digestB64('sha256', Buffer.from('x'))}`, false), opts),
      'digest.verify',
    );
  });
  test('digest of unknown length', () =>
    refuses(() => decodeSpa(seal(`${fields()}:AAAA`, false), opts), 'digest.type'));
  test('non-printable plaintext', () => {
    refuses(() => decodeSpa(seal(`${fields()}\u0001`), opts), 'plaintext.printable');
  });
});
