import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BootstrapPayload } from '../../../core/bootstrap/payload.js';
import { splitOvpn } from '../../../core/bootstrap/testing/split.js';
import { isViworksError } from '../../../core/errors/viworks-error.js';
import { type RenderOptions, renderClientConfig as renderBytes } from './config.js';

/** The whole policy as the backend seals it (the renderer takes its public part and secrets apart). */
type OvpnPolicy = BootstrapPayload['ovpn'];

/** Renders as the starter does (secrets as Buffers, a Buffer out), read back as text to compare. */
function renderClientConfig(full: OvpnPolicy, opts: RenderOptions): string {
  const { ovpn, secrets } = splitOvpn(full);
  const out = renderBytes(ovpn, secrets, opts);
  assert.ok(Buffer.isBuffer(out));
  assert.equal(secrets.clientKeyPem.toString(), full.key_inline, "the caller's secrets are not changed");
  return out.toString('utf8');
}

// Structurally valid stand-ins: the renderer checks shape, not cryptography.
const b64 = (seed: string, n: number) => Buffer.alloc(n, seed).toString('base64');
const CERT = `-----BEGIN CERTIFICATE-----\n${b64('c', 48)}\n${b64('C', 12)}\n-----END CERTIFICATE-----\n`;
const INT = `-----BEGIN CERTIFICATE-----\n${b64('i', 48)}\n-----END CERTIFICATE-----\n`;
const ROOT = `-----BEGIN CERTIFICATE-----\n${b64('r', 48)}\n-----END CERTIFICATE-----\n`;
const KEY_BODY = b64('k', 48);
const KEY = `-----BEGIN PRIVATE KEY-----\n${KEY_BODY}\n-----END PRIVATE KEY-----\n`;
const TC_LINES = Array.from({ length: 16 }, (_, i) => i.toString(16).repeat(32));
const TLS_CRYPT = `-----BEGIN OpenVPN Static key V1-----\n${TC_LINES.join('\n')}\n-----END OpenVPN Static key V1-----\n`;

const policy = (over: Partial<OvpnPolicy> = {}): OvpnPolicy => ({
  proto: 'tcp-client',
  cipher: 'AES-256-GCM',
  data_ciphers: ['AES-256-GCM', 'AES-128-GCM'],
  auth: 'SHA256',
  tls_crypt_key_inline: TLS_CRYPT,
  ca_inline: INT + ROOT,
  cert_inline: CERT,
  key_inline: KEY,
  dns_push: ['10.0.0.53'],
  dns_search: [],
  redirect_gateway: true,
  block_outside_dns: true,
  ...over,
});

const HEAD = [
  'client',
  'dev viworks0',
  'dev-type tun',
  'proto tcp-client',
  'remote 127.0.0.1 41194',
  'nobind',
  'persist-key',
  'persist-tun',
  'remap-usr1 SIGTERM',
  'connect-retry-max 1',
];
const CRYPTO = [
  'allow-compression no',
  'cipher AES-256-GCM',
  'data-ciphers AES-256-GCM:AES-128-GCM',
  'auth SHA256',
  'tls-version-min 1.3',
  'remote-cert-tls server',
  'verify-x509-name ovpn- name-prefix',
  'verb 3',
  'pull-filter ignore "redirect-gateway"',
  'pull-filter ignore "redirect-private"',
  'pull-filter ignore "dhcp-option DNS"',
  'pull-filter ignore "dns "',
];
const BLOCKS = [
  `<tls-crypt>\n${TLS_CRYPT}</tls-crypt>`,
  `<ca>\n${INT}${ROOT}</ca>`,
  `<cert>\n${CERT}</cert>`,
  `<key>\n${KEY}</key>`,
];

