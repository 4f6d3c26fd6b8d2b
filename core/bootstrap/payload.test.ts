import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isViworksError } from '../errors/viworks-error.js';
import { type BootstrapPayload, parseBootstrap, validateBootstrap } from './payload.js';

const NOW = new Date('2026-11-23T10:00:00.000Z');
const pin = () => createHash('sha256').update(randomBytes(32)).digest('base64');
const pemOf = (label: string, der: Uint8Array) =>
  `-----BEGIN ${label}-----\n${(
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? []
  ).join('\n')}\n-----END ${label}-----\n`;
const tlsCrypt = () =>
  `-----BEGIN OpenVPN Static key V1-----\n${Array.from({ length: 16 }, () => randomBytes(16).toString('hex')).join('\n')}\n-----END OpenVPN Static key V1-----\n`;

function sample(): BootstrapPayload {
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  return {
    ver: 1,
    iat: '2026-11-23T09:59:00.000Z',
    exp: '2026-11-23T10:08:00.000Z',
    user: 'u-3f9a0c2b',
    session_id: 's-77ccaa01',
    device_id: 'd-0b1c2d3e',
    gw_fqdn: 'gw.lab.viworks.test',
    gw_port: 443,
    spki_pins: {
      backend: { primary_b64: pin(), backup_b64: pin() },
      gateway: { primary_b64: pin(), backup_b64: pin() },
    },
    spa: {
      proto: 'udp',
      port: 62201,
      username: 'd-0b1c2d3e',
      enc_key: randomBytes(32).toString('base64'),
      hmac_key: randomBytes(64).toString('base64'),
      ttl_s: 20,
    },
    ovpn: {
      proto: 'tcp-client',
      cipher: 'AES-256-GCM',
      data_ciphers: ['AES-256-GCM', 'AES-128-GCM'],
      auth: 'SHA256',
      tls_crypt_key_inline: tlsCrypt(),
      ca_inline: pemOf('CERTIFICATE', randomBytes(400)) + pemOf('CERTIFICATE', randomBytes(400)),
      cert_inline: pemOf('CERTIFICATE', randomBytes(400)),
      key_inline: key.export({ type: 'pkcs8', format: 'pem' }).toString(),
      dns_push: ['10.8.0.1'],
      dns_search: ['corp.example', 'example.com.'],
      redirect_gateway: true,
      block_outside_dns: true,
    },
    policy: {
      id: 'p-default',
      idle_timeout_s: 900,
      heartbeat_s: 30,
      kill_switch: 'optional',
      allowed_timezones: [],
    },
  };
}

function rejects(mutate: (p: Record<string, any>) => void, code = 'VIW_E_BOOTSTRAP_INVALID') {
  const p = structuredClone(sample()) as unknown as Record<string, any>;
  mutate(p);
  assert.throws(
    () => validateBootstrap(p, NOW),
    (e) => isViworksError(e) && e.code === code,
  );
}

