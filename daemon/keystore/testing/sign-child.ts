// A process that signs requests with the device key in a file key store, then waits to have its
// memory read (sign-memory.test.ts): `node --expose-gc --import tsx sign-child.ts <keys dir>
// <machine-id file> openssl|tweetnacl`. `openssl` is the daemon's path (SecretStoreDeviceKeys);
// `tweetnacl` replays the former one (keyPair.fromSeed + sign.detached, then the same wipes) so the
// test can show what that left behind. After signing it runs two full collections, as the daemon
// does after a session (what OpenSSL holds is freed, and cleared, when node's wrappers are
// collected), prints `signed`, and exits when its stdin closes.
import nacl from 'tweetnacl';
import { wipe } from '../../../core/crypto/bytes.js';
import { signRequest } from '../../../core/crypto/request-signing.js';
import { FileKeyStore } from '../file-store.js';
import { DEVICE_SIGNING_KEY } from '../keystore.js';
import { SecretStoreDeviceKeys } from '../software-device-keys.js';

const [dir, machineId, signer] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
if (!dir || !machineId || (signer !== 'openssl' && signer !== 'tweetnacl') || !gc) {
  throw new Error('usage: node --expose-gc sign-child.ts <keys dir> <machine-id file> openssl|tweetnacl');
}
const store = new FileKeyStore({ dir, machineIdPaths: [machineId] });
const keys = new SecretStoreDeviceKeys(store);

async function signOnce(body: Uint8Array): Promise<void> {
  if (signer === 'openssl') {
    await keys.sign('d-child', 'POST', '/device/events', body);
    return;
  }
  const seed = await store.get(DEVICE_SIGNING_KEY);
  if (seed === null) throw new Error('no signing key');
  const pair = nacl.sign.keyPair.fromSeed(seed);
  try {
    signRequest('d-child', pair.secretKey, 'POST', '/device/events', body);
  } finally {
    wipe(seed, pair.secretKey);
  }
}

// Several requests, as a session makes (login, connect, events), with other work in between.
for (let i = 0; i < 8; i++) await signOnce(Buffer.from(JSON.stringify({ n: i, pad: 'x'.repeat(i * 100) })));
gc();
await new Promise((resolve) => setImmediate(resolve));
gc();
process.stdout.write('signed\n');
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
