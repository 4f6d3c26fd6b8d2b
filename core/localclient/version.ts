import { readFileSync } from 'node:fs';

/**
 * The package version (the daemon sends it as `viworks-daemon-version`; the client compares it with
 * its own). Read once from package.json; works from the sources and from dist/.
 */
export const PACKAGE_VERSION: string = (() => {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'viworks' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return '0.0.0';
})();
