// The real SPA sender: one fresh fwknop packet per knock, decodable with the device's keys, asking
// for the source address this host uses to reach the gateway.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { decodeSpa } from '../../core/spa/index.js';
import { UdpSpaSender } from './spa-sender.js';

describe('UdpSpaSender', () => {
  it('sends a fresh knock per call that decodes with the keys', async () => {
    const rx = createSocket('udp4');
    const got: string[] = [];
    rx.on('message', (m) => got.push(m.toString('ascii')));
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', r));
    const port = (rx.address() as AddressInfo).port;
    const encKey = randomBytes(32);
    const hmacKey = randomBytes(64);
    const knock = {
      host: '127.0.0.1',
      port,
      username: `d-${'ab'.repeat(16)}`,
      encKey,
      hmacKey,
      accessPorts: [{ proto: 'tcp' as const, port: 443 }],
      clientTimeout: 20,
    };
    const sender = new UdpSpaSender();
    assert.deepEqual(await sender.send(knock, new AbortController().signal), { accessIp: '127.0.0.1' });
    await sender.send(knock, new AbortController().signal);
    for (let i = 0; i < 50 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    rx.close();
    assert.equal(got.length, 2);
    assert.notEqual(got[0], got[1], 'each knock is a fresh packet');
    const d = decodeSpa(got[0]!, { encKey, hmacKey });
    assert.equal(d.username, knock.username);
    assert.equal(d.accessIp, '127.0.0.1');
    assert.equal(d.clientTimeout, 20);
  });

  it('refuses a non-IPv4 gateway address', async () => {
    const s = new UdpSpaSender();
    const knock = {
      host: '::1',
      port: 62201,
      username: 'd-x',
      encKey: randomBytes(32),
      hmacKey: randomBytes(64),
      accessPorts: [],
      clientTimeout: 20,
    };
    await assert.rejects(s.send(knock, new AbortController().signal), (e) =>
      isViworksError(e, 'VIW_E_SPA_FAILED'),
    );
  });
});
