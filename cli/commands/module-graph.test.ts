// What importing one command module loads (oclif imports only the command that runs once the
// manifest is there): `status`, the command scripts poll, must not bring the admin client, the GUI's
// fastify server, the TUI's Ink/React or SSH; `open` not the GUI server. Each module graph is
// recorded in a fresh process by a loader hook; the near-misses show the recorder sees those modules
// where they belong.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'viworks-module-graph-'));

// Runs in the loader thread: appends every URL it loads to the file named by the environment.
const HOOKS = `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.VIWORKS_MODULE_LOG, url + '\\n');
  return next(url, context);
}`)}`;
const REGISTER = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'; register(${JSON.stringify(HOOKS)});`,
)}`;

/** Every module URL (ESM and CommonJS) loaded by importing `file` in a fresh `node --import tsx`. */
function modulesLoadedBy(file: string): string[] {
  const log = join(dir, `${file.replaceAll('/', '_')}.log`);
  const script =
    `const { createRequire } = await import('node:module');` +
    `await import(${JSON.stringify(pathToFileURL(join(repo, file)).href)});` +
    `const cjs = Object.keys(createRequire(import.meta.url).cache);` +
    `(await import('node:fs')).appendFileSync(process.env.VIWORKS_MODULE_LOG, cjs.join('\\n'));`;
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', REGISTER, '--input-type=module', '-e', script],
    { cwd: repo, env: { ...process.env, VIWORKS_MODULE_LOG: log }, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return readFileSync(log, 'utf8').split('\n').filter(Boolean);
}

const ADMIN_ONLY = /\/cli\/lib\/admin-|\/core\/backendclient\/(?!reply\.)|\/node_modules\/uqr\//;
const GUI_SERVER = /\/gui\/server\/gui-server\.|\/node_modules\/fastify\//;
const TUI_AND_SSH = /\/tui\/|\/node_modules\/(ink|react|ssh2)\//;

const matching = (modules: string[], re: RegExp) => modules.filter((m) => re.test(m));

describe('command module graphs', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('status loads the local client, and no admin, GUI server, TUI or SSH module', () => {
    const modules = modulesLoadedBy('cli/commands/status.ts');
    assert.ok(matching(modules, /\/core\/localclient\/local-client\./).length > 0, 'recorded its graph');
    assert.deepEqual(matching(modules, ADMIN_ONLY), []);
    assert.deepEqual(matching(modules, GUI_SERVER), []);
    assert.deepEqual(matching(modules, TUI_AND_SSH), []);
  });

  it('open writes the opener page without loading the GUI server', () => {
    const modules = modulesLoadedBy('cli/commands/open.ts');
    assert.ok(matching(modules, /\/gui\/server\/opener\./).length > 0, 'recorded its graph');
    assert.deepEqual(matching(modules, GUI_SERVER), []);
  });

  it('near-miss: an admin command loads the admin client, gui the GUI server', () => {
    assert.ok(matching(modulesLoadedBy('cli/commands/admin/users/list.ts'), ADMIN_ONLY).length > 0);
    assert.ok(matching(modulesLoadedBy('cli/commands/gui.ts'), GUI_SERVER).length > 0);
  });
});
