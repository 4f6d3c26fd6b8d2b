// Opaque bearer tokens (access tokens, bootstrap grants, admin sessions, bind codes' kin): 256 bits
// from the CSPRNG with a readable prefix. Only SHA-256(token) is stored, so the store never holds a
// usable token; lookup by hash needs no secret comparison.
import { createHash, randomBytes } from 'node:crypto';
import type { KvStore } from '../../kv/kv-store.js';

export type TokenKind = 'at' | 'bg' | 'adm' | 'pw';

export function newToken(kind: TokenKind): string {
  return `viw_${kind}_${randomBytes(32).toString('base64url')}`;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

const TOKEN_RE = /^viw_(at|bg|adm|pw)_[A-Za-z0-9_-]{43}$/;

export function tokenKind(token: string): TokenKind | null {
  const m = TOKEN_RE.exec(token);
  return m ? (m[1] as TokenKind) : null;
}

/** Token → claims (JSON) in the shared store, with the token's lifetime as TTL. */
export class TokenStore<T extends object> {
  constructor(
    private readonly kv: KvStore,
    private readonly kind: TokenKind,
  ) {}

  private key(token: string): string {
    return `tok:${this.kind}:${tokenHash(token)}`;
  }

  async issue(claims: T, ttlMs: number): Promise<string> {
    const token = newToken(this.kind);
    await this.kv.set(this.key(token), JSON.stringify(claims), ttlMs);
    return token;
  }

  async read(token: string): Promise<T | null> {
    if (tokenKind(token) !== this.kind) return null;
    const raw = await this.kv.get(this.key(token));
    return raw === null ? null : (JSON.parse(raw) as T);
  }

  /** One-time use: the first caller gets the claims, every later caller null. */
  async take(token: string): Promise<T | null> {
    if (tokenKind(token) !== this.kind) return null;
    const raw = await this.kv.take(this.key(token));
    return raw === null ? null : (JSON.parse(raw) as T);
  }

  /** Sliding expiry: gives a live token a new lifetime; false when it is gone already. */
  async touch(token: string, ttlMs: number): Promise<boolean> {
    if (tokenKind(token) !== this.kind) return false;
    const raw = await this.kv.get(this.key(token));
    if (raw === null) return false;
    await this.kv.set(this.key(token), raw, ttlMs);
    return true;
  }

  async revoke(token: string): Promise<void> {
    await this.kv.del(this.key(token));
  }
}
