// Bounded name resolution for connect: the gateway FQDN must resolve to an IPv4 address within the
// timeout (gateway_dns), and the backend's addresses become bypass routes (backend_route), never
// loopback. The resolvers here are plain functions: the system resolver is not what is tested.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { backendBypassAddresses, type ResolveAll, resolveWithTimeout, systemResolveAll } from './resolve.js';

const table: Record<string, string[]> = {
  'gw.example.test': ['203.0.113.7'],
  'api.example.test': ['198.51.100.20', '198.51.100.21', '198.51.100.20'],
  'v6only.example.test': ['2001:db8::1'],
  'local.example.test': ['127.0.0.1'],
};
const fake: ResolveAll = async (host) => {
  const a = table[host];
  if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return a;
};
const never: ResolveAll = () => new Promise(() => {});
const preflightFailure = (detail: RegExp) => (e: unknown) =>
  isViworksError(e, 'VIW_E_PREFLIGHT') && detail.test(e.details[0] ?? '');

describe('gateway_dns', () => {
  it('resolves to the IPv4 addresses, deduplicated', async () => {
    assert.deepEqual(await resolveWithTimeout(fake, 'gw.example.test', 'gateway_dns'), ['203.0.113.7']);
  });

  it('fails closed for a name that does not resolve, has no IPv4 address, or gets no answer in time', async () => {
    await assert.rejects(
      resolveWithTimeout(fake, 'nope.example.test', 'gateway_dns'),
      preflightFailure(/^gateway_dns: does not resolve$/),
    );
    await assert.rejects(
      resolveWithTimeout(fake, 'v6only.example.test', 'gateway_dns'),
      preflightFailure(/^gateway_dns: no IPv4 address$/),
    );
    await assert.rejects(
      resolveWithTimeout(never, 'gw.example.test', 'gateway_dns', 50),
      preflightFailure(/^gateway_dns: no answer in 50 ms$/),
    );
  });

  it('the system resolver answers for localhost (it reads /etc/hosts)', async () => {
    assert.ok((await systemResolveAll('localhost')).includes('127.0.0.1'));
  });
});

describe('backend_route', () => {
  it('a backend name: every IPv4 address, once', async () => {
    assert.deepEqual(await backendBypassAddresses('https://api.example.test:8443/', fake), [
      '198.51.100.20',
      '198.51.100.21',
    ]);
  });

  it('an IPv4 literal as is; loopback and IPv6 literals need no route', async () => {
    assert.deepEqual(await backendBypassAddresses('https://192.0.2.10/', never), ['192.0.2.10']);
    assert.deepEqual(await backendBypassAddresses('https://127.0.0.1:9443/', never), []);
    assert.deepEqual(await backendBypassAddresses('https://[2001:db8::5]/', never), []);
    assert.deepEqual(await backendBypassAddresses('https://local.example.test/', fake), []);
  });

  it('a backend name that does not resolve fails closed (the bypass would be missing)', async () => {
    await assert.rejects(
      backendBypassAddresses('https://gone.example.test/', fake),
      preflightFailure(/^backend_route: does not resolve$/),
    );
  });
});
