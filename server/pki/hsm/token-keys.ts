// ECDSA P-256 key pairs inside the token, found by label. Made with C_GenerateKeyPair in the token
// (CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE true; CKA_EXTRACTABLE false), and the attributes are read
// back after generation: a token that ignored them gets its key destroyed and a refusal, never a
// silently exportable CA key. Callers hold the TokenLock around every method.
import { webcrypto } from 'node:crypto';
import * as graphene from 'graphene-pk11';
import { type Crypto as P11Crypto, CryptoKey as P11CryptoKey } from 'node-webcrypto-p11';
import { ViworksError } from '../../../core/errors/viworks-error.js';

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** What the token says about a private key (C_GetAttributeValue), for `describe()` and tests. */
export interface TokenKeyAttributes {
  readonly label: string;
  readonly token: boolean;
  readonly private: boolean;
  readonly sensitive: boolean;
  readonly extractable: boolean;
  readonly alwaysSensitive: boolean;
  readonly neverExtractable: boolean;
  /** Generated inside the token (CKA_LOCAL). */
  readonly local: boolean;
}

/** A token key pair: the private key stays in the token; the public key is Node's (no token needed). */
export interface TokenKeyPair extends CryptoKeyPair {
  readonly spki: Buffer;
}

const keystore = (message: string, details: string[] = []) =>
  new ViworksError('VIW_E_KEYSTORE', { message, details });

export function nonExportable(a: TokenKeyAttributes): boolean {
  return a.token && a.private && a.sensitive && !a.extractable && a.alwaysSensitive && a.neverExtractable;
}

export class TokenKeys {
  constructor(
    private readonly crypto: P11Crypto,
    private readonly session: graphene.Session,
  ) {}

  private findOne(objectClass: graphene.ObjectClass, label: string): graphene.SessionObject | null {
    const found = this.session.find({ class: objectClass, label, token: true });
    if (found.length > 1) throw keystore('The PKCS#11 token holds two keys with one label', [label]);
    return found.length === 1 ? found.items(0) : null;
  }

  /** Labels of the private keys whose label starts with `prefix`. */
  labels(prefix: string): string[] {
    const out: string[] = [];
    this.session.find({ class: graphene.ObjectClass.PRIVATE_KEY, token: true }, (obj) => {
      const label = obj.toType<graphene.PrivateKey>().label;
      if (label.startsWith(prefix)) out.push(label);
    });
    return out.sort();
  }

  attributes(label: string): TokenKeyAttributes | null {
    const obj = this.findOne(graphene.ObjectClass.PRIVATE_KEY, label);
    if (!obj) return null;
    const a = obj.getAttribute({
      token: null,
      private: null,
      sensitive: null,
      extractable: null,
      alwaysSensitive: null,
      neverExtractable: null,
      local: null,
    }) as Record<string, boolean | undefined>;
    const bool = (v: boolean | undefined) => v === true;
    return {
      label,
      token: bool(a.token),
      private: bool(a.private),
      sensitive: bool(a.sensitive),
      extractable: bool(a.extractable),
      alwaysSensitive: bool(a.alwaysSensitive),
      neverExtractable: bool(a.neverExtractable),
      local: bool(a.local),
    };
  }

  async load(label: string): Promise<TokenKeyPair | null> {
    const priv = this.findOne(graphene.ObjectClass.PRIVATE_KEY, label);
    const pub = this.findOne(graphene.ObjectClass.PUBLIC_KEY, label);
    if (!priv && !pub) return null;
    if (!priv || !pub) throw keystore('A PKCS#11 key pair is incomplete in the token', [label]);
    const privKey = priv.toType<graphene.PrivateKey>();
    const pubKey = pub.toType<graphene.PublicKey>();
    if (privKey.type !== graphene.KeyType.EC || !privKey.id.equals(pubKey.id)) {
      throw keystore('A PKCS#11 key pair in the token is not one ECDSA pair', [label]);
    }
    const privateKey = await this.crypto.keyStorage.getItem(P11CryptoKey.getID(privKey), EC_P256, false, [
      'sign',
    ]);
    const publicP11 = await this.crypto.keyStorage.getItem(P11CryptoKey.getID(pubKey), EC_P256, true, [
      'verify',
    ]);
    // node-webcrypto-p11's key class declares its algorithm more loosely than the DOM type.
    return this.pair(privateKey as unknown as CryptoKey, publicP11 as unknown as CryptoKey);
  }

  async generate(label: string): Promise<TokenKeyPair> {
    if (this.findOne(graphene.ObjectClass.PRIVATE_KEY, label)) {
      throw keystore('A key with this label already exists in the token', [label]);
    }
    const params = { ...EC_P256, token: true, sensitive: true, label };
    const made = (await this.crypto.subtle.generateKey(params, false, ['sign', 'verify'])) as CryptoKeyPair;
    const attributes = this.attributes(label);
    if (!attributes || !nonExportable(attributes)) {
      this.destroy(label);
      throw keystore('The PKCS#11 token did not keep a generated key non-exportable', [label]);
    }
    return this.pair(made.privateKey, made.publicKey);
  }

  relabel(from: string, to: string): void {
    if (this.findOne(graphene.ObjectClass.PRIVATE_KEY, to)) {
      throw keystore('A key with this label already exists in the token', [to]);
    }
    for (const objectClass of [graphene.ObjectClass.PRIVATE_KEY, graphene.ObjectClass.PUBLIC_KEY]) {
      const obj = this.findOne(objectClass, from);
      if (obj) obj.toType<graphene.Key>().label = to;
    }
  }

  destroy(label: string): void {
    for (const objectClass of [graphene.ObjectClass.PRIVATE_KEY, graphene.ObjectClass.PUBLIC_KEY]) {
      this.findOne(objectClass, label)?.destroy();
    }
  }

  /** The token's private key with the public half moved to Node's WebCrypto. */
  private async pair(privateKey: CryptoKey, tokenPublicKey: CryptoKey): Promise<TokenKeyPair> {
    const spki = Buffer.from(await this.crypto.subtle.exportKey('spki', tokenPublicKey));
    const publicKey = (await webcrypto.subtle.importKey('spki', spki, EC_P256, true, [
      'verify',
    ])) as unknown as CryptoKey;
    return { privateKey, publicKey, spki };
  }
}
