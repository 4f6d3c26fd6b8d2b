// Reads fwknop-golden-vectors.txt (a verbatim copy of the team's shared vectors, libfko-generated via
// the public fwknop-go project) so tests iterate the file itself instead of hand-copied values.
import { readFileSync } from 'node:fs';
import type { SpaDigestType } from '../packet.js';

export interface GoldenVector {
  readonly name: string;
  readonly randVal: string;
  readonly username: string;
  readonly timestamp: number;
  readonly version: string;
  /** The message type the generator asked for (before a client timeout turns 1 into 3, etc.). */
  readonly msgType: number;
  readonly accessMsg: string;
  readonly natAccess?: string;
  readonly serverAuth?: string;
  readonly clientTimeout?: number;
  readonly digestType: SpaDigestType;
  /** 2 = CBC, 8 = CBC with the legacy (pre-2.5) key/IV scheme. */
  readonly encMode: number;
  readonly hmacType?: SpaDigestType;
  /** Raw ASCII keys, not base64. */
  readonly encKey: string;
  readonly hmacKey?: string;
  readonly encodedData: string;
  readonly digest: string;
  readonly spaData: string;
}

const TYPE_IDS: Readonly<Record<string, SpaDigestType>> = {
  '1': 'md5',
  '2': 'sha1',
  '3': 'sha256',
  '4': 'sha384',
  '5': 'sha512',
};

export const GOLDEN_VECTORS_PATH = new URL('./fwknop-golden-vectors.txt', import.meta.url);

function toVector(name: string, kv: Map<string, string>): GoldenVector {
  const need = (k: string): string => {
    const v = kv.get(k);
    if (v === undefined) throw new Error(`vector ${name}: missing ${k}`);
    return v;
  };
  const typeOf = (k: string): SpaDigestType => {
    const t = TYPE_IDS[need(k)];
    if (!t) throw new Error(`vector ${name}: unknown ${k}`);
    return t;
  };
  const opt = (k: string): string | undefined => kv.get(k);
  const timeout = opt('client_timeout');
  return {
    name,
    randVal: need('rand_val'),
    username: need('username'),
    timestamp: Number(need('timestamp')),
    version: need('version'),
    msgType: Number(need('msg_type')),
    accessMsg: need('access_msg'),
    ...(opt('nat_access') === undefined ? {} : { natAccess: need('nat_access') }),
    ...(opt('server_auth') === undefined ? {} : { serverAuth: need('server_auth') }),
    ...(timeout === undefined ? {} : { clientTimeout: Number(timeout) }),
    digestType: typeOf('digest_type'),
    encMode: Number(need('enc_mode')),
    ...(opt('hmac_type') === undefined ? {} : { hmacType: typeOf('hmac_type'), hmacKey: need('hmac_key') }),
    encKey: need('enc_key'),
    encodedData: need('encoded_data'),
    digest: need('digest'),
    spaData: need('spa_data'),
  };
}

export function parseGoldenVectors(text: string): GoldenVector[] {
  const out: GoldenVector[] = [];
  let name: string | undefined;
  let kv = new Map<string, string>();
  const flush = (): void => {
    if (name !== undefined) out.push(toVector(name, kv));
  };
  for (const line of text.split('\n')) {
    const header = /^--- (\S+) ---$/.exec(line);
    if (header?.[1]) {
      flush();
      name = header[1];
      kv = new Map();
      continue;
    }
    const field = /^([a-z_]+)=(.*)$/.exec(line);
    if (field?.[1] !== undefined && field[2] !== undefined && name !== undefined) kv.set(field[1], field[2]);
  }
  flush();
  return out;
}

export function loadGoldenVectors(): GoldenVector[] {
  return parseGoldenVectors(readFileSync(GOLDEN_VECTORS_PATH, 'utf8'));
}
