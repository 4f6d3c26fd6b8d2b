// A software WebAuthn authenticator for the phone simulator: it creates a P-256 credential and
// answers `navigator.credentials.create()` the way a managed hardware authenticator does — a
// `packed` attestation signed by an attestation key whose certificate chains to an attestation root
// the organisation configures as trusted (server attestation policy). It also signs assertions
// (user verification asserted) for the OTP step. Nothing here is a development switch: the backend
// trusts it only when its attestation root is configured, like any other authenticator.
//
// Formats: W3C WebAuthn Level 2 §6.1 (authenticator data), §6.5.2 (attested credential data),
// §8.2 (packed attestation, full/x5c); COSE EC2 keys (RFC 9053).
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/** COSE algorithm ES256 and the EC2 key labels. */
const COSE_ES256 = -7;
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export interface AttestationIdentity {
  /** The attestation certificate (DER), then any intermediates up to (not including) the root. */
  readonly x5c: readonly Uint8Array[];
  /** The attestation private key (PKCS#8 PEM). */
  readonly keyPem: string;
  /** The authenticator model (16 bytes); all zeros is allowed but tells the backend nothing. */
  readonly aaguid: Uint8Array;
}

/** What the browser API returns from create(), in the JSON form WebAuthn Level 3 defines. */
export interface RegistrationResponseJSON {
  readonly id: string;
  readonly rawId: string;
  readonly type: 'public-key';
  readonly response: {
    readonly clientDataJSON: string;
    readonly attestationObject: string;
    readonly transports?: string[];
  };
  readonly clientExtensionResults: Record<string, never>;
  readonly authenticatorAttachment?: 'platform';
}

export interface AuthenticationResponseJSON {
  readonly id: string;
  readonly rawId: string;
  readonly type: 'public-key';
  readonly response: {
    readonly clientDataJSON: string;
    readonly authenticatorData: string;
    readonly signature: string;
  };
  readonly clientExtensionResults: Record<string, never>;
}

const b64u = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();

function coseKey(publicKey: KeyObject): Uint8Array {
  const jwk = publicKey.export({ format: 'jwk' });
  const key = new Map<number, number | Uint8Array>([
    [1, 2], // kty: EC2
    [3, COSE_ES256], // alg
    [-1, 1], // crv: P-256
    [-2, Buffer.from(jwk.x ?? '', 'base64url')],
    [-3, Buffer.from(jwk.y ?? '', 'base64url')],
  ]);
  return isoCBOR.encode(key);
}

function authenticatorData(rpId: string, flags: number, counter: number, attested?: Uint8Array): Buffer {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(counter);
  return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
}

/** What the simulator keeps of a credential between runs. */
export interface SavedCredential {
  readonly id: string;
  readonly key_pem: string;
  readonly counter: number;
}

/** One credential on one (simulated) phone. Its private key leaves only to the 0600 state file. */
export class SoftwareAuthenticator {
  private counter = 0;

  private constructor(
    readonly credentialId: Uint8Array,
    private readonly key: KeyObject,
    private readonly attestation: AttestationIdentity | null,
  ) {}

  static create(attestation: AttestationIdentity): SoftwareAuthenticator {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new SoftwareAuthenticator(randomBytes(32), privateKey, attestation);
  }

  /** A credential kept by the simulator between runs (its state file, 0600): assertions only. */
  static restore(saved: SavedCredential): SoftwareAuthenticator {
    const a = new SoftwareAuthenticator(
      new Uint8Array(Buffer.from(saved.id, 'base64url')),
      createPrivateKey(saved.key_pem),
      null,
    );
    a.counter = saved.counter;
    return a;
  }

  save(): SavedCredential {
    return {
      id: b64u(this.credentialId),
      key_pem: this.key.export({ type: 'pkcs8', format: 'pem' }).toString(),
      counter: this.counter,
    };
  }

  /** navigator.credentials.create() with attestation `direct` and user verification done. */
  register(o: {
    rpId: string;
    origin: string;
    challenge: string;
    userVerified?: boolean;
  }): RegistrationResponseJSON {
    const attestation = this.attestation;
    if (!attestation) throw new Error('a restored credential cannot register again');
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: 'webauthn.create',
        challenge: o.challenge,
        origin: o.origin,
        crossOrigin: false,
      }),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const attested = Buffer.concat([
      attestation.aaguid,
      idLength,
      this.credentialId,
      coseKey(createPublicKey(this.key)),
    ]);
    const flags = FLAG_UP | FLAG_AT | (o.userVerified === false ? 0 : FLAG_UV);
    const authData = authenticatorData(o.rpId, flags, this.counter, attested);
    const attestationKey = createPrivateKey(attestation.keyPem);
    const sig = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), attestationKey);
    const attestationObject = isoCBOR.encode(
      new Map<string, unknown>([
        ['fmt', 'packed'],
        [
          'attStmt',
          new Map<string, unknown>([
            ['alg', COSE_ES256],
            ['sig', new Uint8Array(sig)],
            ['x5c', attestation.x5c.map((c) => new Uint8Array(c))],
          ]),
        ],
        ['authData', new Uint8Array(authData)],
      ]) as Parameters<typeof isoCBOR.encode>[0],
    );
    return {
      id: b64u(this.credentialId),
      rawId: b64u(this.credentialId),
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        attestationObject: b64u(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /** navigator.credentials.get() with user verification done: an assertion over the challenge. */
  authenticate(o: { rpId: string; origin: string; challenge: string }): AuthenticationResponseJSON {
    this.counter++;
    const clientDataJSON = Buffer.from(
      JSON.stringify({ type: 'webauthn.get', challenge: o.challenge, origin: o.origin, crossOrigin: false }),
    );
    const authData = authenticatorData(o.rpId, FLAG_UP | FLAG_UV, this.counter);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), this.key);
    return {
      id: b64u(this.credentialId),
      rawId: b64u(this.credentialId),
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientDataJSON),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
      },
      clientExtensionResults: {},
    };
  }
}

/**
 * The attestation identity of a managed authenticator model, as a file the simulator reads:
 * `{"v":1,"x5c":["<base64 DER>",…],"key_pem":"-----BEGIN PRIVATE KEY-----…","aaguid":"<32 hex>"}`
 * (0600: it holds the attestation private key). The lab writes one under its attestation root.
 */
export function attestationIdentityFrom(text: string): AttestationIdentity {
  const v = JSON.parse(text) as { v?: unknown; x5c?: unknown; key_pem?: unknown; aaguid?: unknown };
  if (
    v.v !== 1 ||
    !Array.isArray(v.x5c) ||
    v.x5c.length === 0 ||
    !v.x5c.every((c) => typeof c === 'string' && /^[A-Za-z0-9+/=]+$/.test(c)) ||
    typeof v.key_pem !== 'string' ||
    typeof v.aaguid !== 'string' ||
    !/^[0-9a-f]{32}$/.test(v.aaguid)
  ) {
    throw new Error('not an attestation identity file (v, x5c, key_pem, aaguid)');
  }
  return {
    x5c: (v.x5c as string[]).map((c) => new Uint8Array(Buffer.from(c, 'base64'))),
    keyPem: v.key_pem,
    aaguid: new Uint8Array(Buffer.from(v.aaguid, 'hex')),
  };
}
