// The SPA plaintext: `rand:b64(user):ts:version:type:b64(access)[:b64(nat)][:b64(auth)][:timeout]:digest`.
// Building and parsing live together so that one reading of the layout serves both directions.
import { b64Decode, b64NoPad } from '../crypto/bytes.js';
import { b64TextEqual, digestB64, digestTypeForB64Length } from './digest.js';
import {
  isClientTimeout,
  isLocalNatType,
  isNatType,
  isPrintableAscii,
  isServerAuth,
  isTimeoutType,
  isValidUsername,
  parseAccessMessage,
  parseMessageType,
  parseNatAccess,
} from './fields.js';
import type { DecodedSpa, SpaMessageType } from './packet.js';
import { spaInvalid } from './spa-error.js';

/** Already-validated field texts, in wire order (before base64). */
export interface PlaintextFields {
  readonly random: string;
  readonly username: string;
  readonly timestamp: number;
  readonly version: string;
  readonly messageType: SpaMessageType;
  readonly accessMessage: string;
  readonly natAccess?: string;
  readonly serverAuth?: string;
  readonly clientTimeout?: number;
}

const b64Text = (s: string): string => b64NoPad(Buffer.from(s, 'ascii'));

/** Returns `encoded:sha256digest` as bytes; the caller wipes the buffer once it is encrypted. */
export function buildPlaintext(f: PlaintextFields): Buffer {
  const parts = [
    f.random,
    b64Text(f.username),
    String(f.timestamp),
    f.version,
    String(f.messageType),
    b64Text(f.accessMessage),
  ];
  if (f.natAccess !== undefined) parts.push(b64Text(f.natAccess));
  if (f.serverAuth !== undefined) parts.push(b64Text(f.serverAuth));
  if (f.clientTimeout !== undefined) parts.push(String(f.clientTimeout));
  const encoded = parts.join(':');
  return Buffer.from(`${encoded}:${digestB64('sha256', Buffer.from(encoded, 'ascii'))}`, 'ascii');
}

/** Decodes a base64 field whose content must be printable ASCII (fwknop only ever sends that). */
function b64Field(text: string, check: string): string {
  let raw: Buffer;
  try {
    raw = b64Decode(text);
  } catch {
    throw spaInvalid(check);
  }
  const s = raw.toString('latin1');
  raw.fill(0);
  if (s.length === 0 || !isPrintableAscii(s)) throw spaInvalid(check);
  return s;
}

/** Splits off and verifies the trailing digest; returns the field texts before it. */
function verifyDigest(text: string): {
  fields: string[];
  digestType: DecodedSpa['digestType'];
  digest: string;
} {
  const colons = text.split(':').length - 1;
  // fwknopd: 6 to 9 colons in total (the digest's included), printable characters only.
  if (colons < 6 || colons > 9) throw spaInvalid('plaintext.fields');
  const cut = text.lastIndexOf(':');
  const encoded = text.slice(0, cut);
  const digest = text.slice(cut + 1);
  const digestType = digestTypeForB64Length(digest.length);
  if (!digestType) throw spaInvalid('digest.type');
  if (!b64TextEqual(digest, digestB64(digestType, Buffer.from(encoded, 'ascii')))) {
    throw spaInvalid('digest.verify');
  }
  return { fields: encoded.split(':'), digestType, digest };
}

/** Parses and verifies a decrypted plaintext. Throws VIW_E_SPA_INVALID naming the failed check. */
export function parsePlaintext(plain: Uint8Array): DecodedSpa {
  const text = Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength).toString('latin1');
  if (!isPrintableAscii(text)) throw spaInvalid('plaintext.printable');
  const { fields, digestType, digest } = verifyDigest(text);
  const [random, userB64, ts, version, typeText, accessB64, ...rest] = fields;
  if (random === undefined || !/^[0-9]{16}$/.test(random)) throw spaInvalid('field.random');
  const username = b64Field(userB64 ?? '', 'field.username');
  if (!isValidUsername(username)) throw spaInvalid('field.username');
  if (ts === undefined || !/^[0-9]{1,10}$/.test(ts)) throw spaInvalid('field.timestamp');
  if (version === undefined || !/^[0-9]+(?:\.[0-9]+)*$/.test(version) || version.length > 8) {
    throw spaInvalid('field.version');
  }
  const messageType = parseMessageType(typeText ?? '');
  const { accessIp, accessPorts } = parseAccessMessage(b64Field(accessB64 ?? '', 'field.access'));
  const optional = parseOptionalFields(messageType, rest);
  return {
    random,
    username,
    timestamp: Number(ts),
    version,
    messageType,
    accessIp,
    accessPorts,
    ...optional,
    digestType,
    digest,
  };
}

type OptionalFields = Pick<DecodedSpa, 'nat' | 'serverAuth' | 'clientTimeout'>;

/**
 * Fields after the access message, as libfko reads them: NAT access first when the type is a NAT
 * type, the client timeout last when the type is a TIMEOUT type, and at most one server-auth field
 * in between. Anything else is refused.
 */
function parseOptionalFields(type: SpaMessageType, rest: string[]): OptionalFields {
  const out: { -readonly [K in keyof OptionalFields]: OptionalFields[K] } = {};
  const queue = [...rest];
  if (isNatType(type)) {
    const nat = queue.shift();
    if (nat === undefined) throw spaInvalid('field.nat');
    out.nat = parseNatAccess(b64Field(nat, 'field.nat'), isLocalNatType(type));
  }
  if (isTimeoutType(type)) {
    const t = queue.pop();
    if (t === undefined || !/^[0-9]{1,10}$/.test(t) || !isClientTimeout(Number(t))) {
      throw spaInvalid('field.clientTimeout');
    }
    out.clientTimeout = Number(t);
  }
  if (queue.length > 1) throw spaInvalid('plaintext.fields');
  const auth = queue[0];
  if (auth !== undefined) {
    out.serverAuth = b64Field(auth, 'field.serverAuth');
    if (!isServerAuth(out.serverAuth)) throw spaInvalid('field.serverAuth');
  }
  return out;
}
