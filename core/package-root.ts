// The installed package's root (the directory with our package.json), found by walking up from a
// module, so it works from the sources (tsx) and from dist/ alike: what tsc does not copy (the
// migrations' .sql files, the built phone app and GUI page, the daemon entry) is found from here.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'viworks') return dir;
    if (dirname(dir) === dir) throw new Error(`no viworks package.json above ${from}`);
  }
}
