// Rules every command file obeys, checked over the whole commands tree: one command class per file
// on the shared base (so --json, error output and exit codes are uniform), a summary for help, and
// no flag that takes a secret's value (secrets come from a prompt or stdin, never argv).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Config } from '@oclif/core';
import { ViworksCommand } from '../lib/base-command.js';

const here = dirname(fileURLToPath(import.meta.url));

function commandFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return commandFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [path] : [];
  });
}

const SECRETISH = /pass|otp|totp|secret|token|code|pin-code/i;

it('every command file: a ViworksCommand with a summary, --json, and no secret-valued flag', async () => {
  const files = commandFiles(here);
  const ids = files.map((f) => relative(here, f).replace(/\.ts$/, '').split('/').join(' '));
  for (const id of [
    'enroll',
    'login',
    'connect',
    'disconnect',
    'status',
    'preflight',
    'logs',
    'device show',
    'version',
    'tui',
    'gui',
    'open',
    'doctor',
    'daemon install',
    'killswitch status',
    'killswitch on',
    'killswitch off',
    'killswitch always',
    'admin login',
    'admin users list',
    'admin users create',
    'admin users lock',
    'admin users unlock',
    'admin users reset',
    'admin devices list',
    'admin devices approve',
    'admin devices unbind',
    'admin enrollment-tokens create',
    'admin enrollment-tokens list',
    'admin enrollment-tokens revoke',
    'admin sessions list',
    'admin sessions terminate',
    'admin sessions watch',
    'admin phones list',
    'admin overview',
    'admin gateways add',
    'admin gateways list',
    'admin gateways provision',
    'admin gateways health',
    'admin gateways control-key',
    'admin audit query',
    'admin audit export',
    'admin audit integrity',
    'admin audit verify',
    'admin alerts list',
    'admin alerts ack',
    'admin groups create',
    'admin groups list',
    'admin groups show',
    'admin groups delete',
    'admin groups add-member',
    'admin groups remove-member',
    'admin policies create',
    'admin policies update',
    'admin policies show',
    'admin policies list',
    'admin policies diff',
    'admin policies assign',
    'admin policies unassign',
    'admin policies explain',
    'admin policies pending',
    'admin policies approve',
    'admin policies reject',
  ]) {
    assert.ok(ids.includes(id), `viworks ${id} exists`);
  }
  for (const file of files) {
    const mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
    const Cmd = mod.default as typeof ViworksCommand & { flags?: Record<string, { type: string }> };
    assert.ok(Cmd && Cmd.prototype instanceof ViworksCommand, `${file}: default export is a ViworksCommand`);
    assert.ok(Cmd.summary, `${file}: summary`);
    assert.equal(Cmd.enableJsonFlag, true);
    for (const [name, flag] of Object.entries(Cmd.flags ?? {})) {
      if (!SECRETISH.test(name)) continue;
      const ok = flag.type === 'boolean' || name.endsWith('-file');
      assert.ok(ok, `${file}: --${name} must not take a secret on the command line`);
    }
  }
});

it('renamed topics: the earlier command ids still run the same command (oclif aliases)', async () => {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  pjson.oclif = { ...pjson.oclif, commands: './cli/commands' };
  const config = await Config.load({ root, pjson });
  for (const verb of ['create', 'list', 'revoke']) {
    const alias = await config.findCommand(`admin:enroll-tokens:${verb}`)?.load();
    const current = await config.findCommand(`admin:enrollment-tokens:${verb}`)?.load();
    assert.ok(current, `viworks admin enrollment-tokens ${verb}`);
    assert.equal(alias, current, `viworks admin enroll-tokens ${verb} runs the same command`);
  }
  assert.ok(
    config.topics.some((t) => t.name === 'admin:enrollment-tokens'),
    'package.json oclif.topics',
  );
});
