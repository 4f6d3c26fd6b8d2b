// The flags that say which backend to trust — URL, root CA file, two SPKI pins — shared by
// `viworks enroll` and `viworks admin login`, checked before anything is sent (lessons.md: paths
// and key material validated at the edge, with a clear error).

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { AdminClient } from '../../core/backendclient/admin-client.js';
import { PinnedTransport } from '../../core/backendclient/pinned-transport.js';
import { assertPinSet, type PinSet } from '../../core/crypto/pins.js';
import { usageError } from './output.js';

/** Where the backend is and how to recognise it. Not secret; stored beside an admin session. */
export interface BackendTrust {
  readonly backend_url: string;
  readonly ca_pem: string;
  readonly pins: PinSet;
}

/** Admin replies (audit pages) can be larger than the daemon's; the wait is a person's. */
const ADMIN_TRANSPORT = { timeoutMs: 30_000, maxReplyBytes: 4 * 1024 * 1024 } as const;

/** The typed admin client over the one pinned transport (core/backendclient). */
export function adminClientFor(trust: BackendTrust, token: string | null = null): AdminClient {
  const transport = new PinnedTransport(
    { url: trust.backend_url, caPem: trust.ca_pem, pins: trust.pins },
    ADMIN_TRANSPORT,
  );
  return new AdminClient(transport, token);
}

export const trustFlags = {
  backend: Flags.string({ description: 'Backend URL, e.g. https://vpn.example.com:8443', helpValue: 'URL' }),
  ca: Flags.string({ description: 'File with the backend root CA certificate (PEM)', helpValue: 'FILE' }),
  pin: Flags.string({
    description: 'Backend SPKI pin (base64 SHA-256); give it twice: primary, then backup',
    helpValue: 'B64',
    multiple: true,
  }),
};

const MAX_CA_BYTES = 16_384;

export function checkBackendUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError('The backend URL is not a URL', 'Pass --backend https://host[:port].');
  }
  if (url.protocol !== 'https:') throw usageError('The backend URL must use https://');
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    throw usageError('The backend URL must be https://host[:port] with nothing after it');
  }
  return url.origin;
}

export function readCaFile(path: string): string {
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch {
    throw usageError(`Cannot read the CA file ${path}`, 'Pass --ca with the backend root CA (PEM).');
  }
  if (raw.length > MAX_CA_BYTES) throw usageError(`The CA file ${path} is larger than ${MAX_CA_BYTES} bytes`);
  const pem = raw.toString('utf8');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw usageError(`The CA file ${path} is not a PEM certificate`);
  }
  if (!cert.ca) throw usageError(`The certificate in ${path} is not a CA certificate`);
  return pem;
}

/** The trust triple from flags, falling back to `stored` for whatever was not given. */
export function trustFromFlags(
  flags: { backend?: string | undefined; ca?: string | undefined; pin?: string[] | undefined },
  stored?: BackendTrust | null,
): BackendTrust | null {
  const url = flags.backend ?? stored?.backend_url;
  const ca = flags.ca === undefined ? stored?.ca_pem : readCaFile(flags.ca);
  const pins = flags.pin === undefined ? stored?.pins : pinSetOf(flags.pin);
  if (url === undefined || ca === undefined || pins === undefined) return null;
  return { backend_url: checkBackendUrl(url), ca_pem: ca, pins };
}

export function pinSetOf(pins: readonly string[]) {
  if (pins.length !== 2) throw usageError('Give exactly two pins: --pin PRIMARY --pin BACKUP');
  const set = { primary_b64: pins[0] ?? '', backup_b64: pins[1] ?? '' };
  assertPinSet(set, 'pin');
  return set;
}
