import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * The package version, read from package.json on first use (core does no I/O at import time), from
 * the sources and from dist/ alike. The backend and the daemon send it in headers; the local client
 * compares it with the daemon's.
 */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  cached = '0.0.0';
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'viworks' && pkg.version) {
        cached = pkg.version;
        break;
      }
    } catch {
      // try the next candidate
    }
  }
  return cached;
}
