import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { type AccessEntry, NO_DEVICE_USERNAME, renderAccessConf } from './access-conf.js';
import { directives, sampleSettings } from './test-fixtures.js';
import { GENERATED_HEADER } from './values.js';

const isConfigError = (e: unknown) => isViworksError(e, 'VIW_E_CONFIG');
const device = (hexDigit: string): AccessEntry => ({
  deviceId: `d-${hexDigit.repeat(32)}`,
  keyBase64: randomBytes(32).toString('base64'),
  hmacKeyBase64: randomBytes(64).toString('base64'),
});

describe('renderAccessConf', () => {
  const a = device('a');
  const b = device('b');

  test('one stanza per device, sorted by device id, deterministic', () => {
    const out = renderAccessConf([b, a], sampleSettings());
    assert.equal(out.split('\n')[0], GENERATED_HEADER);
    assert.equal(renderAccessConf([a, b], sampleSettings()), out);
    const d = directives(out);
    assert.deepEqual(
      d.filter((l) => l.startsWith('REQUIRE_USERNAME')),
      [`REQUIRE_USERNAME ${a.deviceId}`, `REQUIRE_USERNAME ${b.deviceId}`],
    );
    assert.equal(d.filter((l) => l === 'SOURCE ANY').length, 2);
    assert.ok(d.includes(`KEY_BASE64 ${a.keyBase64}`) && d.includes(`HMAC_KEY_BASE64 ${b.hmacKeyBase64}`));
  });

  test('each stanza carries the access policy', () => {
    const d = directives(renderAccessConf([a], sampleSettings({ tls_port: 8443, fw_access_timeout_s: 15 })));
    assert.deepEqual(d, [
      'SOURCE ANY',
      `REQUIRE_USERNAME ${a.deviceId}`,
      'REQUIRE_SOURCE_ADDRESS Y',
      `KEY_BASE64 ${a.keyBase64}`,
      `HMAC_KEY_BASE64 ${a.hmacKeyBase64}`,
      'HMAC_DIGEST_TYPE SHA256',
      'ENCRYPTION_MODE CBC',
      'OPEN_PORTS tcp/8443',
      'FW_ACCESS_TIMEOUT 15',
      'MAX_FW_TIMEOUT 15',
    ]);
  });

  test('no device: one expired stanza that cannot open the TLS port', () => {
    const out = renderAccessConf([], sampleSettings());
    assert.equal(renderAccessConf([], sampleSettings()), out);
    const d = directives(out);
    assert.ok(d.includes('ACCESS_EXPIRE 01/01/2000'));
    assert.ok(d.includes(`REQUIRE_USERNAME ${NO_DEVICE_USERNAME}`));
    assert.ok(!d.some((l) => l.includes('tcp/443')));
  });

  test('refuses bad device ids, keys, duplicates and settings', () => {
    const bad: AccessEntry[] = [
      { ...a, deviceId: `${a.deviceId}\nOPEN_PORTS tcp/22` },
      { ...a, deviceId: 'd-ABCDEF' },
      { ...a, deviceId: 'viwtest' },
      { ...a, keyBase64: `${a.keyBase64}\nENABLE_CMD_EXEC Y` },
      { ...a, keyBase64: randomBytes(16).toString('base64') },
      { ...a, hmacKeyBase64: randomBytes(32).toString('base64') },
      { ...a, hmacKeyBase64: `${a.hmacKeyBase64.slice(0, 86)} #` },
    ];
    for (const e of bad) assert.throws(() => renderAccessConf([e], sampleSettings()), isConfigError);
    assert.throws(
      () => renderAccessConf([a, { ...b, deviceId: a.deviceId }], sampleSettings()),
      isConfigError,
    );
    assert.throws(() => renderAccessConf([a], sampleSettings({ fw_access_timeout_s: 21 })), isConfigError);
  });

  test('an error never carries key material', () => {
    const leaky = { ...a, keyBase64: `${a.keyBase64.slice(0, 40)}!!!!` };
    try {
      renderAccessConf([leaky], sampleSettings());
      assert.fail('accepted');
    } catch (e) {
      assert.ok(isConfigError(e));
      assert.ok(
        !JSON.stringify({ m: (e as Error).message, d: (e as { details: unknown }).details }).includes(
          a.keyBase64.slice(0, 40),
        ),
      );
    }
  });
});
