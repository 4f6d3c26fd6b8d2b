import { randomBytes, randomInt } from 'node:crypto';
import { wipe } from '../crypto/bytes.js';
import { encryptSalted } from './cipher.js';
import { hmacB64 } from './digest.js';
import {
  formatAccessMessage,
  formatNatAccess,
  isClientTimeout,
  isServerAuth,
  isValidUsername,
  messageTypeFor,
} from './fields.js';
import {
  MAX_ENC_KEY_LEN,
  MAX_HMAC_KEY_LEN,
  MAX_RIJNDAEL_PACKET_LEN,
  MIN_PACKET_LEN,
  SALT_LEN,
  SALTED_B64_PREFIX,
  SPA_VERSION,
  type SpaAccessPort,
  type SpaNatAccess,
} from './packet.js';
import { buildPlaintext } from './plaintext.js';
import { spaInvalid } from './spa-error.js';

export interface EncodeSpaInput {
  /** Raw Rijndael key (the bytes of KEY_BASE64), 1–32 bytes. */
  readonly encKey: Uint8Array;
  /** Raw HMAC-SHA256 key (the bytes of HMAC_KEY_BASE64), 1–136 bytes, different from encKey. */
  readonly hmacKey: Uint8Array;
  readonly username: string;
  /** The client's real source IPv4 address; fwknopd opens the firewall for this address. */
  readonly accessIp: string;
  readonly accessPorts: readonly SpaAccessPort[];
  /** Seconds the gateway should keep the rule; > 0 turns ACCESS into CLIENT_TIMEOUT_ACCESS, 0 = none. */
  readonly clientTimeout?: number;
  readonly nat?: SpaNatAccess;
  readonly serverAuth?: string;
  /** Unix seconds; defaults to now. fwknopd refuses packets more than MAX_SPA_PACKET_AGE off. */
  readonly timestamp?: number;
}

/**
 * Per-packet randomness. Only tests pass it (to reproduce libfko's vectors byte for byte); this is
 * why it is a separate export from a separate function and not an option of `encodeSpa`.
 */
export interface SpaEntropy {
  /** 16 decimal digits. */
  readonly random: string;
  /** 8 bytes. */
  readonly salt: Uint8Array;
}

/** 16 uniformly random decimal digits from the CSPRNG (randomInt rejects modulo bias). */
export function freshRandomValue(): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += String(randomInt(10));
  return s;
}

/** Builds one fwknop-compatible SPA packet (Rijndael + HMAC-SHA256) as the wire string. */
export function encodeSpa(input: EncodeSpaInput): string {
  const salt = randomBytes(SALT_LEN);
  return encodeSpaWithEntropy(input, { random: freshRandomValue(), salt });
}

function checkInput(input: EncodeSpaInput): void {
  const { encKey, hmacKey } = input;
  if (!(encKey instanceof Uint8Array) || encKey.length < 1 || encKey.length > MAX_ENC_KEY_LEN) {
    throw spaInvalid('input.encKey');
  }
  if (!(hmacKey instanceof Uint8Array) || hmacKey.length < 1 || hmacKey.length > MAX_HMAC_KEY_LEN) {
    throw spaInvalid('input.hmacKey');
  }
  // fwknopd refuses a stanza whose two keys are identical; one key for both jobs is a design error.
  // A view, not a copy: no extra, unwiped buffer of key material.
  const encView = Buffer.from(encKey.buffer, encKey.byteOffset, encKey.byteLength);
  if (encView.equals(hmacKey)) throw spaInvalid('input.keysIdentical');
  if (!isValidUsername(input.username)) throw spaInvalid('input.username');
  // 0.0.0.0 means "whatever source the packet came from"; fwknopd's REQUIRE_SOURCE_ADDRESS refuses it
  // and ViWorkS always names the address to open.
  if (input.accessIp === '0.0.0.0') throw spaInvalid('input.accessIp');
  const ct = input.clientTimeout;
  if (ct !== undefined && ct !== 0 && !isClientTimeout(ct)) {
    throw spaInvalid('input.clientTimeout');
  }
  if (input.serverAuth !== undefined && !isServerAuth(input.serverAuth)) throw spaInvalid('input.serverAuth');
  const ts = input.timestamp;
  if (ts !== undefined && !(Number.isInteger(ts) && ts > 0 && ts <= 9_999_999_999)) {
    throw spaInvalid('input.timestamp');
  }
}

/** `encodeSpa` with caller-chosen randomness. For reproducible tests only; never reuse a salt. */
export function encodeSpaWithEntropy(input: EncodeSpaInput, entropy: SpaEntropy): string {
  checkInput(input);
  if (!/^[0-9]{16}$/.test(entropy.random)) throw spaInvalid('input.random');
  if (entropy.salt.length !== SALT_LEN) throw spaInvalid('input.salt');
  const accessMessage = formatAccessMessage(input.accessIp, input.accessPorts);
  const natAccess = input.nat === undefined ? undefined : formatNatAccess(input.nat);
  // As in libfko, a client timeout of 0 means "none" (plain ACCESS, no timeout field).
  const clientTimeout = input.clientTimeout === 0 ? undefined : input.clientTimeout;
  const plain = buildPlaintext({
    random: entropy.random,
    username: input.username,
    timestamp: input.timestamp ?? Math.floor(Date.now() / 1000),
    version: SPA_VERSION,
    messageType: messageTypeFor(input.nat, clientTimeout !== undefined),
    accessMessage,
    ...(natAccess === undefined ? {} : { natAccess }),
    ...(input.serverAuth === undefined ? {} : { serverAuth: input.serverAuth }),
    ...(clientTimeout === undefined ? {} : { clientTimeout }),
  });
  let salted: string;
  try {
    salted = encryptSalted(plain, input.encKey, entropy.salt);
  } finally {
    wipe(plain);
  }
  const packet = salted.slice(SALTED_B64_PREFIX.length) + hmacB64('sha256', input.hmacKey, salted);
  // fwknopd takes 400+ characters for GnuPG and ignores them in Rijndael stanzas: never send one.
  if (packet.length > MAX_RIJNDAEL_PACKET_LEN || packet.length < MIN_PACKET_LEN) {
    throw spaInvalid('packet.length');
  }
  return packet;
}
