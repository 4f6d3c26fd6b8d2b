// A hello-log line as the front door's capture writes it (front-door/hello-line.ts) for a real
// Firefox ClientHello (core/tls/testing/client-hello-vectors.ts), and the fingerprints an event that
// claims it carries: for tests of the readers of the hello log.
import { readClientHello } from '../../core/tls/client-hello.js';
import { CLIENT_HELLO_VECTORS } from '../../core/tls/testing/client-hello-vectors.js';
import { helloLine } from '../front-door/hello-line.js';

const FIREFOX = CLIENT_HELLO_VECTORS[0]!;

/** Its fingerprints as published (FoxIO, Wireshark), as an audit event carries them. */
export const FIREFOX_FIELDS = { tls_ja3: FIREFOX.ja3, tls_ja4: FIREFOX.ja4 } as const;

export function firefoxHelloLine(srcPort: number, srcIp = '10.231.12.2'): string {
  const read = readClientHello(Buffer.from(FIREFOX.hex, 'hex'));
  if (read.state !== 'complete') throw new Error('the vector is a complete ClientHello');
  const line = helloLine({
    tsMs: Date.UTC(2026, 11, 4, 0, 15),
    srcIp,
    srcPort,
    dstPort: 443,
    hello: read.hello,
  });
  if (!line) throw new Error('the vector makes a hello line');
  return JSON.stringify(line);
}
