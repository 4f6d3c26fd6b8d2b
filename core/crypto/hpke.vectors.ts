// RFC 9180 Appendix A.2 test vectors: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305,
// all four modes, hex. Copied from /work/shared/vectors/rfc9180-x25519-sha256-chacha20poly1305.json
// (itself transcribed from the CFRG HPKE draft repository) so the tests need nothing outside the repo.
// Intermediate key-schedule values are kept for base mode only (RFC9180_A2_BASE_SCHEDULE: the one mode
// the open path, hpke-open.ts, implements); the other modes are checked through @hpke/core. Data only.

export interface HpkeVector {
  readonly mode: 0 | 1 | 2 | 3;
  readonly info: string;
  readonly ikmE: string;
  readonly pkEm: string;
  readonly skEm: string;
  readonly ikmR: string;
  readonly pkRm: string;
  readonly skRm: string;
  readonly ikmS?: string;
  readonly pkSm?: string;
  readonly skSm?: string;
  readonly psk?: string;
  readonly psk_id?: string;
  readonly enc: string;
  readonly base_nonce: string;
  readonly encryptions: ReadonlyArray<{ seq: number; pt: string; aad: string; nonce: string; ct: string }>;
  readonly exports: ReadonlyArray<{ context: string; length: number; value: string }>;
}

