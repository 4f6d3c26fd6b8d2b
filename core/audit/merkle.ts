// The Merkle tree of a sealed audit batch: RFC 6962 §2.1 (as kept by RFC 9162), the tree Certificate
// Transparency logs use, so auditors can check our roots and proofs with any CT library. Leaves and
// interior nodes are hashed with different prefixes (0x00 / 0x01), so a leaf can never pass for a
// node; the tree is split at the largest power of two below n, so every tree size has one shape.
import { createHash } from 'node:crypto';

export const HASH_BYTES = 32;

/** MTH({}) = SHA-256 of the empty string. */
export const EMPTY_ROOT = createHash('sha256').digest();

/** MTH({d}) = SHA-256(0x00 ‖ d). */
export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.of(0)).update(data).digest();
}

/** SHA-256(0x01 ‖ left ‖ right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.of(1)).update(left).update(right).digest();
}

/** The largest power of two strictly below n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over leaves[from, to), given as leaf hashes. */
function subtreeRoot(leaves: readonly Uint8Array[], from: number, to: number): Buffer {
  const n = to - from;
  if (n === 1) return Buffer.from(leaves[from]!);
  const k = splitPoint(n);
  return nodeHash(subtreeRoot(leaves, from, from + k), subtreeRoot(leaves, from + k, to));
}

/** The Merkle Tree Hash of a list of leaf hashes (RFC 6962 §2.1). */
export function merkleRoot(leafHashes: readonly Uint8Array[]): Buffer {
  return leafHashes.length === 0 ? Buffer.from(EMPTY_ROOT) : subtreeRoot(leafHashes, 0, leafHashes.length);
}

/**
 * The audit path of leaf `index` (RFC 6962 §2.1.1): the sibling hashes from the leaf up to the root.
 * Throws RangeError when index is outside the tree.
 */
export function inclusionProof(leafHashes: readonly Uint8Array[], index: number): Buffer[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= leafHashes.length)
    throw new RangeError('leaf index outside the tree');
  const path: Buffer[] = [];
  // PATH(m, D[from:to]) recurses into the half holding m; the other half's root is the sibling.
  const walk = (m: number, from: number, to: number): void => {
    const n = to - from;
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, from, from + k);
      path.push(subtreeRoot(leafHashes, from + k, to));
    } else {
      walk(m - k, from + k, to);
      path.push(subtreeRoot(leafHashes, from, from + k));
    }
  };
  walk(index, 0, leafHashes.length);
  return path;
}

/**
 * The root an audit path leads to (RFC 9162 §2.1.3.2), or null when the path cannot belong to a
 * tree of that size (wrong length, index out of range, a node of the wrong size).
 */
export function rootFromInclusionProof(
  index: number,
  treeSize: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
): Buffer | null {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(treeSize) || index < 0 || index >= treeSize)
    return null;
  if (leaf.length !== HASH_BYTES || proof.some((p) => p.length !== HASH_BYTES)) return null;
  // Plain numbers are exact up to 2^53; shifts are written as division so they stay exact past 2^31.
  let fn = index;
  let sn = treeSize - 1;
  let r: Buffer = Buffer.from(leaf);
  const half = (x: number) => Math.floor(x / 2);
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 ? r : null;
}

/** True when `proof` shows `leaf` at `index` in the tree of `treeSize` leaves with this root. */
export function verifyInclusion(
  index: number,
  treeSize: number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  const computed = rootFromInclusionProof(index, treeSize, leaf, proof);
  return computed !== null && root.length === HASH_BYTES && computed.equals(root);
}
