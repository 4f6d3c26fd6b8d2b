// The resolv.conf text every DNS method shares: the session's servers and search domains in, every
// hostile value refused before any text is made, and `nameserver` lines read back as the resolver
// reads them. (Applying and restoring it on real files: file-dns.test.ts.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkDnsSettings, parseNameservers, renderResolvConf } from './resolv-conf.js';
import { HOSTILE_SETTINGS } from './testing/hostile.js';

const PUSHED = { servers: ['10.8.0.1', 'fd00:8::1'], searchDomains: ['corp.example', 'eng.corp.example'] };

describe('resolv.conf text', () => {
  it('renders the servers and the search domains', () => {
    const text = renderResolvConf(PUSHED);
    assert.match(
      text,
      /^nameserver 10\.8\.0\.1\nnameserver fd00:8::1\nsearch corp\.example eng\.corp\.example$/m,
    );
    assert.doesNotMatch(renderResolvConf({ servers: ['10.8.0.1'], searchDomains: [] }), /search/);
  });

  it('refuses every hostile or malformed value, naming the field and never the value', () => {
    for (const s of HOSTILE_SETTINGS)
      assert.throws(
        () => checkDnsSettings(s),
        (e: Error & { code?: string; details?: string[] }) =>
          e.code === 'VIW_E_VALIDATION' && !(e.details ?? []).join().includes('6.6.6.6'),
        JSON.stringify(s),
      );
  });

  it('reads the nameserver lines back as the resolver does', () => {
    const text = [
      '# a comment nameserver 1.1.1.1',
      'nameserver 192.168.1.1',
      '  nameserver\tfe80::1%eth0',
      'nameserver not-an-address',
      'nameserver 192.168.1.1',
      ';nameserver 9.9.9.9',
      'search home.lan',
      'options edns0',
    ].join('\n');
    assert.deepEqual(parseNameservers(text), ['192.168.1.1', 'fe80::1']);
    assert.deepEqual(parseNameservers(renderResolvConf(PUSHED)), PUSHED.servers);
  });
});
