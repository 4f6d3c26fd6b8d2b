// What a request signature covers, with no dependency on Node: the Node signer and verifier
// (request-signing.ts) and the browser signer (web-request-signing.ts) build the same text, so a
// phone app in a browser and the simulator speak one protocol.

export const SIGNATURE_SCHEME = 'viworks-sig-v1';

export const SIG_HEADERS = {
  keyId: 'viworks-key-id',
  timestamp: 'viworks-timestamp',
  nonce: 'viworks-nonce',
  signature: 'viworks-signature',
} as const;

export interface SignedHeaders {
  readonly [SIG_HEADERS.keyId]: string;
  readonly [SIG_HEADERS.timestamp]: string;
  readonly [SIG_HEADERS.nonce]: string;
  readonly [SIG_HEADERS.signature]: string;
}

/** The signed text: scheme, method, path, timestamp, nonce and the body's SHA-256 (lower-case hex). */
export function signingText(
  method: string,
  path: string,
  timestamp: string,
  nonce: string,
  bodySha256Hex: string,
): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(
    `${SIGNATURE_SCHEME}\n${method.toUpperCase()}\n${path}\n${timestamp}\n${nonce}\n${bodySha256Hex}`,
  );
}
