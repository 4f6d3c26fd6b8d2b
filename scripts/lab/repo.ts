// Where the repository is, from this file's own location (works from sources under tsx and from
// dist/scripts/lab after a build).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'scripts', 'lab'))) return dir;
    dir = resolve(dir, '..');
  }
  throw new Error('cannot find the repository root from scripts/lab');
}

export const REPO_ROOT = findRoot();

export function repoPath(rel: string): string {
  return join(REPO_ROOT, rel);
}
