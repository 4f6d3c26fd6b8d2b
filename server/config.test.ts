import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isViworksError, type ViworksError } from '../core/errors/viworks-error.js';
import { loadConfig, redactConfig } from './config.js';

describe('server config', () => {
  it('starts from safe defaults: production mode, loopback, per-user data dir', () => {
    const c = loadConfig({ env: { XDG_DATA_HOME: '/x/share' } });
    assert.equal(c.mode, 'production');
    assert.equal(c.listenHost, '127.0.0.1');
    assert.equal(c.databaseUrl, null);
    if (process.getuid?.() !== 0) assert.equal(c.dataDir, '/x/share/viworks-server');
  });

  it('layers file < environment and validates the result', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'viw-cfg-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ listenPort: 9000, logLevel: 'debug' }));
    const c = loadConfig({ env: { VIWORKS_LISTEN_PORT: '9443' }, file });
    assert.equal(c.listenPort, 9443);
    assert.equal(c.logLevel, 'debug');
  });

  it('fails closed on unknown settings and bad values, naming the setting', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'viw-cfg-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ listenPortt: 9000 }));
    assert.throws(
      () => loadConfig({ env: {}, file }),
      (e) => isViworksError(e, 'VIW_E_CONFIG'),
    );
    for (const env of [
      { VIWORKS_LISTEN_PORT: '70000' },
      { VIWORKS_MODE: 'insecure' },
      { DATABASE_URL: 'mysql://x' },
    ]) {
      assert.throws(
        () => loadConfig({ env }),
        (e) => isViworksError(e, 'VIW_E_CONFIG') && e.details.length > 0,
        JSON.stringify(env),
      );
    }
    writeFileSync(file, '[1]');
    assert.throws(
      () => loadConfig({ env: {}, file }),
      (e) => isViworksError(e, 'VIW_E_CONFIG'),
    );
  });

  it('takes the pushed DNS and the kill switch requirement, refusing hostile DNS values', (t) => {
    const c = loadConfig({
      env: {
        VIWORKS_DNS_SERVERS: '10.233.1.53, 10.233.1.54',
        VIWORKS_DNS_SEARCH: 'corp.example,lab.test.',
        VIWORKS_REQUIRE_KILL_SWITCH: 'true',
      },
    });
    assert.deepEqual(c.dns, {
      servers: ['10.233.1.53', '10.233.1.54'],
      searchDomains: ['corp.example', 'lab.test.'],
    });
    assert.equal(c.requireKillSwitch, true);
    assert.deepEqual(loadConfig({ env: {} }).dns, { servers: [], searchDomains: [] });
    const dir = mkdtempSync(join(tmpdir(), 'viw-cfg-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'c.json');
    const hostile = [
      { servers: ['10.0.0.1\nnameserver 6.6.6.6'], searchDomains: [] },
      { servers: ['::1'], searchDomains: [] },
      { servers: ['10.0.0.256'], searchDomains: [] },
      { servers: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'], searchDomains: [] },
      { servers: [], searchDomains: ['corp.example\noptions ndots:15'] },
      { servers: [], searchDomains: ['options'].map((o) => `${o} rotate`) },
      { servers: [], searchDomains: [`${'a'.repeat(64)}.example`] },
      { servers: [], searchDomains: [`${'abcdefgh.'.repeat(29)}example`] },
      { servers: [], searchDomains: ['-lead.example'] },
      { servers: [], searchDomains: [], extra: true },
    ];
    for (const dns of hostile) {
      writeFileSync(file, JSON.stringify({ dns }));
      assert.throws(
        () => loadConfig({ env: {}, file }),
        (e) => isViworksError(e, 'VIW_E_CONFIG') && e.details.some((d) => d.includes('dns')),
        JSON.stringify(dns),
      );
    }
    assert.throws(
      () => loadConfig({ env: { VIWORKS_REQUIRE_KILL_SWITCH: 'yes' } }),
      (e) => isViworksError(e, 'VIW_E_CONFIG') && e.details.some((d) => d.includes('requireKillSwitch')),
    );
  });

  it('takes the hardware-key requirement (default off), refusing anything but true/false', () => {
    assert.equal(loadConfig({ env: {} }).requireHardwareKey, false);
    assert.equal(loadConfig({ env: { VIWORKS_REQUIRE_HARDWARE_KEY: 'true' } }).requireHardwareKey, true);
    assert.equal(loadConfig({ env: { VIWORKS_REQUIRE_HARDWARE_KEY: 'false' } }).requireHardwareKey, false);
    assert.throws(
      () => loadConfig({ env: { VIWORKS_REQUIRE_HARDWARE_KEY: 'yes' } }),
      (e) => isViworksError(e, 'VIW_E_CONFIG') && e.details.some((d) => d.includes('requireHardwareKey')),
    );
  });

  it('takes native attestation settings from the file and the environment, with defaults', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'viw-cfg-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const none = loadConfig({ env: {} });
    assert.equal(none.appAttest, null, 'nothing native is accepted unless configured');
    assert.equal(none.playIntegrity, null);
    const file = join(dir, 'c.json');
    writeFileSync(
      file,
      JSON.stringify({
        appAttest: { appId: 'ABCDE12345.com.viworks.phone', rootFile: '/etc/viworks/apple-root.pem' },
        playIntegrity: {
          packageName: 'com.viworks.phone',
          certificateDigests: [`${'AB:'.repeat(31)}CD`],
          decryptionKeyFile: '/etc/viworks/play-decryption.key',
          verificationKeyFile: '/etc/viworks/play-verification.key',
        },
      }),
    );
    const c = loadConfig({
      env: {
        VIWORKS_PLAY_INTEGRITY_MAX_AGE_S: '60',
        VIWORKS_PLAY_INTEGRITY_DEVICE_VERDICT: 'MEETS_STRONG_INTEGRITY',
        VIWORKS_PLAY_INTEGRITY_CERT_DIGESTS: ` ${'a'.repeat(64)}, ${'B'.repeat(43)} `,
      },
      file,
    });
    assert.deepEqual(c.appAttest, {
      environment: 'production',
      appId: 'ABCDE12345.com.viworks.phone',
      rootFile: '/etc/viworks/apple-root.pem',
    });
    assert.deepEqual(c.playIntegrity, {
      packageName: 'com.viworks.phone',
      certificateDigests: ['a'.repeat(64), 'B'.repeat(43)],
      decryptionKeyFile: '/etc/viworks/play-decryption.key',
      verificationKeyFile: '/etc/viworks/play-verification.key',
      maxAgeS: 60,
      requiredDeviceVerdict: 'MEETS_STRONG_INTEGRITY',
    });
    const fromEnv = loadConfig({
      env: {
        VIWORKS_MODE: 'development',
        VIWORKS_APP_ATTEST_APP_ID: 'ABCDE12345.com.viworks.phone',
        VIWORKS_APP_ATTEST_ENVIRONMENT: 'development',
        VIWORKS_APP_ATTEST_ROOT: '/r.pem',
      },
    });
    assert.equal(fromEnv.appAttest?.environment, 'development');
  });

  it('refuses incomplete or malformed native attestation settings, and App Attest development keys in production', () => {
    const refused = (env: Record<string, string>, detail: RegExp) =>
      assert.throws(
        () => loadConfig({ env }),
        (e) => isViworksError(e, 'VIW_E_CONFIG') && detail.test(e.details.join(' ')),
        JSON.stringify(env),
      );
    refused({ VIWORKS_APP_ATTEST_APP_ID: 'ABCDE12345.com.viworks.phone' }, /appAttest/);
    refused({ VIWORKS_APP_ATTEST_APP_ID: 'com.viworks.phone', VIWORKS_APP_ATTEST_ROOT: '/r.pem' }, /appId/);
    refused(
      {
        VIWORKS_APP_ATTEST_APP_ID: 'ABCDE12345.com.viworks.phone',
        VIWORKS_APP_ATTEST_ROOT: '/r.pem',
        VIWORKS_APP_ATTEST_ENVIRONMENT: 'development',
      },
      /appAttest\.environment: development is refused in production mode/,
    );
    refused({ VIWORKS_PLAY_INTEGRITY_PACKAGE: 'com.viworks.phone' }, /playIntegrity/);
    const play = {
      VIWORKS_PLAY_INTEGRITY_PACKAGE: 'com.viworks.phone',
      VIWORKS_PLAY_INTEGRITY_CERT_DIGESTS: 'a'.repeat(64),
      VIWORKS_PLAY_INTEGRITY_DECRYPTION_KEY_FILE: '/d.key',
      VIWORKS_PLAY_INTEGRITY_VERIFICATION_KEY_FILE: '/v.key',
    };
    assert.equal(loadConfig({ env: play }).playIntegrity?.maxAgeS, 120);
    refused({ ...play, VIWORKS_PLAY_INTEGRITY_CERT_DIGESTS: 'AB:CD' }, /certificateDigests/);
    refused(
      { ...play, VIWORKS_PLAY_INTEGRITY_DEVICE_VERDICT: 'MEETS_BASIC_INTEGRITY' },
      /requiredDeviceVerdict/,
    );
    refused({ ...play, VIWORKS_PLAY_INTEGRITY_MAX_AGE_S: '3600' }, /maxAgeS/);
  });

  it('redacts credentials in connection URLs', () => {
    const c = loadConfig({
      env: {
        DATABASE_URL: 'postgresql://viw:s3cret-pw@db:5432/viw',
        REDIS_URL: 'redis://:r3dis-pw@cache:6379',
      },
    });
    const printed = JSON.stringify(redactConfig(c));
    assert.ok(!printed.includes('s3cret-pw') && !printed.includes('r3dis-pw'));
    assert.ok(printed.includes('postgresql://***@db:5432/viw'));
  });

  it('audit, hsm and siem settings: given in part by the file and the environment, over their defaults', (t) => {
    const d = loadConfig({ env: {} });
    assert.deepEqual(
      [d.audit.batchIntervalS, d.audit.worm, d.hsm, d.siem.syslog, d.siem.https, d.siem.format],
      [60, null, null, null, null, 'native'],
    );
    const dir = mkdtempSync(join(tmpdir(), 'viw-cfg-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'c.json');
    const syslog = {
      host: 'siem.example',
      port: 6514,
      serverName: null,
      caFile: '/etc/viworks/siem-ca.pem',
      certFile: '/etc/viworks/siem-client.pem',
      keyFile: '/etc/viworks/siem-client.key',
    };
    writeFileSync(file, JSON.stringify({ audit: { site: 'fra1' }, siem: { syslog } }));
    const c = loadConfig({
      env: {
        VIWORKS_AUDIT_WORM_DIR: '/srv/worm',
        VIWORKS_SIEM_FORMAT: 'ecs',
        VIWORKS_PKCS11_MODULE: '/usr/lib/softhsm/libsofthsm2.so',
        VIWORKS_PKCS11_TOKEN: 'viworks',
        VIWORKS_PKCS11_PIN_FILE: '/etc/viworks/hsm.pin',
      },
      file,
    });
    assert.equal(c.audit.site, 'fra1');
    assert.equal(c.audit.env, 'prod', 'the rest of the section keeps its defaults');
    assert.deepEqual(c.audit.worm, { dir: '/srv/worm', retentionDays: 548 });
    assert.deepEqual(c.siem.syslog, syslog);
    assert.equal(c.siem.format, 'ecs');
    assert.equal(c.hsm?.tokenLabel, 'viworks');
    // A part that is not an object, an unknown field inside a section, a bad format: named.
    for (const bad of [
      { siem: 3 },
      { audit: { batchIntervalS: 1 } },
      { siem: { syslog: { ...syslog, pin: 'x' } } },
    ]) {
      writeFileSync(file, JSON.stringify(bad));
      assert.throws(
        () => loadConfig({ env: {}, file }),
        (e) => isViworksError(e, 'VIW_E_CONFIG'),
        JSON.stringify(bad),
      );
    }
    assert.throws(
      () => loadConfig({ env: { VIWORKS_SIEM_FORMAT: 'cef' } }),
      (e) => isViworksError(e, 'VIW_E_CONFIG'),
    );
  });

  it('tls fingerprint allowlist: JA4 or JA3 from the file and the environment, anything else refused', (t) => {
    const d = loadConfig({ env: {} });
    assert.deepEqual(d.tls, { fingerprintAllowlist: [], fingerprintAllowlistFile: null });
    const dir = mkdtempSync(join(tmpdir(), 'viw-cfg-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'c.json');
    const chrome = 't13d1516h2_8daaf6152771_e5627efa2ab1';
    const ja3 = '579ccef312d18482fc42e2b822ca2430';
    writeFileSync(file, JSON.stringify({ tls: { fingerprintAllowlist: [chrome] } }));
    const fromFile = loadConfig({ env: {}, file });
    assert.deepEqual(fromFile.tls, { fingerprintAllowlist: [chrome], fingerprintAllowlistFile: null });
    const both = loadConfig({
      env: {
        VIWORKS_TLS_FINGERPRINT_ALLOWLIST: ` ${ja3} , ${chrome}`,
        VIWORKS_TLS_FINGERPRINT_ALLOWLIST_FILE: '/etc/viworks/tls-allowlist.txt',
      },
      file,
    });
    assert.deepEqual(both.tls, {
      fingerprintAllowlist: [ja3, chrome],
      fingerprintAllowlistFile: '/etc/viworks/tls-allowlist.txt',
    });
    for (const bad of [
      'T13d1516h2_8daaf6152771_e5627efa2ab1',
      't13d1516h2_8daaf6152771_e5627efa2ab',
      `${ja3}0`,
      ja3.toUpperCase(),
      `${chrome}x`,
      't13d1516h2_8daaf6152771\te5627efa2ab1',
    ]) {
      assert.throws(
        () => loadConfig({ env: { VIWORKS_TLS_FINGERPRINT_ALLOWLIST: bad } }),
        (e) => isViworksError(e, 'VIW_E_CONFIG') && e.details.some((x) => x.includes('fingerprintAllowlist')),
        bad,
      );
    }
    writeFileSync(file, JSON.stringify({ tls: { fingerprintAllowlist: [chrome], extra: true } }));
    assert.throws(
      () => loadConfig({ env: {}, file }),
      (e) => isViworksError(e, 'VIW_E_CONFIG'),
    );
  });
});

describe('detections and metrics settings', () => {
  it('merges the file one level deep and the environment over the defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'viw-cfg-det-'));
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        detections: {
          otpStuffing: { failures: 3 },
          webhook: { url: 'https://soc.example/hook?token=abc' },
        },
        metrics: { listen: '127.0.0.1:9464' },
      }),
    );
    const config = loadConfig({
      file,
      env: {
        VIWORKS_DETECTIONS_DISABLED_RULES: 'dns_leak, pin_mismatch',
        VIWORKS_METRICS_TOKEN_FILE: '/etc/t',
      },
    });
    assert.deepEqual(config.detections.otpStuffing, { failures: 3, distinctAsns: 3, windowS: 600 });
    assert.deepEqual(config.detections.disabledRules, ['dns_leak', 'pin_mismatch']);
    assert.equal(config.detections.enabled, true);
    assert.equal(config.detections.webhook?.maxAttempts, 5, 'webhook defaults filled in');
    assert.deepEqual(config.metrics, { listen: '127.0.0.1:9464', tokenFile: '/etc/t' });
    assert.equal(redactConfig(config).detections.webhook?.url, 'https://soc.example/hook?***');
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an unknown rule, a bad switch, an unknown knob and a plain-HTTP webhook, naming the setting', () => {
    const refused = (env: NodeJS.ProcessEnv, file?: object) => {
      const dir = mkdtempSync(join(tmpdir(), 'viw-cfg-det-'));
      const path = join(dir, 'config.json');
      writeFileSync(path, JSON.stringify(file ?? {}));
      try {
        loadConfig({ env, file: path });
        return 'accepted';
      } catch (err) {
        return `${(err as ViworksError).code} ${JSON.stringify((err as ViworksError).details)}`;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    assert.match(
      refused({ VIWORKS_DETECTIONS_DISABLED_RULES: 'no_such_rule' }),
      /VIW_E_CONFIG .*disabledRules/,
    );
    assert.match(refused({ VIWORKS_DETECTIONS_ENABLED: 'yes' }), /VIW_E_CONFIG .*enabled/);
    assert.match(refused({}, { detections: { otpStuffing: { failurez: 1 } } }), /VIW_E_CONFIG .*otpStuffing/);
    assert.match(
      refused({}, { detections: { webhook: { url: 'http://soc.example/hook' } } }),
      /VIW_E_CONFIG .*url/,
    );
    assert.equal(refused({}, { detections: { webhook: null } }), 'accepted');
  });
});
