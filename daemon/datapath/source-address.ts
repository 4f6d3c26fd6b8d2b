// The local address the kernel would send from to reach an address: a UDP socket connected to it
// (connect(2) on UDP sends nothing) reports the source address its route gives it. Used for the
// SPA knock's access address (spa-sender.ts) and by the leak checks (engine/leak-check.ts).
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';

/** The kernel's source address toward `ip` (port: for policy routing by port); null: no route. */
export function kernelSourceAddress(ip: string, port = 53): Promise<string | null> {
  const family = isIP(ip);
  if (family === 0) return Promise.resolve(null);
  return new Promise((resolve) => {
    const socket = createSocket(family === 4 ? 'udp4' : 'udp6');
    const done = (value: string | null) => {
      socket.close();
      resolve(value);
    };
    socket.on('error', () => done(null));
    socket.connect(port, ip, () => {
      try {
        done(socket.address().address);
      } catch {
        done(null);
      }
    });
  });
}
