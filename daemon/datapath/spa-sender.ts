// The real SPA sender: one fwknop-compatible packet (core/spa encodeSpa: Rijndael + HMAC-SHA256)
// over UDP to the gateway's fwknopd. The access address is the local address this host uses to
// reach the gateway (no NAT awareness yet: behind NAT the gateway sees another address and ignores
// the knock — the engine then reports VIW_E_SPA_FAILED). A send error is retried up to 3 times
// with jitter; each try is a fresh packet (fwknopd refuses a replayed one). Whether the door
// opened is only known when the TLS proxy connects: the engine re-knocks on a TLS failure.
import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { encodeSpa } from '../../core/spa/index.js';
import type { SpaKnock, SpaSender } from '../engine/types.js';
import { kernelSourceAddress } from './source-address.js';

export interface UdpSpaSenderOptions {
  readonly tries?: number;
  /** Jitter between tries, ms [min, max). */
  readonly jitterMs?: readonly [number, number];
}

export class UdpSpaSender implements SpaSender {
  private readonly tries: number;
  private readonly jitter: readonly [number, number];

  constructor(o: UdpSpaSenderOptions = {}) {
    this.tries = o.tries ?? 3;
    this.jitter = o.jitterMs ?? [150, 600];
  }

  async send(knock: SpaKnock, signal: AbortSignal): Promise<{ accessIp: string }> {
    if (isIP(knock.host) !== 4) {
      throw new ViworksError('VIW_E_SPA_FAILED', { details: ['gateway address: IPv4 required'] });
    }
    let last: unknown;
    for (let attempt = 1; attempt <= this.tries; attempt++) {
      signal.throwIfAborted();
      try {
        const accessIp = await kernelSourceAddress(knock.host, knock.port);
        if (accessIp === null) throw new Error('no route to the gateway');
        const packet = encodeSpa({
          encKey: knock.encKey,
          hmacKey: knock.hmacKey,
          username: knock.username,
          accessIp,
          accessPorts: knock.accessPorts,
          clientTimeout: knock.clientTimeout,
        });
        await sendDatagram(Buffer.from(packet, 'ascii'), knock.host, knock.port);
        return { accessIp };
      } catch (err) {
        if (err instanceof ViworksError && err.code === 'VIW_E_SPA_INVALID') throw err;
        last = err;
        if (attempt < this.tries)
          await sleep(randomInt(this.jitter[0], this.jitter[1]), undefined, { signal });
      }
    }
    throw new ViworksError('VIW_E_SPA_FAILED', { details: ['knock could not be sent'], cause: last });
  }
}

function sendDatagram(data: Buffer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', (err) => {
      s.close();
      reject(err);
    });
    s.send(data, port, host, (err) => {
      s.close();
      if (err) reject(err);
      else resolve();
    });
  });
}
