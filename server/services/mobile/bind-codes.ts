// One-time phone bind codes: issued by an admin (or shown to a user after a password login), typed
// into the phone app once. 10 characters from an unambiguous alphabet, 10 minutes, single use;
// stored only as a hash in the shared store.
import { createHash, randomInt } from 'node:crypto';
import type { KvStore } from '../../kv/kv-store.js';

export const BIND_CODE_TTL_MS = 10 * 60_000;
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const BIND_CODE_RE = /^[A-HJ-KM-NP-Z2-9]{10}$/;

export interface BindCodeClaims {
  readonly userId: string;
  readonly issuedBy: string;
}

/** A code as typed (spaces, hyphens, lower case allowed) in its one canonical form. */
export const normalizeBindCode = (code: string) => code.replace(/[\s-]/g, '').toUpperCase();

/** Identifies a code in the store and in other keys (the bind challenge) without the code itself. */
export const bindCodeHash = (code: string) =>
  createHash('sha256').update(normalizeBindCode(code)).digest('hex');

const key = (code: string) => `bind:${bindCodeHash(code)}`;

export async function issueBindCode(
  kv: KvStore,
  claims: BindCodeClaims,
): Promise<{ code: string; expiresAt: Date }> {
  let code = '';
  for (let i = 0; i < 10; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  await kv.set(key(code), JSON.stringify(claims), BIND_CODE_TTL_MS);
  return { code, expiresAt: new Date(Date.now() + BIND_CODE_TTL_MS) };
}

/** The claims of a live code without using it up (the WebAuthn options step before the bind). */
export async function peekBindCode(kv: KvStore, code: string): Promise<BindCodeClaims | null> {
  const normalized = normalizeBindCode(code);
  if (!BIND_CODE_RE.test(normalized)) return null;
  const raw = await kv.get(key(normalized));
  return raw === null ? null : (JSON.parse(raw) as BindCodeClaims);
}

/** Redeems a code exactly once; null when unknown, expired or already used. */
export async function redeemBindCode(kv: KvStore, code: string): Promise<BindCodeClaims | null> {
  const normalized = normalizeBindCode(code);
  if (!BIND_CODE_RE.test(normalized)) return null;
  const raw = await kv.take(key(normalized));
  return raw === null ? null : (JSON.parse(raw) as BindCodeClaims);
}