describe('renderClientConfig', () => {
  test('the tun interface has a fixed name on Linux (the kill switch admits only it)', () => {
    const opts = { remoteHost: '127.0.0.1', remotePort: 1, gatewayAddresses: ['203.0.113.7'] } as const;
    const lines = (o: object) => renderClientConfig(policy(), { ...opts, ...o }).split('\n');
    assert.ok(lines({ platform: 'linux', deviceName: 'vwtest1' }).includes('dev vwtest1'));
    assert.ok(lines({ platform: 'linux', deviceName: null }).includes('dev tun'));
    assert.ok(lines({ platform: 'darwin' }).includes('dev tun'));
    for (const bad of ['tun0\nup /bin/sh', 'a'.repeat(16), '0abc', 'tun 0'])
      assert.throws(() => lines({ platform: 'linux', deviceName: bad }), RangeError);
  });

  test('Linux, full tunnel through the loopback proxy: the exact text', () => {
    const text = renderClientConfig(policy(), {
      remoteHost: '127.0.0.1',
      remotePort: 41194,
      gatewayAddresses: ['203.0.113.7'],
      platform: 'linux',
    });
    const expected = [
      ...HEAD,
      'script-security 0',
      ...CRYPTO,
      'pull-filter ignore "block-outside-dns"',
      'redirect-gateway def1 ipv6 local',
      'block-ipv6',
      'route 203.0.113.7 255.255.255.255 net_gateway',
      'dhcp-option DNS 10.0.0.53',
      ...BLOCKS,
      '',
    ].join('\n');
    assert.equal(text, expected);
  });

  test('the backend bypass: one /32 net_gateway route per backend address, deduplicated, after the gateway', () => {
    const text = renderClientConfig(policy(), {
      remoteHost: '127.0.0.1',
      remotePort: 41194,
      gatewayAddresses: ['203.0.113.7'],
      bypassAddresses: ['198.51.100.20', '203.0.113.7', '198.51.100.21', '198.51.100.20'],
      platform: 'linux',
    });
    assert.deepEqual(
      text.split('\n').filter((l) => l.startsWith('route ')),
      [
        'route 203.0.113.7 255.255.255.255 net_gateway',
        'route 198.51.100.20 255.255.255.255 net_gateway',
        'route 198.51.100.21 255.255.255.255 net_gateway',
      ],
    );
    const base = { remoteHost: '127.0.0.1', remotePort: 41194, gatewayAddresses: ['203.0.113.7'] };
    for (const bad of [['backend.example'], ['127.0.0.1'], ['2001:db8::1']]) {
      assert.throws(() => renderClientConfig(policy(), { ...base, bypassAddresses: bad }), /bypassAddresses/);
    }
  });

  test('Windows with block_outside_dns; split tunnel to a direct remote', () => {
    const win = renderClientConfig(policy(), {
      remoteHost: '127.0.0.1',
      remotePort: 41194,
      gatewayAddresses: ['203.0.113.7'],
      platform: 'win32',
    });
    assert.match(win, /^script-security 1$/m);
    assert.match(win, /^block-outside-dns$/m);
    assert.doesNotMatch(win, /pull-filter ignore "block-outside-dns"/);

    const split = renderClientConfig(policy({ redirect_gateway: false, dns_push: [] }), {
      remoteHost: '10.214.7.1',
      remotePort: 1194,
      platform: 'linux',
    });
    assert.doesNotMatch(split, /^redirect-gateway|^block-ipv6|^route |^dhcp-option/m);
    assert.match(split, /^pull-filter ignore "redirect-gateway"$/m, 'the server cannot widen the policy');
    assert.match(split, /^remote 10\.214\.7\.1 1194$/m);
  });

  test('a direct remote keeps OpenVPN’s own bypass route (no `local` flag)', () => {
    const text = renderClientConfig(policy(), {
      remoteHost: '10.214.7.1',
      remotePort: 1194,
      platform: 'linux',
    });
    assert.match(text, /^redirect-gateway def1 ipv6$/m);
  });

  test('no secret appears outside its inline block, and each appears exactly once', () => {
    const text = renderClientConfig(policy(), {
      remoteHost: '127.0.0.1',
      remotePort: 41194,
      gatewayAddresses: ['203.0.113.7'],
      platform: 'linux',
    });
    const outside = text
      .replace(/<(tls-crypt|ca|cert|key)>\n[\s\S]*?<\/\1>\n?/g, '')
      .split('\n')
      .filter(Boolean);
    assert.ok(outside.length > 10);
    for (const line of outside) {
      assert.doesNotMatch(
        line,
        /-----|[A-Za-z0-9+/=]{40,}|[0-9a-f]{32}/,
        `secret-looking line outside a block: ${line}`,
      );
    }
    const keyBlock = text.match(/<key>\n([\s\S]*?)<\/key>/)?.[1];
    assert.equal(keyBlock, KEY);
    assert.equal(text.split(KEY_BODY).length, 2, 'key body exactly once');
    for (const l of TC_LINES) assert.equal(text.split(l).length, 2);
    assert.doesNotMatch(text, /management|script-security [2-9]|^up |^down |auth-user-pass/m);
  });

  test('PEM without a final newline still closes its tag on a line of its own; tls-crypt comments are dropped', () => {
    const text = renderClientConfig(
      policy({
        cert_inline: CERT.trimEnd(),
        tls_crypt_key_inline: `# 2048 bit OpenVPN static key\n${TLS_CRYPT}`,
      }),
      { remoteHost: '10.1.1.1', remotePort: 1194, platform: 'linux' },
    );
    assert.match(text, /-----END CERTIFICATE-----\n<\/cert>\n/);
    assert.doesNotMatch(text, /2048 bit/);
  });
});

