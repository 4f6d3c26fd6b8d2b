import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isViworksError } from '../errors/viworks-error.js';
import { parseBootstrap, validateBootstrap } from './payload.js';
import { NOW, sample } from './testing/sample.js';

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
