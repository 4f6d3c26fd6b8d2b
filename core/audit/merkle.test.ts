import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  EMPTY_ROOT,
  inclusionProof,
  leafHash,
  merkleRoot,
  nodeHash,
  rootFromInclusionProof,
  verifyInclusion,
} from './merkle.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Buffer.from(s, 'hex');

// The certificate-transparency test vectors: leaf inputs, the node hashes of every complete subtree
// and the root of every prefix tree, from transparency-dev/merkle testonly/constants.go (LeafInputs,
// NodeHashes, RootHashes; the same values as certificate-transparency-go's merkletree tests), and the
// known-good audit paths from transparency-dev/merkle proof/verify_test.go (inclusionProofs).
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(unhex);
const LEAF_HASHES = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
  '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
  'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
  'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
  '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
];
/** RootHashes()[1..8]: the root of the tree of the first n leaves. */
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
/** inclusionProofs: {leaf (1-based), size, proof}. */
const KNOWN_PATHS = [
  {
    leaf: 1,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    leaf: 6,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { leaf: 3, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    leaf: 2,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

/** Leaf hashes of n distinct leaves, for trees the vectors do not cover. */
const syntheticLeaves = (n: number) =>
  Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf-${i}`, 'utf8')));

/**
 * The damage a valid proof must not survive (the probes of transparency-dev/merkle's
 * corruptInclusionProof, plus single-bit flips anywhere). A proof does not by itself bind the tree
 * size beyond its shape — the signed manifest's count does — so only sizes that change the shape
 * (×2, ÷2) are probed.
 */
function corruptions(index: number, size: number, proof: Buffer[], root: Buffer, leaf: Buffer) {
  const flip = (b: Buffer, bit: number) => {
    const c = Buffer.from(b);
    c[bit >> 3]! ^= 1 << (bit & 7);
    return c;
  };
  const out = [
    { what: 'index - 1', index: index - 1, size, leaf, proof, root },
    { what: 'index + 1', index: index + 1, size, leaf, proof, root },
    { what: 'index ^ 2', index: index ^ 2, size, leaf, proof, root },
    { what: 'size * 2', index, size: size * 2, leaf, proof, root },
    { what: 'size / 2', index, size: Math.floor(size / 2), leaf, proof, root },
    { what: 'wrong leaf', index, size, leaf: leafHash(Buffer.from('wrong')), proof, root },
    { what: 'empty root', index, size, leaf, proof, root: EMPTY_ROOT },
    { what: 'trailing root', index, size, leaf, proof: [...proof, root], root },
    { what: 'preceding root', index, size, leaf, proof: [root, ...proof], root },
    { what: 'leaf bit flipped', index, size, leaf: flip(leaf, 255), proof, root },
    { what: 'root bit flipped', index, size, leaf, proof, root: flip(root, 0) },
  ];
  for (let i = 0; i < proof.length; i++)
    for (const bit of [0, 3, 131, 255]) {
      const damaged = [...proof];
      damaged[i] = flip(proof[i]!, bit);
      out.push({ what: `proof[${i}] bit ${bit} flipped`, index, size, leaf, proof: damaged, root });
    }
  if (proof.length > 0)
    out.push({ what: 'last node removed', index, size, leaf, proof: proof.slice(0, -1), root });
  return out;
}

describe('RFC 6962 Merkle tree', () => {
  it('hashes leaves and nodes with distinct prefixes, and the empty tree as SHA-256("")', () => {
    assert.equal(hex(EMPTY_ROOT), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    assert.equal(hex(merkleRoot([])), hex(createHash('sha256').update('').digest()));
    for (const [i, d] of LEAVES.entries()) assert.equal(hex(leafHash(d)), LEAF_HASHES[i], `leaf ${i}`);
    const a = leafHash(Buffer.from('a'));
    const b = leafHash(Buffer.from('b'));
    assert.equal(
      hex(nodeHash(a, b)),
      hex(
        createHash('sha256')
          .update(Buffer.concat([Buffer.of(1), a, b]))
          .digest(),
      ),
    );
  });

  it('computes the certificate-transparency root of every prefix of the 8 test leaves', () => {
    const hashes = LEAVES.map(leafHash);
    for (let n = 1; n <= 8; n++) assert.equal(hex(merkleRoot(hashes.slice(0, n))), ROOTS[n - 1], `size ${n}`);
  });

  it('produces the known audit paths and they verify', () => {
    const hashes = LEAVES.map(leafHash);
    for (const v of KNOWN_PATHS) {
      const tree = hashes.slice(0, v.size);
      const proof = inclusionProof(tree, v.leaf - 1);
      assert.deepEqual(proof.map(hex), v.proof, `leaf ${v.leaf} of ${v.size}`);
      const root = unhex(ROOTS[v.size - 1]!);
      assert.ok(verifyInclusion(v.leaf - 1, v.size, hashes[v.leaf - 1]!, v.proof.map(unhex), root));
    }
  });

  it('verifies every proof of every leaf of trees of 1..40 leaves, and refuses every corruption', () => {
    let refused = 0;
    for (let n = 1; n <= 40; n++) {
      const leaves = syntheticLeaves(n);
      const root = merkleRoot(leaves);
      for (let i = 0; i < n; i++) {
        const proof = inclusionProof(leaves, i);
        assert.ok(proof.length <= Math.ceil(Math.log2(n)), `path length ${proof.length} in a tree of ${n}`);
        assert.ok(verifyInclusion(i, n, leaves[i]!, proof, root), `leaf ${i} of ${n}`);
        assert.equal(hex(rootFromInclusionProof(i, n, leaves[i]!, proof)!), hex(root));
        for (const c of corruptions(i, n, proof, root, leaves[i]!)) {
          assert.equal(
            verifyInclusion(c.index, c.size, c.leaf, c.proof, c.root),
            false,
            `${c.what}, leaf ${i} of ${n}`,
          );
          refused++;
        }
      }
    }
    assert.ok(refused > 10_000, `${refused} corrupted proofs refused`);
  });

  it('refuses malformed input instead of throwing', () => {
    const leaves = syntheticLeaves(5);
    const root = merkleRoot(leaves);
    const proof = inclusionProof(leaves, 2);
    assert.equal(verifyInclusion(2, 5, leaves[2]!, [...proof.slice(0, 1), Buffer.alloc(31)], root), false);
    assert.equal(verifyInclusion(2, 5, Buffer.alloc(31), proof, root), false);
    assert.equal(verifyInclusion(2, 5, leaves[2]!, proof, Buffer.alloc(31)), false);
    assert.equal(verifyInclusion(-1, 5, leaves[2]!, proof, root), false);
    assert.equal(verifyInclusion(5, 5, leaves[2]!, proof, root), false);
    assert.equal(verifyInclusion(0, 0, leaves[2]!, [], root), false);
    assert.equal(verifyInclusion(2.5, 5, leaves[2]!, proof, root), false);
    assert.equal(
      verifyInclusion(0, 1, leaves[0]!, [], leaves[0]!),
      true,
      'a one-leaf tree: root = leaf hash',
    );
    assert.throws(() => inclusionProof(leaves, 5), RangeError);
    assert.throws(() => inclusionProof([], 0), RangeError);
  });
});
