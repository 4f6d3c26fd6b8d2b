// The TLS client fingerprints expected at the backend: our own clients' (measured at start,
// own-clients.ts) and those an operator lists (config.tls: inline and in a file). A connection is
// known when its JA4 or its JA3 is listed; JA4 is the one to list (stable across cipher order and
// GREASE), JA3 is accepted for SIEM rules and feeds that only have it.
import { readFileSync } from 'node:fs';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { JA3_PATTERN, JA4_PATTERN, type TlsFingerprints } from '../../../core/tls/fingerprints.js';

const JA3 = new RegExp(JA3_PATTERN);
const JA4 = new RegExp(JA4_PATTERN);
/** Bounds on the file: it is read whole at start. */
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_ENTRIES = 10_000;

export class FingerprintAllowlist {
  private readonly entries: ReadonlySet<string>;

  constructor(fingerprints: Iterable<string>) {
    this.entries = new Set(fingerprints);
  }

  get size(): number {
    return this.entries.size;
  }

  allows(f: Pick<TlsFingerprints, 'ja3' | 'ja4'>): boolean {
    return this.entries.has(f.ja4) || this.entries.has(f.ja3);
  }
}

/**
 * Reads an allowlist file: one JA4 or JA3 a line; blank lines and `#` comments (whole line or after
 * the value) are skipped. Any other line stops the start (VIW_E_CONFIG naming the line number).
 */
export function readAllowlistFile(path: string): string[] {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_FILE_BYTES) throw new Error('too large');
    text = bytes.toString('utf8');
  } catch {
    throw new ViworksError('VIW_E_CONFIG', {
      details: [`tls.fingerprintAllowlistFile: not readable or over ${MAX_FILE_BYTES} bytes`],
    });
  }
  const out: string[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const value = raw.replace(/#.*$/, '').trim();
    if (value === '') continue;
    if (!JA4.test(value) && !JA3.test(value)) {
      // The line itself is not echoed: the file is operator input, the log is not the place for it.
      throw new ViworksError('VIW_E_CONFIG', {
        details: [`tls.fingerprintAllowlistFile: line ${i + 1} is not a JA4 or JA3 fingerprint`],
      });
    }
    out.push(value);
  }
  if (out.length > MAX_ENTRIES) {
    throw new ViworksError('VIW_E_CONFIG', {
      details: [`tls.fingerprintAllowlistFile: more than ${MAX_ENTRIES} fingerprints`],
    });
  }
  return out;
}
