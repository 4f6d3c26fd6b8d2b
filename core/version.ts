import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './package-root.js';

let cached: string | undefined;

/**
 * The package version, read from package.json on first use (core does no I/O at import time), from
 * the sources, from dist/ and from a bundled entry point alike (found by walking up, as packageRoot
 * does). The backend and the daemon send it in headers; the local client compares it with the
 * daemon's; a gateway's health reports it.
 */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  cached = '0.0.0';
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
    if (pkg.version) cached = pkg.version;
  } catch {
    // no package.json above this module: 0.0.0
  }
  return cached;
}
