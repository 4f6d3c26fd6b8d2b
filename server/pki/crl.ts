// Certificate revocation lists, one per intermediate (docs/architecture.md#revocation-lists): signed by
// the intermediate, CRL Number + Authority Key Identifier, valid 24 h. Regenerated at start, on every
// revocation and on a timer; written to <dataDir>/pki/<int>.crl (PEM) and served by GET /pki/crl/.
// Writes per intermediate are serialized so CRL numbers only ever grow (kept in <int>.crlnumber).
import { join } from 'node:path';
import { readTextIfExists, writePrivateFile } from '../fs/private-files.js';
import type { EmbeddedPki } from './embedded-pki.js';
import { type Issuer, signingCrypto } from './issue.js';
import { SIGNING_ALG } from './keys.js';
import { days, INTERMEDIATES, type IntermediateName } from './profiles.js';
import { x509 } from './x509.js';

export type CrlReasonName = keyof typeof x509.X509CrlReason;

export interface CrlEntry {
  /** Lower-case hex, no separators. */
  readonly serial: string;
  readonly revokedAt: Date;
  readonly reason: CrlReasonName;
}

/** Revoked, not yet expired certificates issued by `issuerSubject` (the publisher's data source). */
export type RevokedSource = (issuerSubject: string, now: Date) => Promise<CrlEntry[]>;

/** CRLs are valid this long; the publisher renews them well before. */
export const CRL_VALIDITY_MS = days(1);

const CRL_NUMBER_OID = '2.5.29.20';

/** DER INTEGER for a non-negative number (the CRL Number extension value). */
function derInteger(n: bigint): Uint8Array {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (Number.parseInt(hex.slice(0, 2), 16) & 0x80) hex = `00${hex}`;
  const body = Buffer.from(hex, 'hex');
  return Uint8Array.from([0x02, body.length, ...body]);
}

export async function buildCrl(
  issuer: Issuer,
  entries: readonly CrlEntry[],
  crlNumber: bigint,
  thisUpdate: Date,
): Promise<string> {
  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: issuer.cert.subjectName,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + CRL_VALIDITY_MS),
      signingAlgorithm: SIGNING_ALG,
      signingKey: issuer.keys.privateKey,
      extensions: [
        new x509.Extension(CRL_NUMBER_OID, false, derInteger(crlNumber)),
        await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey),
      ],
      entries: entries.map((e) => ({
        serialNumber: e.serial,
        revocationDate: e.revokedAt,
        reason: x509.X509CrlReason[e.reason],
      })),
    },
    signingCrypto(issuer),
  );
  // OpenSSL (and everything built on it) reads only the RFC 7468 label `X509 CRL`.
  const b64 = Buffer.from(crl.rawData).toString('base64');
  return `-----BEGIN X509 CRL-----\n${(b64.match(/.{1,64}/g) ?? []).join('\n')}\n-----END X509 CRL-----\n`;
}

export class CrlPublisher {
  private readonly current = new Map<IntermediateName, string>();
  private readonly tails = new Map<IntermediateName, Promise<unknown>>();
  private readonly dir: string;

  constructor(
    private readonly pki: EmbeddedPki,
    dataDir: string,
    private readonly source: RevokedSource,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.dir = join(dataDir, 'pki');
  }

  /** The intermediate whose subject is `issuerSubject`, if it is one of ours. */
  intermediateFor(issuerSubject: string): IntermediateName | undefined {
    return INTERMEDIATES.find((n) => this.pki.intermediates[n].cert.subject === issuerSubject);
  }

  /** The last CRL written for `name` (PEM), if any. */
  pem(name: IntermediateName): string | undefined {
    return this.current.get(name) ?? readTextIfExists(join(this.dir, `${name}.crl`));
  }

  /**
   * Root + intermediates, PEM: what a relying party needs besides a CRL. Replaced intermediates
   * still valid are included, so certificates they issued keep verifying until they expire.
   */
  caBundlePem(): string {
    const previous = INTERMEDIATES.flatMap((n) => this.pki.previous[n]?.toString('pem') ?? []);
    return [
      this.pki.rootPem,
      ...INTERMEDIATES.map((n) => this.pki.intermediates[n].cert.toString('pem')),
      ...previous,
    ]
      .map((p) => `${p.trimEnd()}\n`)
      .join('');
  }

  /** Regenerates and writes one CRL; resolves with its PEM once it is on disk. */
  publish(name: IntermediateName): Promise<string> {
    const next = (this.tails.get(name) ?? Promise.resolve()).then(() => this.write(name));
    this.tails.set(
      name,
      next.catch(() => undefined),
    );
    return next;
  }

  async publishAll(): Promise<void> {
    for (const name of INTERMEDIATES) await this.publish(name);
  }

  private async write(name: IntermediateName): Promise<string> {
    const issuer = this.pki.intermediates[name];
    const now = this.now();
    const numberPath = join(this.dir, `${name}.crlnumber`);
    const last = BigInt((readTextIfExists(numberPath) ?? '0').trim() || '0');
    const number = last + 1n;
    const entries = await this.source(issuer.cert.subject, now);
    const pem = await buildCrl(issuer, entries, number, now);
    writePrivateFile(numberPath, `${number}\n`);
    writePrivateFile(join(this.dir, `${name}.crl`), pem);
    this.current.set(name, pem);
    return pem;
  }
}
