// Sealing + opening a bootstrap-sized (4 KiB) payload through the project's envelope, beside a
// floor measured in the same run: the same primitives straight from node:crypto (OpenSSL), with no
// HPKE key schedule, no schema and no base64. The ratio is what the library and the envelope cost.
import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { openEnvelope, sealEnvelope } from '../core/crypto/envelope.js';
import { generateDeviceKeyPair, importPrivateKey, importPublicKey } from '../core/crypto/hpke.js';
import { formatMeasurement, measure } from './measure.js';

const PAYLOAD_BYTES = 4096;
const DURATION_MS = 2000;

export async function run(): Promise<void> {
  const payload = new Uint8Array(randomBytes(PAYLOAD_BYTES));
  console.log(`  payload ${PAYLOAD_BYTES} B; each figure is ${DURATION_MS / 1000} s after a 0.3 s warm-up`);

  // --- the project's envelope (hpke-js underneath) ---
  const device = await generateDeviceKeyPair();
  const recipientPublicKey = await importPublicKey(device.publicKey);
  const recipientKey = await importPrivateKey(device.privateKey);
  const deviceId = 'bench-device';
  const sessionId = 'bench-session';
  const exp = new Date(Date.now() + 5 * 60 * 1000);
  const seal = () => sealEnvelope({ recipientPublicKey, deviceId, sessionId, exp, plaintext: payload });
  const open = (env: unknown) => openEnvelope(env, { recipientKey, expectedDeviceId: deviceId });

  // --- floor: X25519 + HKDF-SHA256 + ChaCha20-Poly1305 from node:crypto ---
  const baseline = nodeCryptoBaseline();

  // Measure only paths that work: one checked round trip each before timing.
  assertSame(await open(await seal()), payload, 'envelope');
  assertSame(baseline.open(baseline.seal(payload)), payload, 'baseline');

  const env = await measure('envelope seal+open', async () => open(await seal()), {
    durationMs: DURATION_MS,
  });
  const raw = await measure('node:crypto floor seal+open', () => baseline.open(baseline.seal(payload)), {
    durationMs: DURATION_MS,
  });
  console.log(formatMeasurement(env));
  console.log(formatMeasurement(raw));
  console.log(
    `  ratio: the node:crypto floor is ${(raw.opsPerSec / env.opsPerSec).toFixed(1)}x the envelope`,
  );

  // Where the envelope's time goes.
  const sealed = await seal();
  console.log(formatMeasurement(await measure('envelope seal only', seal, { durationMs: DURATION_MS })));
  console.log(
    formatMeasurement(await measure('envelope open only', () => open(sealed), { durationMs: DURATION_MS })),
  );
}

// DER prefix of an X25519 SubjectPublicKeyInfo; the raw 32-byte key follows it.
const SPKI_X25519_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const INFO = Buffer.from('viworks/bench/baseline');
const AAD = Buffer.from('bench-aad');

/**
 * A minimal ECIES with the same primitives and the same per-message work as a single-shot HPKE
 * seal/open: fresh ephemeral key, serialised enc, one DH per side, HKDF over the DH output bound
 * to enc and pkR, AEAD with AAD. Not HPKE-compatible; it exists only as a floor to compare with.
 */
function nodeCryptoBaseline() {
  const recipient = generateKeyPairSync('x25519');
  const pkR = rawPublic(recipient.publicKey);
  const derive = (dh: Buffer, enc: Buffer) => {
    const okm = Buffer.from(hkdfSync('sha256', dh, Buffer.alloc(0), Buffer.concat([INFO, enc, pkR]), 44));
    dh.fill(0);
    return okm; // key = okm[0..32), nonce = okm[32..44); the caller wipes it
  };
  return {
    seal(pt: Uint8Array): { enc: Buffer; ct: Buffer } {
      const eph = generateKeyPairSync('x25519');
      const enc = rawPublic(eph.publicKey);
      const okm = derive(diffieHellman({ privateKey: eph.privateKey, publicKey: recipient.publicKey }), enc);
      const cipher = createCipheriv('chacha20-poly1305', okm.subarray(0, 32), okm.subarray(32), {
        authTagLength: 16,
      });
      okm.fill(0);
      cipher.setAAD(AAD, { plaintextLength: pt.length });
      const ct = Buffer.concat([cipher.update(pt), cipher.final(), cipher.getAuthTag()]);
      return { enc, ct };
    },
    open({ enc, ct }: { enc: Buffer; ct: Buffer }): Buffer {
      const pkE = createPublicKey({
        key: Buffer.concat([SPKI_X25519_PREFIX, enc]),
        format: 'der',
        type: 'spki',
      });
      const okm = derive(diffieHellman({ privateKey: recipient.privateKey, publicKey: pkE }), enc);
      const decipher = createDecipheriv('chacha20-poly1305', okm.subarray(0, 32), okm.subarray(32), {
        authTagLength: 16,
      });
      okm.fill(0);
      decipher.setAAD(AAD, { plaintextLength: ct.length - 16 });
      decipher.setAuthTag(ct.subarray(ct.length - 16));
      return Buffer.concat([decipher.update(ct.subarray(0, ct.length - 16)), decipher.final()]);
    },
  };
}

function rawPublic(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' }).subarray(SPKI_X25519_PREFIX.length);
}

function assertSame(actual: Uint8Array, expected: Uint8Array, what: string): void {
  if (!Buffer.from(actual).equals(Buffer.from(expected))) throw new Error(`${what}: round trip mismatch`);
}
