// A loopback TCP relay that remembers the first bytes each client sent, up to the end of its
// ClientHello, keyed by the client's port, and carries the connection on to a real TLS server. It is
// where the front-door capture test gets the hellos independently of the capture: from the socket,
// not from packets. Test-only.
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { type ClientHello, readClientHello } from '../../../core/tls/client-hello.js';

export interface RecordingRelay {
  readonly port: number;
  /** Client port → the ClientHello it sent (only complete ones). */
  readonly hellos: ReadonlyMap<number, ClientHello>;
  close(): Promise<void>;
}

export async function startRecordingRelay(targetPort: number): Promise<RecordingRelay> {
  const hellos = new Map<number, ClientHello>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const port = client.remotePort ?? 0;
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => s.destroy());
      s.on('close', () => sockets.delete(s));
    }
    let seen = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      if (hellos.has(port) || seen.length > 32 * 1024) return;
      seen = Buffer.concat([seen, chunk]);
      const read = readClientHello(seen);
      if (read.state === 'complete') hellos.set(port, read.hello);
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('relay did not listen');
  return {
    port: address.port,
    hellos,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