describe('renderClientConfig refuses values that could inject directives', () => {
  const opts = {
    remoteHost: '127.0.0.1',
    remotePort: 41194,
    gatewayAddresses: ['203.0.113.7'],
    platform: 'linux' as const,
  };
  const attacks: Array<[string, Partial<OvpnPolicy>]> = [
    [
      'closing tag then directives in the key',
      { key_inline: `${KEY}</key>\nremote evil.example 443\n<key>\n${KEY}` },
    ],
    ['directive lines after the PEM body', { ca_inline: `${INT}script-security 2\nup /bin/sh\n` }],
    [
      'a directive inside the PEM body',
      { cert_inline: CERT.replace(/\n-----END/, '\nup /bin/sh\n-----END') },
    ],
    ['tls-crypt comment that closes the tag', { tls_crypt_key_inline: `#</tls-crypt>\n${TLS_CRYPT}` }],
    ['carriage return', { cert_inline: CERT.replace(/\n/g, '\r\n') }],
    ['non-ASCII', { key_inline: KEY.replace('PRIVATE', 'PRIVАTE') }],
    ['two keys', { key_inline: KEY + KEY }],
    ['an EC key where PKCS#8 is expected', { key_inline: KEY.replace(/PRIVATE KEY/g, 'EC PRIVATE KEY') }],
    ['a cipher outside the allowlist', { cipher: 'none' as OvpnPolicy['cipher'] }],
    ['a cipher not in data_ciphers', { cipher: 'CHACHA20-POLY1305' }],
    ['data-ciphers with a directive', { data_ciphers: ['AES-256-GCM\nup /bin/sh' as OvpnPolicy['cipher']] }],
    ['a DNS value with a directive', { dns_push: ['10.0.0.53\nup /bin/sh'] }],
    ['an auth digest outside the allowlist', { auth: 'MD5' as OvpnPolicy['auth'] }],
  ];
  for (const [name, over] of attacks) {
    test(name, () => {
      assert.throws(
        () => renderClientConfig(policy(over), opts),
        (err: unknown) => {
          assert.ok(isViworksError(err, 'VIW_E_BOOTSTRAP_INVALID'), String(err));
          const said = JSON.stringify({ m: err.message, d: err.details });
          assert.doesNotMatch(said, /BEGIN|evil|bin\/sh|[A-Za-z0-9+/]{40}/, 'the error echoes the value');
          assert.match(err.details[0] ?? '', /^\/ovpn\//);
          return true;
        },
      );
    });
  }

  test('caller mistakes are RangeErrors', () => {
    assert.throws(() => renderClientConfig(policy(), { ...opts, remoteHost: 'evil.example' }), RangeError);
    assert.throws(() => renderClientConfig(policy(), { ...opts, remoteHost: '127.0.0.1\nup x' }), RangeError);
    assert.throws(() => renderClientConfig(policy(), { ...opts, remotePort: 0 }), RangeError);
    assert.throws(
      () => renderClientConfig(policy(), { ...opts, gatewayAddresses: ['gw.example'] }),
      RangeError,
    );
    assert.throws(() => renderClientConfig(policy(), { ...opts, serverCnPrefix: 'a b' }), RangeError);
    // Full tunnel through a loopback proxy without the gateway's address would loop the proxy's
    // own connection into the tunnel.
    assert.throws(() => renderClientConfig(policy(), { ...opts, gatewayAddresses: [] }), /gatewayAddresses/);
  });
});
