// A structural DER check that a blob is an X.509 CertificateList (RFC 5280 §5.1), without a crypto
// library: SEQUENCE { tbsCertList SEQUENCE { [version INTEGER], signature SEQUENCE, issuer SEQUENCE,
// thisUpdate UTCTime|GeneralizedTime, … }, signatureAlgorithm SEQUENCE, signatureValue BIT STRING }.
// A certificate fails at thisUpdate (its fourth field is the validity SEQUENCE), and so does any
// other PEM body. The signature is not checked here: the daemons check it against the CA.

interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly end: number;
}

function readTlv(buf: Uint8Array, pos: number, limit: number): Tlv | undefined {
  if (pos + 2 > limit) return undefined;
  const tag = buf[pos] ?? -1;
  let len = buf[pos + 1] ?? 0;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (buf[start + i] ?? 0);
    start += n;
  }
  const end = start + len;
  return end <= limit ? { tag, start, end } : undefined;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

export function isCrlDer(der: Uint8Array): boolean {
  const outer = readTlv(der, 0, der.length);
  if (!outer || outer.tag !== SEQUENCE || outer.end !== der.length) return false;
  const tbs = readTlv(der, outer.start, outer.end);
  if (!tbs || tbs.tag !== SEQUENCE) return false;
  const sigAlg = readTlv(der, tbs.end, outer.end);
  const sig = sigAlg && readTlv(der, sigAlg.end, outer.end);
  if (!sigAlg || sigAlg.tag !== SEQUENCE || !sig || sig.tag !== BIT_STRING || sig.end !== outer.end)
    return false;
  let field = readTlv(der, tbs.start, tbs.end);
  if (field?.tag === INTEGER) field = readTlv(der, field.end, tbs.end);
  if (!field || field.tag !== SEQUENCE) return false; // signature
  const issuer = readTlv(der, field.end, tbs.end);
  if (!issuer || issuer.tag !== SEQUENCE) return false;
  const thisUpdate = readTlv(der, issuer.end, tbs.end);
  return thisUpdate?.tag === UTC_TIME || thisUpdate?.tag === GENERALIZED_TIME;
}