describe('bootstrap payload v1', () => {
  it('accepts a well-formed payload and round-trips through UTF-8 JSON', () => {
    const p = sample();
    assert.deepEqual(validateBootstrap(p, NOW), p);
    assert.deepEqual(parseBootstrap(Buffer.from(JSON.stringify(p)), NOW), p);
  });

  it('rejects unknown fields at every level', () => {
    rejects((p) => {
      p.extra = 1;
    });
    rejects((p) => {
      p.spa.extra = 1;
    });
    rejects((p) => {
      p.ovpn.comp_lzo = 'yes';
    });
    rejects((p) => {
      p.spki_pins.gateway.tertiary_b64 = p.spki_pins.gateway.primary_b64;
    });
    rejects((p) => {
      p.policy.split_tunnel = true;
    });
  });

  it('rejects expired payloads and lifetimes over 10 minutes', () => {
    rejects((p) => {
      p.exp = '2026-11-23T09:59:59.000Z';
    }, 'VIW_E_BOOTSTRAP_EXPIRED');
    rejects((p) => {
      p.exp = '2026-11-23T10:09:01.000Z';
    });
    rejects((p) => {
      p.exp = p.iat;
    });
    rejects((p) => {
      p.exp = 'tomorrow';
    });
    rejects((p) => {
      p.iat = '2026-11-23T10:05:00.000Z';
      p.exp = '2026-11-23T10:10:00.000Z';
    }, 'VIW_E_CLOCK_SKEW');
  });

  it('rejects malformed pins and a backup equal to the primary', () => {
    rejects((p) => {
      p.spki_pins.gateway.primary_b64 = 'not-a-pin';
    });
    rejects((p) => {
      p.spki_pins.backend.backup_b64 = `${p.spki_pins.backend.backup_b64.slice(0, 43)}`;
    });
    rejects((p) => {
      p.spki_pins.gateway.backup_b64 = p.spki_pins.gateway.primary_b64;
    });
  });

  it('rejects ciphers outside the allowed set and inconsistent choices', () => {
    rejects((p) => {
      p.ovpn.cipher = 'BF-CBC';
    });
    rejects((p) => {
      p.ovpn.data_ciphers = ['AES-256-GCM', 'AES-256-CBC'];
    });
    rejects((p) => {
      p.ovpn.data_ciphers = [];
    });
    rejects((p) => {
      p.ovpn.cipher = 'CHACHA20-POLY1305';
    });
    rejects((p) => {
      p.ovpn.auth = 'MD5';
    });
  });

  it('rejects weak or oversized SPA parameters', () => {
    rejects((p) => {
      p.spa.ttl_s = 21;
    });
    rejects((p) => {
      p.spa.enc_key = randomBytes(16).toString('base64');
    });
    rejects((p) => {
      p.spa.hmac_key = randomBytes(16).toString('base64');
    });
    rejects((p) => {
      p.spa.username = 'a:b';
    });
    rejects((p) => {
      p.spa.proto = 'tcp';
    });
  });

  it('rejects malformed identifiers, hosts, addresses and key material', () => {
    rejects((p) => {
      p.gw_fqdn = '10.0.0.1';
    });
    rejects((p) => {
      p.gw_fqdn = 'gw..example';
    });
    rejects((p) => {
      p.ovpn.dns_push = ['10.0.0.256'];
    });
    for (const hostile of [
      'corp.example\nnameserver 1.2.3.4',
      'a b',
      'options ndots:15',
      '-bad.example',
      `${'a'.repeat(64)}.example`,
      '',
      '..',
    ]) {
      rejects((p) => {
        p.ovpn.dns_search = [hostile];
      });
    }
    rejects((p) => {
      p.ovpn.dns_search = Array.from({ length: 7 }, (_, i) => `d${i}.example`);
    });
    rejects((p) => {
      p.policy.kill_switch = 'sometimes';
    });
    rejects((p) => {
      p.session_id = 'x-1234';
    });
    rejects((p) => {
      p.ovpn.key_inline = '-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n';
    });
    rejects((p) => {
      p.ovpn.tls_crypt_key_inline =
        '-----BEGIN OpenVPN Static key V1-----\nabc\n-----END OpenVPN Static key V1-----\n';
    });
  });

  it('refuses non-JSON, non-UTF-8 and oversized plaintext without echoing it', () => {
    const secret = 'SECRET-MATERIAL-xyz';
    for (const bytes of [
      Buffer.from(`{${secret}`),
      Buffer.from([0xff, 0xfe, 0x41]),
      Buffer.alloc(70 * 1024, 0x20),
    ]) {
      assert.throws(
        () => parseBootstrap(bytes, NOW),
        (e) => {
          assert.ok(isViworksError(e, 'VIW_E_BOOTSTRAP_INVALID'));
          assert.ok(!JSON.stringify({ m: e.message, d: e.details }).includes(secret));
          return true;
        },
      );
    }
  });

  it('never puts field values (which may be keys) in error details', () => {
    const p = structuredClone(sample()) as unknown as Record<string, any>;
    p.spa.enc_key = `${p.spa.enc_key}!!`;
    try {
      validateBootstrap(p, NOW);
      assert.fail('expected a rejection');
    } catch (e) {
      assert.ok(isViworksError(e));
      assert.ok(!e.details.join(' ').includes(p.spa.enc_key.slice(0, 20)));
    }
  });
});
