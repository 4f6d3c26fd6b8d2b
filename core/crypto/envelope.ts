// Sealing and opening the bootstrap envelope (format and AAD encoding: envelope-format.ts).
// The backend seals to the device's enrolled key in the device's suite (X25519 for software keys,
// P-256 for TPM keys); the client opens in memory only, and only envelopes in its own suite.
// Every failure is exactly one ViworksError:
//   VIW_E_ENVELOPE_INVALID  shape, sizes, encodings (checked before any crypto)
//   VIW_E_SEAL_OPEN_FAILED  not for this device/session, or HPKE/AEAD failure
//   VIW_E_BOOTSTRAP_EXPIRED exp is not after `now`
//   VIW_E_CLOCK_SKEW        exp is more than 10 minutes after `now` (the two clocks disagree)
// Messages and details name fields and steps only, never values, keys or plaintext.
import { ViworksError } from '../errors/viworks-error.js';
import { b64Decode, b64NoPad, wipe } from './bytes.js';
import {
  ENVELOPE_ENC_BYTES,
  ENVELOPE_INFO,
  ENVELOPE_SUITE,
  ENVELOPE_SUITE_P256,
  ENVELOPE_VERSION,
  type Envelope,
  type EnvelopeSuite,
  encodeAad,
  envelopeValidator,
  formatExp,
  MAX_EXP_AHEAD_MS,
  MAX_PLAINTEXT_BYTES,
  parseAad,
  parseExp,
} from './envelope-format.js';
import { hpkeOpen, hpkeSeal, importPublicKey, type RecipientKey } from './hpke.js';
import {
  type EcdhZ,
  hpkeOpenP256,
  hpkeOpenWithEcdh,
  hpkeSuiteP256,
  importP256PublicKey,
} from './hpke-p256.js';

export interface SealEnvelopeParams {
  /**
   * The device's enrolled public key in its suite's raw form (X25519: 32 bytes; P-256: the 65-byte
   * uncompressed point), or that key already imported.
   */
  readonly recipientPublicKey: Uint8Array | CryptoKey;
  /** The device's suite (from its key type); default the X25519 suite. */
  readonly suite?: EnvelopeSuite;
  readonly deviceId: string;
  readonly sessionId: string;
  /** Expiry; truncated to whole seconds. */
  readonly exp: Date;
  /** 1 byte to MAX_PLAINTEXT_BYTES. Not modified; the caller may wipe it as soon as this resolves. */
  readonly plaintext: Uint8Array;
}

/** Seals `plaintext` to one device. Inputs are held to the same rules the opener applies. */
export async function sealEnvelope(p: SealEnvelopeParams): Promise<Envelope> {
  if (!(p.exp instanceof Date) || !Number.isFinite(p.exp.getTime())) {
    throw invalid('exp: not a valid date');
  }
  const aad = parseAad({ device_id: p.deviceId, session_id: p.sessionId, exp: formatExp(p.exp) });
  if (p.plaintext.byteLength < 1 || p.plaintext.byteLength > MAX_PLAINTEXT_BYTES) {
    throw invalid('plaintext: size out of range');
  }
  const suite = p.suite ?? ENVELOPE_SUITE;
  const p256 = suite === ENVELOPE_SUITE_P256;
  const raw = p.recipientPublicKey;
  const recipientPublicKey =
    raw instanceof Uint8Array ? await (p256 ? importP256PublicKey(raw) : importPublicKey(raw)) : raw;
  const { enc, ct } = await hpkeSeal(
    { recipientPublicKey, info: ENVELOPE_INFO, aad: encodeAad(aad, suite), plaintext: p.plaintext },
    p256 ? hpkeSuiteP256() : undefined,
  );
  return { v: ENVELOPE_VERSION, suite, enc: b64NoPad(enc), ct: b64NoPad(ct), aad };
}

/** What opens an envelope: a device key and the one suite it belongs to. */
export interface EnvelopeRecipient {
  readonly suite: EnvelopeSuite;
  /** HPKE base-mode single-shot open; VIW_E_SEAL_OPEN_FAILED (or the key holder's own error). */
  open(p: { enc: Uint8Array; info: Uint8Array; aad: Uint8Array; ct: Uint8Array }): Promise<Uint8Array>;
}

/** A software X25519 device key (importPrivateKey). */
export function x25519Recipient(recipientKey: RecipientKey): EnvelopeRecipient {
  return { suite: ENVELOPE_SUITE, open: (p) => hpkeOpen({ recipientKey, ...p }) };
}

