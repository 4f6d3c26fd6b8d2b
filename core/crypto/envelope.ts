// Sealing and opening the bootstrap envelope (format and AAD encoding: envelope-format.ts).
// The backend seals to the device's enrolled X25519 key; the client opens in memory only.
// Every failure is exactly one ViworksError:
//   VIW_E_ENVELOPE_INVALID  shape, sizes, encodings (checked before any crypto)
//   VIW_E_SEAL_OPEN_FAILED  not for this device/session, or HPKE/AEAD failure
//   VIW_E_BOOTSTRAP_EXPIRED exp is not after `now`
//   VIW_E_CLOCK_SKEW        exp is more than 10 minutes after `now` (the two clocks disagree)
// Messages and details name fields and steps only, never values, keys or plaintext.
import { ViworksError } from '../errors/viworks-error.js';
import { b64Decode, b64NoPad, wipe } from './bytes.js';
import {
  ENVELOPE_INFO,
  ENVELOPE_SUITE,
  ENVELOPE_VERSION,
  type Envelope,
  encodeAad,
  envelopeValidator,
  formatExp,
  MAX_EXP_AHEAD_MS,
  MAX_PLAINTEXT_BYTES,
  parseAad,
  parseExp,
} from './envelope-format.js';
import { hpkeOpen, hpkeSeal, importPublicKey, type RecipientKey } from './hpke.js';

export interface SealEnvelopeParams {
  /** The device's enrolled raw 32-byte X25519 public key, or that key already imported. */
  readonly recipientPublicKey: Uint8Array | CryptoKey;
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
  const recipientPublicKey =
    p.recipientPublicKey instanceof Uint8Array
      ? await importPublicKey(p.recipientPublicKey)
      : p.recipientPublicKey;
  const { enc, ct } = await hpkeSeal({
    recipientPublicKey,
    info: ENVELOPE_INFO,
    aad: encodeAad(aad),
    plaintext: p.plaintext,
  });
  return { v: ENVELOPE_VERSION, suite: ENVELOPE_SUITE, enc: b64NoPad(enc), ct: b64NoPad(ct), aad };
}

export interface OpenEnvelopeOptions {
  /** This device's key, from importPrivateKey. */
  readonly recipientKey: RecipientKey;
  readonly expectedDeviceId: string;
  /** When given, an envelope for any other session is refused. */
  readonly expectedSessionId?: string;
  /** The clock to judge `exp` by; defaults to the current time. */
  readonly now?: Date;
}

/** Validates and opens an envelope (as parsed from JSON). Returns the whole plaintext or throws. */
export async function openEnvelope(envelope: unknown, o: OpenEnvelopeOptions): Promise<Uint8Array> {
  const env = envelopeValidator.parse(envelope, 'VIW_E_ENVELOPE_INVALID');
  const expMs = parseExp(env.aad.exp);
  // The schema's string lengths plus canonical decoding pin enc to 32 bytes and ct to 17 B..256 KiB.
  const enc = decodeCanonical(env.enc, '/enc');
  const ct = decodeCanonical(env.ct, '/ct');
  const nowMs = (o.now ?? new Date()).getTime();
  if (!Number.isFinite(nowMs))
    throw new ViworksError('VIW_E_INTERNAL', { details: ['now: not a valid date'] });

  // Cheap refusals first. These members are not yet authenticated, but a mismatch is a refusal
  // either way, and a forged match still fails the AEAD below because they are in the AAD.
  if (env.aad.device_id !== o.expectedDeviceId) {
    throw new ViworksError('VIW_E_SEAL_OPEN_FAILED', { details: ['/aad/device_id: not this device'] });
  }
  if (o.expectedSessionId !== undefined && env.aad.session_id !== o.expectedSessionId) {
    throw new ViworksError('VIW_E_SEAL_OPEN_FAILED', {
      details: ['/aad/session_id: not the expected session'],
    });
  }

  // enc, ct and the AAD are public values: nothing here needs wiping except the plaintext.
  const pt = await hpkeOpen({
    recipientKey: o.recipientKey,
    enc,
    info: ENVELOPE_INFO,
    aad: encodeAad(env.aad),
    ct,
  });

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
