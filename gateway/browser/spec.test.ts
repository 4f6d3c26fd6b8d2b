import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { checkBrowserSpec, checkPool } from './spec.js';

const POOL = checkPool('10.255.0.0/16');
const ID = `s-${'0123456789abcdef'.repeat(2)}`;
const good = () => ({
  id: ID,
  targets: [{ host: '192.168.10.5', port: 8080 }],
  limits: { memory_mb: 1024, pids: 512, cpu_pct: 100 },
  start_url: 'http://192.168.10.5:8080/',
  clipboard: false,
  file_transfer: false,
});

function refused(
  value: unknown,
  code = 'VIW_E_VALIDATION',
  refusedNets = [] as ReturnType<typeof checkPool>[],
) {
  assert.throws(
    () => checkBrowserSpec(value, POOL, refusedNets),
    (e: unknown) => e instanceof ViworksError && e.code === code,
  );
}

describe('checkBrowserSpec', () => {
  test('accepts a well-formed spec and returns it unchanged', () => {
    assert.deepEqual(checkBrowserSpec(good(), POOL), good());
  });

  test('clipboard and file_transfer: required booleans (no default in the sandbox: the verb decides)', () => {
    const { clipboard: _c, ...noClipboard } = good();
    const { file_transfer: _f, ...noFileTransfer } = good();
    refused(noClipboard);
    refused(noFileTransfer);
    refused({ ...good(), clipboard: 'true' });
    refused({ ...good(), file_transfer: 1 });
    // Near miss: both on is a valid spec, returned as given.
    const on = { ...good(), clipboard: true, file_transfer: true };
    assert.deepEqual(checkBrowserSpec(on, POOL), on);
  });

  test('the session id: exactly s- and 32 lowercase hex', () => {
    refused({ ...good(), id: `s-${'0'.repeat(31)}` });
    refused({ ...good(), id: `s-${'0'.repeat(33)}` });
    refused({ ...good(), id: `s-${'A'.repeat(32)}` });
    refused({ ...good(), id: `s-${'0'.repeat(31)};` });
    refused({ ...good(), id: `x-${'0'.repeat(32)}` });
  });

  test('hostile hosts: shell metacharacters, names, overlong, non-canonical literals', () => {
    for (const host of [
      '10.0.0.1;reboot',
      '$(id)',
      '10.0.0.1 10.0.0.2',
      'intranet.example',
      '1'.repeat(300),
      '010.0.0.1',
      '10.0.0.256',
      '10.0.0',
      '10.0.0.1.',
      '::1',
    ]) {
      refused({ ...good(), targets: [{ host, port: 80 }], start_url: 'http://10.0.0.1:80/' });
    }
  });

  test('refused ranges: loopback, this-network, link-local, multicast, reserved, the pool, extra', () => {
    for (const host of [
      '127.0.0.1',
      '127.255.255.254',
      '0.0.0.0',
      '169.254.169.254',
      '224.0.0.1',
      '240.0.0.1',
      '255.255.255.255',
      '10.255.3.2',
    ]) {
      refused({ ...good(), targets: [{ host, port: 80 }], start_url: `http://${host}:80/` });
    }
    const vpnPool = checkPool('10.8.0.0/24');
    refused(
      { ...good(), targets: [{ host: '10.8.0.7', port: 80 }], start_url: 'http://10.8.0.7:80/' },
      undefined,
      [vpnPool],
    );
    // Near misses: just outside each refused range are fine.
    for (const host of [
      '126.255.255.255',
      '1.0.0.0',
      '169.253.255.255',
      '223.255.255.255',
      '10.254.255.255',
      '10.8.1.0',
    ]) {
      const spec = { ...good(), targets: [{ host, port: 80 }], start_url: `http://${host}:80/` };
      assert.equal(checkBrowserSpec(spec, POOL, [vpnPool]).targets[0]!.host, host);
    }
  });

  test('targets: 1..16, no duplicates, ports 1..65535, no unknown fields', () => {
    refused({ ...good(), targets: [] });
    const many = Array.from({ length: 17 }, (_, i) => ({ host: `192.168.10.${i + 1}`, port: 80 }));
    refused({ ...good(), targets: many, start_url: 'http://192.168.10.1:80/' });
    assert.equal(
      checkBrowserSpec({ ...good(), targets: many.slice(0, 16), start_url: 'http://192.168.10.1:80/' }, POOL)
        .targets.length,
      16,
    );
    refused({ ...good(), targets: [good().targets[0], good().targets[0]] });
    refused({ ...good(), targets: [{ host: '192.168.10.5', port: 0 }] });
    refused({ ...good(), targets: [{ host: '192.168.10.5', port: 65536 }] });
    refused({ ...good(), targets: [{ host: '192.168.10.5', port: 80, proto: 'udp' }] }, 'VIW_E_VALIDATION');
    refused({ ...good(), extra: true });
  });

  test('start_url must be http://<granted host>:<granted port>/ exactly', () => {
    refused({ ...good(), start_url: 'http://192.168.10.6:8080/' });
    refused({ ...good(), start_url: 'http://192.168.10.5:8081/' });
    refused({ ...good(), start_url: 'http://192.168.10.5:08080/' });
    refused({ ...good(), start_url: 'https://192.168.10.5:8080/' });
    refused({ ...good(), start_url: 'http://192.168.10.5:8080/x' });
    refused({ ...good(), start_url: 'http://192.168.10.5:8080' });
    refused({ ...good(), start_url: 'http://192.168.10.5:8080/"$(id)' });
  });

  test('limits are bounded', () => {
    refused({ ...good(), limits: { memory_mb: 128, pids: 512, cpu_pct: 100 } });
    refused({ ...good(), limits: { memory_mb: 1024, pids: 10, cpu_pct: 100 } });
    refused({ ...good(), limits: { memory_mb: 1024, pids: 512, cpu_pct: 1000 } });
    refused({ ...good(), limits: { memory_mb: 1024.5, pids: 512, cpu_pct: 100 } });
    refused({ ...good(), limits: { memory_mb: 1024, pids: 512 } });
  });
});

describe('checkPool', () => {
  test('a canonical CIDR of /8../28 outside the refused ranges', () => {
    assert.deepEqual(checkPool('10.255.0.0/16'), { base: 0x0aff0000, prefix: 16 });
    for (const bad of ['10.255.0.1/16', '10.255.0.0/30', '10.0.0.0/7', '127.0.0.0/16', '169.254.0.0/16', 'x'])
      assert.throws(() => checkPool(bad), ViworksError);
  });
});
