// Synthetic ClientHellos for tests: any cipher list, extensions and ALPN, as one handshake message
// or cut into TLS records of chosen sizes. Only for tests: real clients come from client-hello-vectors.

export interface HelloSpec {
  readonly legacyVersion?: number;
  readonly cipherSuites?: readonly number[];
  /** Extensions in wire order: a type and its raw data (see the helpers below). Null: no block at all. */
  readonly extensions?: ReadonlyArray<readonly [number, Uint8Array]> | null;
  readonly sessionIdLength?: number;
}

const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff];
const vec8 = (bytes: ArrayLike<number>) => [bytes.length, ...Array.from(bytes)];
const vec16 = (bytes: ArrayLike<number>) => [...u16(bytes.length), ...Array.from(bytes)];
const u16s = (values: readonly number[]) => values.flatMap(u16);

/** The handshake message: type 1, 24-bit length, body. */
export function clientHelloMessage(spec: HelloSpec = {}): Uint8Array {
  const body = [
    ...u16(spec.legacyVersion ?? 0x0303),
    ...new Array<number>(32).fill(7),
    ...vec8(new Array<number>(spec.sessionIdLength ?? 32).fill(9)),
    ...vec16(u16s(spec.cipherSuites ?? [0x1302, 0x1303])),
    ...vec8([0]),
  ];
  if (spec.extensions !== null) {
    const block = (spec.extensions ?? []).flatMap(([type, data]) => [...u16(type), ...vec16(data)]);
    body.push(...vec16(block));
  }
  return Uint8Array.from([1, (body.length >> 16) & 0xff, ...u16(body.length & 0xffff), ...body]);
}

/** The message cut into handshake records of at most `sizes[i]` bytes each (the last size repeats). */
export function inRecords(message: Uint8Array, sizes: readonly number[] = [16384]): Uint8Array {
  const out: number[] = [];
  let at = 0;
  for (let i = 0; at < message.length; i++) {
    const size = Math.min(sizes[Math.min(i, sizes.length - 1)]!, message.length - at);
    out.push(22, 3, 1, ...u16(size), ...message.subarray(at, at + size));
    at += size;
  }
  return Uint8Array.from(out);
}

export const ext = {
  serverName: (host: string): readonly [number, Uint8Array] => {
    const name = [0, ...vec16(Buffer.from(host, 'ascii'))];
    return [0x0000, Uint8Array.from(vec16(name))];
  },
  supportedGroups: (groups: readonly number[]): readonly [number, Uint8Array] => [
    0x000a,
    Uint8Array.from(vec16(u16s(groups))),
  ],
  ecPointFormats: (formats: readonly number[]): readonly [number, Uint8Array] => [
    0x000b,
    Uint8Array.from(vec8(formats)),
  ],
  signatureAlgorithms: (algs: readonly number[]): readonly [number, Uint8Array] => [
    0x000d,
    Uint8Array.from(vec16(u16s(algs))),
  ],
  alpn: (...protocols: ReadonlyArray<ArrayLike<number> | string>): readonly [number, Uint8Array] => [
    0x0010,
    Uint8Array.from(
      vec16(protocols.flatMap((p) => vec8(typeof p === 'string' ? Buffer.from(p, 'latin1') : Array.from(p)))),
    ),
  ],
  supportedVersions: (versions: readonly number[]): readonly [number, Uint8Array] => [
    0x002b,
    Uint8Array.from(vec8(u16s(versions))),
  ],
  /** Any other extension: only its type matters to the fingerprints. */
  other: (type: number, data: ArrayLike<number> = []): readonly [number, Uint8Array] => [
    type,
    Uint8Array.from(data),
  ],
};
