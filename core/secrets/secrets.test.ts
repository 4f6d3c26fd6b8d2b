import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { describe, it } from 'node:test';
import { inspect } from 'node:util';
import { liftSecretFields, NotJsonError, wipeLifted } from './lift-secret-fields.js';
import {
  codePointLength,
  encodeJsonWithSecrets,
  isWellFormedUtf8,
  SecretText,
  unescapeJsonUtf8,
} from './secret-text.js';

const alloc = (n: number) => new Uint8Array(n);
const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A random string of awkward characters: quotes, backslashes, controls, non-ASCII, astral. */
function awkward(len: number): string {
  const pool = [
    '"',
    '\\',
    '/',
    '\n',
    '\t',
    '\u0000',
    '\u001f',
    'a',
    'Z',
    '9',
    ' ',
    'é',
    'ß',
    '€',
    '\u2028',
    '😀',
    '𝄞',
    'İ',
  ];
  return Array.from({ length: len }, () => pool[randomInt(pool.length)]).join('');
}

describe('core/secrets: secret texts as bytes', () => {
  it('decode JSON string contents into UTF-8 bytes exactly as JSON.parse reads them', () => {
    for (let n = 0; n < 500; n++) {
      const s = awkward(randomInt(0, 40));
      const inner = JSON.stringify(s).slice(1, -1);
      // Also the \\uXXXX spelling of every character, which JSON.stringify never writes for most.
      const spelled = Array.from(s, (c) =>
        [...c].length === 1 && c.length === 2
          ? `\\u${c.charCodeAt(0).toString(16)}\\u${c.charCodeAt(1).toString(16)}`
          : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      ).join('');
      for (const form of [inner, spelled]) {
        const out = unescapeJsonUtf8(utf8(form), alloc);
        assert.ok(out, form);
        assert.equal(text(out), s);
        assert.equal(codePointLength(out), [...s].length);
      }
    }
  });

  it('refuse what is not a well-formed JSON string of well-formed UTF-8', () => {
    for (const bad of ['\\', '\\x', '\\u12', '\\ud800', '\\udc00', '\\ud800\\u0041', 'a\nb', '\\uZZZZ']) {
      assert.equal(unescapeJsonUtf8(utf8(bad), alloc), null, bad);
    }
    assert.equal(unescapeJsonUtf8(Uint8Array.of(0xc3), alloc), null, 'truncated sequence');
    assert.equal(unescapeJsonUtf8(Uint8Array.of(0xc0, 0xaf), alloc), null, 'overlong');
    assert.equal(unescapeJsonUtf8(Uint8Array.of(0xed, 0xa0, 0x80), alloc), null, 'encoded surrogate');
    assert.equal(isWellFormedUtf8(Uint8Array.of(0xf4, 0x90, 0x80, 0x80)), false, 'above U+10FFFF');
    assert.equal(isWellFormedUtf8(utf8('ok 😀')), true);
  });

  it('write every SecretText of a body from its bytes, the rest exactly as JSON.stringify does', () => {
    for (let n = 0; n < 300; n++) {
      const a = awkward(randomInt(0, 30));
      const b = awkward(randomInt(0, 30));
      const body = {
        user: 'tina',
        password: SecretText.fromString(a),
        nested: { code: SecretText.fromString(b), n: 3 },
      };
      const out = encodeJsonWithSecrets(body);
      assert.equal(out.secret, true);
      assert.deepEqual(JSON.parse(text(out.bytes)), { user: 'tina', password: a, nested: { code: b, n: 3 } });
    }
    const plain = encodeJsonWithSecrets({ a: 'x' });
    assert.equal(plain.secret, false);
    assert.equal(text(plain.bytes), '{"a":"x"}');
  });

  it('a marker-like value in the body is not taken for a secret', () => {
    const out = encodeJsonWithSecrets({ note: 'viw-secret-00-0', s: SecretText.fromString('pw') });
    assert.deepEqual(JSON.parse(text(out.bytes)), { note: 'viw-secret-00-0', s: 'pw' });
  });

  it('a SecretText printed or serialised by mistake shows a placeholder, and wipe() zeroes it', () => {
    const s = SecretText.fromString('hunter2 hunter2');
    assert.equal(JSON.stringify({ s }), '{"s":"[secret]"}');
    assert.equal(`${s}`, '[secret]');
    assert.doesNotMatch(inspect({ s }), /hunter/);
    const view = s.bytes;
    s.wipe();
    assert.ok(view.every((x) => x === 0));
  });
});

describe('core/secrets: lifting secret fields out of a JSON body', () => {
  const fields = new Map([
    ['password', (b: Uint8Array) => 'x'.repeat(codePointLength(b))],
    ['otp_code', (b: Uint8Array) => (b.every((c) => c >= 0x30 && c <= 0x39) ? '0'.repeat(b.length) : 'x')],
  ]);

  it('gives the parsed body with dummies and each secret as bytes', () => {
    for (let n = 0; n < 200; n++) {
      const pw = awkward(randomInt(1, 30));
      const body = utf8(JSON.stringify({ otp_code: '123456', password: pw, keep: [1, 'two'] }));
      const lifted = liftSecretFields(body, fields);
      assert.deepEqual(lifted.value, {
        otp_code: '000000',
        password: 'x'.repeat([...pw].length),
        keep: [1, 'two'],
      });
      assert.equal(text(lifted.secrets.get('password')!.bytes), pw);
      assert.equal(text(lifted.secrets.get('otp_code')!.bytes), '123456');
      const views = [...lifted.secrets.values()].map((s) => s.bytes);
      wipeLifted(lifted.secrets);
      assert.ok(views.every((v) => v.every((x) => x === 0)));
    }
  });

  it('leaves a secret-named field that is not a string to the schema, and nested ones alone', () => {
    const lifted = liftSecretFields(utf8('{"password": 5, "x": {"password": "n"}}'), fields);
    assert.deepEqual(lifted.value, { password: 5, x: { password: 'n' } });
    assert.equal(lifted.secrets.size, 0);
  });

  it('refuses what is not JSON, duplicate keys and bad UTF-8 — with NotJsonError only', () => {
    for (const bad of [
      '',
      '{',
      '{"password":"a"',
      '{"password":"a","password":"b"}',
      '{"a":1} x',
      '[1,]',
      '{"password":"\\ud800"}',
    ]) {
      assert.throws(() => liftSecretFields(utf8(bad), fields), NotJsonError, bad);
    }
    assert.throws(() => liftSecretFields(Uint8Array.of(0x7b, 0xff, 0x7d), fields), NotJsonError);
  });

  it('fuzz: a mutated body parses to what JSON.parse sees, or is refused with NotJsonError', () => {
    const seed = utf8(
      JSON.stringify({ password: 'correct horse', otp_code: '042042', list: [true, null, -1.5e3] }),
    );
    for (let n = 0; n < 3000; n++) {
      const b = Buffer.from(seed);
      for (let k = randomInt(1, 4); k > 0; k--) b[randomInt(b.length)] = randomBytes(1)[0]!;
      let expected: unknown;
      try {
        expected = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b));
      } catch {
        expected = undefined;
      }
      try {
        const lifted = liftSecretFields(b, fields);
        assert.notEqual(expected, undefined, 'accepted what JSON.parse refuses');
        for (const [path, s] of lifted.secrets) {
          assert.equal(text(s.bytes), (expected as Record<string, string>)[path]);
        }
      } catch (err) {
        if (!(err instanceof NotJsonError)) throw err;
      }
    }
  });
});