export const RFC9180_A2: readonly HpkeVector[] = [
  {
    mode: 0,
    info: '4f6465206f6e2061204772656369616e2055726e',
    ikmE: '909a9b35d3dc4713a5e72a4da274b55d3d3821a37e5d099e74a647db583a904b',
    pkEm: '1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a',
    skEm: 'f4ec9b33b792c372c1d2c2063507b684ef925b8c75a42dbcbf57d63ccd381600',
    ikmR: '1ac01f181fdf9f352797655161c58b75c656a6cc2716dcb66372da835542e1df',
    pkRm: '4310ee97d88cc1f088a5576c77ab0cf5c3ac797f3d95139c6c84b5429c59662a',
    skRm: '8057991eef8f1f1af18f4a9491d16a1ce333f695d4db8e38da75975c4478e0fb',
    enc: '1afa08d3dec047a643885163f1180476fa7ddb54c6a8029ea33f95796bf2ac4a',
    base_nonce: '5c4d98150661b848853b547f',
    encryptions: [
      {
        seq: 0,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d30',
        nonce: '5c4d98150661b848853b547f',
        ct: '1c5250d8034ec2b784ba2cfd69dbdb8af406cfe3ff938e131f0def8c8b60b4db21993c62ce81883d2dd1b51a28',
      },
      {
        seq: 1,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d31',
        nonce: '5c4d98150661b848853b547e',
        ct: '6b53c051e4199c518de79594e1c4ab18b96f081549d45ce015be002090bb119e85285337cc95ba5f59992dc98c',
      },
      {
        seq: 2,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d32',
        nonce: '5c4d98150661b848853b547d',
        ct: '71146bd6795ccc9c49ce25dda112a48f202ad220559502cef1f34271e0cb4b02b4f10ecac6f48c32f878fae86b',
      },
      {
        seq: 4,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d34',
        nonce: '5c4d98150661b848853b547b',
        ct: '63357a2aa291f5a4e5f27db6baa2af8cf77427c7c1a909e0b37214dd47db122bb153495ff0b02e9e54a50dbe16',
      },
      {
        seq: 255,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d323535',
        nonce: '5c4d98150661b848853b5480',
        ct: '18ab939d63ddec9f6ac2b60d61d36a7375d2070c9b683861110757062c52b8880a5f6b3936da9cd6c23ef2a95c',
      },
      {
        seq: 256,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d323536',
        nonce: '5c4d98150661b848853b557f',
        ct: '7a4a13e9ef23978e2c520fd4d2e757514ae160cd0cd05e556ef692370ca53076214c0c40d4c728d6ed9e727a5b',
      },
    ],
    exports: [
      { context: '', length: 32, value: '4bbd6243b8bb54cec311fac9df81841b6fd61f56538a775e7c80a9f40160606e' },
      {
        context: '00',
        length: 32,
        value: '8c1df14732580e5501b00f82b10a1647b40713191b7c1240ac80e2b68808ba69',
      },
      {
        context: '54657374436f6e74657874',
        length: 32,
        value: '5acb09211139c43b3090489a9da433e8a30ee7188ba8b0a9a1ccf0c229283e53',
      },
    ],
  },
  {
    mode: 1,
    info: '4f6465206f6e2061204772656369616e2055726e',
    ikmE: '35706a0b09fb26fb45c39c2f5079c709c7cf98e43afa973f14d88ece7e29c2e3',
    pkEm: '2261299c3f40a9afc133b969a97f05e95be2c514e54f3de26cbe5644ac735b04',
    skEm: '0c35fdf49df7aa01cd330049332c40411ebba36e0c718ebc3edf5845795f6321',
    ikmR: '26b923eade72941c8a85b09986cdfa3f1296852261adedc52d58d2930269812b',
    pkRm: '13640af826b722fc04feaa4de2f28fbd5ecc03623b317834e7ff4120dbe73062',
    skRm: '77d114e0212be51cb1d76fa99dd41cfd4d0166b08caa09074430a6c59ef17879',
    psk: '0247fd33b913760fa1fa51e1892d9f307fbe65eb171e8132c2af18555a738b82',
    psk_id: '456e6e796e20447572696e206172616e204d6f726961',
    enc: '2261299c3f40a9afc133b969a97f05e95be2c514e54f3de26cbe5644ac735b04',
    base_nonce: '112e0465562045b7368653e7',
    encryptions: [
      {
        seq: 0,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d30',
        nonce: '112e0465562045b7368653e7',
        ct: '4a177f9c0d6f15cfdf533fb65bf84aecdc6ab16b8b85b4cf65a370e07fc1d78d28fb073214525276f4a89608ff',
      },
      {
        seq: 1,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d31',
        nonce: '112e0465562045b7368653e6',
        ct: '5c3cabae2f0b3e124d8d864c116fd8f20f3f56fda988c3573b40b09997fd6c769e77c8eda6cda4f947f5b704a8',
      },
      {
        seq: 2,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d32',
        nonce: '112e0465562045b7368653e5',
        ct: '14958900b44bdae9cbe5a528bf933c5c990dbb8e282e6e495adf8205d19da9eb270e3a6f1e0613ab7e757962a4',
      },
      {
        seq: 4,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d34',
        nonce: '112e0465562045b7368653e3',
        ct: 'c2a7bc09ddb853cf2effb6e8d058e346f7fe0fb3476528c80db6b698415c5f8c50b68a9a355609e96d2117f8d3',
      },
      {
        seq: 255,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d323535',
        nonce: '112e0465562045b736865318',
        ct: '2414d0788e4bc39a59a26d7bd5d78e111c317d44c37bd5a4c2a1235f2ddc2085c487d406490e75210c958724a7',
      },
      {
        seq: 256,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d323536',
        nonce: '112e0465562045b7368652e7',
        ct: 'c567ae1c3f0f75abe1dd9e4532b422600ed4a6e5b9484dafb1e43ab9f5fd662b28c00e2e81d3cde955dae7e218',
      },
    ],
    exports: [
      { context: '', length: 32, value: '813c1bfc516c99076ae0f466671f0ba5ff244a41699f7b2417e4c59d46d39f40' },
      {
        context: '00',
        length: 32,
        value: '2745cf3d5bb65c333658732954ee7af49eb895ce77f8022873a62a13c94cb4e1',
      },
      {
        context: '54657374436f6e74657874',
        length: 32,
        value: 'ad40e3ae14f21c99bfdebc20ae14ab86f4ca2dc9a4799d200f43a25f99fa78ae',
      },
    ],
  },
  {
    mode: 2,
    info: '4f6465206f6e2061204772656369616e2055726e',
    ikmE: '938d3daa5a8904540bc24f48ae90eed3f4f7f11839560597b55e7c9598c996c0',
    pkEm: 'f7674cc8cd7baa5872d1f33dbaffe3314239f6197ddf5ded1746760bfc847e0e',
    skEm: 'c94619e1af28971c8fa7957192b7e62a71ca2dcdde0a7cc4a8a9e741d600ab13',
    ikmR: '64835d5ee64aa7aad57c6f2e4f758f7696617f8829e70bc9ac7a5ef95d1c756c',
    pkRm: '1a478716d63cb2e16786ee93004486dc151e988b34b475043d3e0175bdb01c44',
    skRm: '3ca22a6d1cda1bb9480949ec5329d3bf0b080ca4c45879c95eddb55c70b80b82',
    ikmS: '9d8f94537d5a3ddef71234c0baedfad4ca6861634d0b94c3007fed557ad17df6',
    pkSm: 'f0f4f9e96c54aeed3f323de8534fffd7e0577e4ce269896716bcb95643c8712b',
    skSm: '2def0cb58ffcf83d1062dd085c8aceca7f4c0c3fd05912d847b61f3e54121f05',
    enc: 'f7674cc8cd7baa5872d1f33dbaffe3314239f6197ddf5ded1746760bfc847e0e',
    base_nonce: 'd20577dff16d7cea2c4bf780',
    encryptions: [
      {
        seq: 0,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d30',
        nonce: 'd20577dff16d7cea2c4bf780',
        ct: 'ab1a13c9d4f01a87ec3440dbd756e2677bd2ecf9df0ce7ed73869b98e00c09be111cb9fdf077347aeb88e61bdf',
      },
      {
        seq: 1,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d31',
        nonce: 'd20577dff16d7cea2c4bf781',
        ct: '3265c7807ffff7fdace21659a2c6ccffee52a26d270c76468ed74202a65478bfaedfff9c2b7634e24f10b71016',
      },
      {
        seq: 2,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d32',
        nonce: 'd20577dff16d7cea2c4bf782',
        ct: '3aadee86ad2a05081ea860033a9d09dbccb4acac2ded0891da40f51d4df19925f7a767b076a5cbc9355c8fd35e',
      },
      {
        seq: 4,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d34',
        nonce: 'd20577dff16d7cea2c4bf784',
        ct: '502ecccd5c2be3506a081809cc58b43b94f77cbe37b8b31712d9e21c9e61aa6946a8e922f54eae630f88eb8033',
      },
      {
        seq: 255,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d323535',
        nonce: 'd20577dff16d7cea2c4bf77f',
        ct: '652e597ba20f3d9241cda61f33937298b1169e6adf72974bbe454297502eb4be132e1c5064702fc165c2ddbde8',
      },
      {
        seq: 256,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d323536',
        nonce: 'd20577dff16d7cea2c4bf680',
        ct: '3be14e8b3bbd1028cf2b7d0a691dbbeff71321e7dec92d3c2cfb30a0994ab246af76168480285a60037b4ba13a',
      },
    ],
    exports: [
      { context: '', length: 32, value: '070cffafd89b67b7f0eeb800235303a223e6ff9d1e774dce8eac585c8688c872' },
      {
        context: '00',
        length: 32,
        value: '2852e728568d40ddb0edde284d36a4359c56558bb2fb8837cd3d92e46a3a14a8',
      },
      {
        context: '54657374436f6e74657874',
        length: 32,
        value: '1df39dc5dd60edcbf5f9ae804e15ada66e885b28ed7929116f768369a3f950ee',
      },
    ],
  },
  {
    mode: 3,
    info: '4f6465206f6e2061204772656369616e2055726e',
    ikmE: '49d6eac8c6c558c953a0a252929a818745bb08cd3d29e15f9f5db5eb2e7d4b84',
    pkEm: '656a2e00dc9990fd189e6e473459392df556e9a2758754a09db3f51179a3fc02',
    skEm: '5e6dd73e82b856339572b7245d3cbb073a7561c0bee52873490e305cbb710410',
    ikmR: 'f3304ddcf15848488271f12b75ecaf72301faabf6ad283654a14c398832eb184',
    pkRm: 'a5099431c35c491ec62ca91df1525d6349cb8aa170c51f9581f8627be6334851',
    skRm: '7b36a42822e75bf3362dfabbe474b3016236408becb83b859a6909e22803cb0c',
    ikmS: '20ade1d5203de1aadfb261c4700b6432e260d0d317be6ebbb8d7fffb1f86ad9d',
    pkSm: '3ac5bd4dd66ff9f2740bef0d6ccb66daa77bff7849d7895182b07fb74d087c45',
    skSm: '90761c5b0a7ef0985ed66687ad708b921d9803d51637c8d1cb72d03ed0f64418',
    psk: '0247fd33b913760fa1fa51e1892d9f307fbe65eb171e8132c2af18555a738b82',
    psk_id: '456e6e796e20447572696e206172616e204d6f726961',
    enc: '656a2e00dc9990fd189e6e473459392df556e9a2758754a09db3f51179a3fc02',
    base_nonce: 'abac79931e8c1bcb8a23960a',
    encryptions: [
      {
        seq: 0,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d30',
        nonce: 'abac79931e8c1bcb8a23960a',
        ct: '9aa52e29274fc6172e38a4461361d2342585d3aeec67fb3b721ecd63f059577c7fe886be0ede01456ebc67d597',
      },
      {
        seq: 1,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d31',
        nonce: 'abac79931e8c1bcb8a23960b',
        ct: '59460bacdbe7a920ef2806a74937d5a691d6d5062d7daafcad7db7e4d8c649adffe575c1889c5c2e3a49af8e3e',
      },
      {
        seq: 2,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d32',
        nonce: 'abac79931e8c1bcb8a239608',
        ct: '5688ff6a03ba26ae936044a5c800f286fb5d1eccdd2a0f268f6ff9773b51169318d1a1466bb36263415071db00',
      },
      {
        seq: 4,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d34',
        nonce: 'abac79931e8c1bcb8a23960e',
        ct: 'd936b7a01f5c7dc4c3dc04e322cc694684ee18dd71719196874e5235aed3cfb06cadcd3bc7da0877488d7c551d',
      },
      {
        seq: 255,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d323535',
        nonce: 'abac79931e8c1bcb8a2396f5',
        ct: '4d4c462f7b9b637eaf1f4e15e325b7bc629c0af6e3073422c86064cc3c98cff87300f054fd56dd57dc34358beb',
      },
      {
        seq: 256,
        pt: '4265617574792069732074727574682c20747275746820626561757479',
        aad: '436f756e742d323536',
        nonce: 'abac79931e8c1bcb8a23970a',
        ct: '9b7f84224922d2a9edd7b2c2057f3bcf3a547f17570575e626202e593bfdd99e9878a1af9e41ded58c7fb77d2f',
      },
    ],
    exports: [
      { context: '', length: 32, value: 'c23ebd4e7a0ad06a5dddf779f65004ce9481069ce0f0e6dd51a04539ddcbd5cd' },
      {
        context: '00',
        length: 32,
        value: 'ed7ff5ca40a3d84561067ebc8e01702bc36cf1eb99d42a92004642b9dfaadd37',
      },
      {
        context: '54657374436f6e74657874',
        length: 32,
        value: 'd3bae066aa8da27d527d85c040f7dd6ccb60221c902ee36a82f70bcd62a60ee4',
      },
    ],
  },
];

/** A.2 base mode (RFC9180_A2[0]): the key schedule's intermediate values. */
export const RFC9180_A2_BASE_SCHEDULE = {
  shared_secret: '0bbe78490412b4bbea4812666f7916932b828bba79942424abb65244930d69a7',
  key_schedule_context:
    '00431df6cd95e11ff49d7013563baf7f11588c75a6611ee2a4404a49306ae4cfc5b69c5718a60cc5876c358d3f7fc31ddb598503f67be58ea1e798c0bb19eb9796',
  secret: '5b9cd775e64b437a2335cf499361b2e0d5e444d5cb41a8a53336d8fe402282c6',
  key: 'ad2744de8e17f4ebba575b3f5f5a8fa1f69c2a07f6e7500bc60ca6e3e3ec1c91',
  base_nonce: '5c4d98150661b848853b547f',
  exporter_secret: 'a3b010d4994890e2c6968a36f64470d3c824c8f5029942feb11e7a74b2921922',
} as const;
