#!/usr/bin/env node
// Runs the project's tests with Node's own test runner, straight from the TypeScript sources (tsx).
// Convention: a test lives beside the file it tests as `name.test.ts` (`.test.tsx` for components); end-to-end tests that need
// root and the whole gateway lab are `name.e2e.test.ts` and run only with `npm run test:e2e`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOTS = ['core', 'server', 'daemon', 'cli', 'tui', 'gateway', 'mobile', 'gui', 'scripts', 'bench'];
const suite = process.argv[2] ?? 'unit';
if (suite !== 'unit' && suite !== 'e2e') {
  console.error(`usage: run-tests.mjs unit|e2e [filter]`);
  process.exit(64);
}
const filter = process.argv[3];

function collect(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist' || name === 'generated') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts') || name.endsWith('.test.tsx')) out.push(path);
  }
  return out;
}

const all = ROOTS.flatMap((root) => collect(root, []));
const files = all
  .filter((f) => (suite === 'e2e' ? /\.e2e\.test\.tsx?$/.test(f) : !/\.e2e\.test\.tsx?$/.test(f)))
  .filter((f) => !filter || f.includes(filter))
  .sort();

if (files.length === 0) {
  console.error(`no ${suite} test files found${filter ? ` matching "${filter}"` : ''}`);
  process.exit(1);
}
console.log(`running ${files.length} ${suite} test file(s)`);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', ...files.map((f) => relative('.', f))],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
