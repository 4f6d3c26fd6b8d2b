// Types and wire constants of the fwknop Single Packet Authorization packet (Rijndael + HMAC mode),
// as accepted by fwknopd 2.6.x. Facts: the team notes "fwknop-spa.md" (libfko/fwknopd sources).

/** fwknop message types (plaintext field 5). ViWorkS never sends COMMAND (0); the decoder refuses it. */
export const SpaMessageType = {
  ACCESS: 1,
  NAT_ACCESS: 2,
  CLIENT_TIMEOUT_ACCESS: 3,
  CLIENT_TIMEOUT_NAT_ACCESS: 4,
  LOCAL_NAT_ACCESS: 5,
  CLIENT_TIMEOUT_LOCAL_NAT_ACCESS: 6,
} as const;
export type SpaMessageType = (typeof SpaMessageType)[keyof typeof SpaMessageType];

export type SpaProto = 'tcp' | 'udp';

export interface SpaAccessPort {
  readonly proto: SpaProto;
  readonly port: number;
}

/** NAT access request (`host,port`). `local` selects LOCAL_NAT_ACCESS (forward on the gateway itself). */
export interface SpaNatAccess {
  readonly host: string;
  readonly port: number;
  readonly local?: boolean;
}

/** Digest algorithms fwknopd infers from the digest's base64 length. */
export type SpaDigestType = 'md5' | 'sha1' | 'sha256' | 'sha384' | 'sha512';
/** HMAC algorithms fwknopd can be configured with (HMAC_DIGEST_TYPE); ViWorkS sends sha256. */
export type SpaHmacType = SpaDigestType;

/** Length of the unpadded base64 of each digest: how fwknopd tells them apart. */
export const B64_DIGEST_LEN: Readonly<Record<SpaDigestType, number>> = {
  md5: 22,
  sha1: 27,
  sha256: 43,
  sha384: 64,
  sha512: 86,
};

/** Everything a decoded (authenticated, decrypted, parsed) packet says. */
export interface DecodedSpa {
  /** 16 decimal digits. */
  readonly random: string;
  readonly username: string;
  /** Unix seconds chosen by the sender. */
  readonly timestamp: number;
  readonly version: string;
  readonly messageType: SpaMessageType;
  readonly accessIp: string;
  readonly accessPorts: readonly SpaAccessPort[];
  readonly nat?: SpaNatAccess;
  readonly serverAuth?: string;
  /** Present only when the message type is a CLIENT_TIMEOUT_* one. */
  readonly clientTimeout?: number;
  readonly digestType: SpaDigestType;
  /** The digest field as sent (unpadded base64), already verified. */
  readonly digest: string;
}

export const SPA_VERSION = '3.0.0';
export const SPA_DEFAULT_PORT = 62201;

/**
 * base64("Salted__") begins with these 10 characters; fwknop strips them from the wire and fwknopd
 * refuses packets that still carry them, then puts them back before checking the HMAC.
 */
export const SALTED_B64_PREFIX = 'U2FsdGVkX1';
export const SALTED_MAGIC = 'Salted__';
export const SALT_LEN = 8;

/** fwknopd's bounds: shorter than 140 is noise; 400 or more is taken for GnuPG and ignored by Rijndael. */
export const MIN_PACKET_LEN = 140;
export const MAX_RIJNDAEL_PACKET_LEN = 399;
export const MAX_PACKET_LEN = 1500;

/** libfko limits on the raw keys (after base64 decoding of KEY_BASE64 / HMAC_KEY_BASE64). */
export const MAX_ENC_KEY_LEN = 32;
export const MAX_HMAC_KEY_LEN = 136;

/** The access message (plain text) must stay under 256 characters. */
export const MAX_ACCESS_MSG_LEN = 255;
export const MAX_USERNAME_LEN = 63;