/** A software P-256 key pair (WebCrypto ECDH): tests, and the reference for the TPM path. */
export function p256Recipient(recipientKey: CryptoKeyPair): EnvelopeRecipient {
  return { suite: ENVELOPE_SUITE_P256, open: (p) => hpkeOpenP256({ recipientKey, ...p }) };
}

/** A P-256 key held elsewhere (a TPM): its uncompressed public key and its ECDH step. */
export function p256EcdhRecipient(recipientPublicKey: Uint8Array, ecdh: EcdhZ): EnvelopeRecipient {
  return { suite: ENVELOPE_SUITE_P256, open: (p) => hpkeOpenWithEcdh({ recipientPublicKey, ecdh, ...p }) };
}

interface OpenEnvelopeCommon {
  readonly expectedDeviceId: string;
  /** When given, an envelope for any other session is refused. */
  readonly expectedSessionId?: string;
  /** The clock to judge `exp` by; defaults to the current time. */
  readonly now?: Date;
}

export type OpenEnvelopeOptions = OpenEnvelopeCommon &
  (
    | {
        /** This device's X25519 key, from importPrivateKey (the X25519 suite). */
        readonly recipientKey: RecipientKey;
      }
    | {
        /** This device's key in its suite; envelopes in the other suite are refused. */
        readonly recipient: EnvelopeRecipient;
      }
  );

/** Validates and opens an envelope (as parsed from JSON). Returns the whole plaintext or throws. */
export async function openEnvelope(envelope: unknown, o: OpenEnvelopeOptions): Promise<Uint8Array> {
  const env = envelopeValidator.parse(envelope, 'VIW_E_ENVELOPE_INVALID');
  const expMs = parseExp(env.aad.exp);
  // The schema's string lengths plus canonical decoding pin ct to 17 B..256 KiB, enc to 32..65
  // bytes; enc must then be exactly its suite's length.
  const enc = decodeCanonical(env.enc, '/enc');
  if (enc.byteLength !== ENVELOPE_ENC_BYTES[env.suite]) throw invalid('/enc: wrong length for the suite');
  const ct = decodeCanonical(env.ct, '/ct');
  const nowMs = (o.now ?? new Date()).getTime();
  if (!Number.isFinite(nowMs))
    throw new ViworksError('VIW_E_INTERNAL', { details: ['now: not a valid date'] });

  // Cheap refusals first. These members are not yet authenticated, but a mismatch is a refusal
  // either way, and a forged match still fails the AEAD below because they are in the AAD.
  const recipient = 'recipient' in o ? o.recipient : x25519Recipient(o.recipientKey);
  if (env.suite !== recipient.suite) {
    throw new ViworksError('VIW_E_SEAL_OPEN_FAILED', { details: ["/suite: not this device's suite"] });
  }
  if (env.aad.device_id !== o.expectedDeviceId) {
    throw new ViworksError('VIW_E_SEAL_OPEN_FAILED', { details: ['/aad/device_id: not this device'] });
  }
  if (o.expectedSessionId !== undefined && env.aad.session_id !== o.expectedSessionId) {
    throw new ViworksError('VIW_E_SEAL_OPEN_FAILED', {
      details: ['/aad/session_id: not the expected session'],
    });
  }

  // enc, ct and the AAD are public values: nothing here needs wiping except the plaintext.
  const pt = await recipient.open({ enc, info: ENVELOPE_INFO, aad: encodeAad(env.aad, env.suite), ct });

  // Time is judged only after opening, so the verdict rests on an authenticated `exp`; an attacker
  // who edits `exp` gets VIW_E_SEAL_OPEN_FAILED, not a misleading "expired".
  if (expMs <= nowMs) {
    wipe(pt);
    throw new ViworksError('VIW_E_BOOTSTRAP_EXPIRED', { details: ['/aad/exp: in the past'] });
  }
  if (expMs - nowMs > MAX_EXP_AHEAD_MS) {
    wipe(pt);
    throw new ViworksError('VIW_E_CLOCK_SKEW', {
      details: ['/aad/exp: more than 10 minutes ahead of this device clock'],
    });
  }
  return pt;
}

/** Decodes unpadded standard base64 and refuses any other spelling of the same bytes. */
function decodeCanonical(text: string, path: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = b64Decode(text);
  } catch {
    throw invalid(`${path}: not base64`);
  }
  // Non-canonical spellings (stray low bits in the last character) would let an edited envelope
  // still open; refusing them keeps "changed text" equal to "changed meaning".
  if (b64NoPad(bytes) !== text) throw invalid(`${path}: not canonical unpadded base64`);
  return bytes;
}

function invalid(detail: string): ViworksError {
  return new ViworksError('VIW_E_ENVELOPE_INVALID', { details: [detail] });
}
