// A free TCP port on loopback for a test peer (PostgreSQL, Redis, stunnel…). There is a small race
// between closing the probe and the peer binding; peers that fail to bind are retried by callers.
import { createServer } from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
