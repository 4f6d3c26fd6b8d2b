// RFC 9180 Appendix A.3 (DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM) and A.5 (the same KEM
// and KDF with ChaCha20Poly1305), base mode, hex: the TPM device suite's test vectors. Transcribed by a
// script from the CFRG HPKE draft repository (cfrg/draft-irtf-cfrg-hpke, draft-irtf-cfrg-hpke.md,
// whose A.2 section matches /work/shared/vectors/rfc9180-x25519-sha256-chacha20poly1305.json byte for
// byte). A.3 checks the KEM alone (its AEAD is not ours); A.5 is the suite the envelope uses. Only the
// first two encryptions are kept. Data only.

export interface P256Vector {
  readonly mode: 0;
  readonly kem_id: 16;
  readonly kdf_id: 1;
  readonly aead_id: 1 | 3;
  readonly info: string;
  readonly ikmE: string;
  readonly pkEm: string;
  readonly skEm: string;
  readonly ikmR: string;
  readonly pkRm: string;
  readonly skRm: string;
  readonly enc: string;
  readonly shared_secret: string;
  readonly key: string;
  readonly base_nonce: string;
  readonly encryptions: ReadonlyArray<{ seq: number; pt: string; aad: string; nonce: string; ct: string }>;
}

/** A.3: AES-128-GCM. */
export const RFC9180_A3_BASE: P256Vector = {
  mode: 0,
  kem_id: 16,
  kdf_id: 1,
  aead_id: 1,
  info: '4f6465206f6e2061204772656369616e2055726e',
  ikmE: '4270e54ffd08d79d5928020af4686d8f6b7d35dbe470265f1f5aa22816ce860e',
  pkEm: '04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4',
  skEm: '4995788ef4b9d6132b249ce59a77281493eb39af373d236a1fe415cb0c2d7beb',
  ikmR: '668b37171f1072f3cf12ea8a236a45df23fc13b82af3609ad1e354f6ef817550',
  pkRm: '04fe8c19ce0905191ebc298a9245792531f26f0cece2460639e8bc39cb7f706a826a779b4cf969b8a0e539c7f62fb3d30ad6aa8f80e30f1d128aafd68a2ce72ea0',
  skRm: 'f3ce7fdae57e1a310d87f1ebbde6f328be0a99cdbcadf4d6589cf29de4b8ffd2',
  enc: '04a92719c6195d5085104f469a8b9814d5838ff72b60501e2c4466e5e67b325ac98536d7b61a1af4b78e5b7f951c0900be863c403ce65c9bfcb9382657222d18c4',
  shared_secret: 'c0d26aeab536609a572b07695d933b589dcf363ff9d93c93adea537aeabb8cb8',
  key: '868c066ef58aae6dc589b6cfdd18f97e',
  base_nonce: '4e0bc5018beba4bf004cca59',
  encryptions: [
    {
      seq: 0,
      pt: '4265617574792069732074727574682c20747275746820626561757479',
      aad: '436f756e742d30',
      nonce: '4e0bc5018beba4bf004cca59',
      ct: '5ad590bb8baa577f8619db35a36311226a896e7342a6d836d8b7bcd2f20b6c7f9076ac232e3ab2523f39513434',
    },
    {
      seq: 1,
      pt: '4265617574792069732074727574682c20747275746820626561757479',
      aad: '436f756e742d31',
      nonce: '4e0bc5018beba4bf004cca58',
      ct: 'fa6f037b47fc21826b610172ca9637e82d6e5801eb31cbd3748271affd4ecb06646e0329cbdf3c3cd655b28e82',
    },
  ],
};

/** A.5: ChaCha20Poly1305. */
export const RFC9180_A5_BASE: P256Vector = {
  mode: 0,
  kem_id: 16,
  kdf_id: 1,
  aead_id: 3,
  info: '4f6465206f6e2061204772656369616e2055726e',
  ikmE: 'f1f1a3bc95416871539ecb51c3a8f0cf608afb40fbbe305c0a72819d35c33f1f',
  pkEm: '04c07836a0206e04e31d8ae99bfd549380b072a1b1b82e563c935c095827824fc1559eac6fb9e3c70cd3193968994e7fe9781aa103f5b50e934b5b2f387e381291',
  skEm: '7550253e1147aae48839c1f8af80d2770fb7a4c763afe7d0afa7e0f42a5b3689',
  ikmR: '61092f3f56994dd424405899154a9918353e3e008171517ad576b900ddb275e7',
  pkRm: '04a697bffde9405c992883c5c439d6cc358170b51af72812333b015621dc0f40bad9bb726f68a5c013806a790ec716ab8669f84f6b694596c2987cf35baba2a006',
  skRm: 'a4d1c55836aa30f9b3fbb6ac98d338c877c2867dd3a77396d13f68d3ab150d3b',
  enc: '04c07836a0206e04e31d8ae99bfd549380b072a1b1b82e563c935c095827824fc1559eac6fb9e3c70cd3193968994e7fe9781aa103f5b50e934b5b2f387e381291',
  shared_secret: '806520f82ef0b03c823b7fc524b6b55a088f566b9751b89551c170f4113bd850',
  key: 'a8f45490a92a3b04d1dbf6cf2c3939ad8bfc9bfcb97c04bffe116730c9dfe3fc',
  base_nonce: '726b4390ed2209809f58c693',
  encryptions: [
    {
      seq: 0,
      pt: '4265617574792069732074727574682c20747275746820626561757479',
      aad: '436f756e742d30',
      nonce: '726b4390ed2209809f58c693',
      ct: '6469c41c5c81d3aa85432531ecf6460ec945bde1eb428cb2fedf7a29f5a685b4ccb0d057f03ea2952a27bb458b',
    },
    {
      seq: 1,
      pt: '4265617574792069732074727574682c20747275746820626561757479',
      aad: '436f756e742d31',
      nonce: '726b4390ed2209809f58c692',
      ct: 'f1564199f7e0e110ec9c1bcdde332177fc35c1adf6e57f8d1df24022227ffa8716862dbda2b1dc546c9d114374',
    },
  ],
};
