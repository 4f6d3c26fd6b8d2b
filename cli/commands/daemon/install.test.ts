// daemon install into an alternate root (as packaging does): the plan, --dry-run changing nothing,
// a real run, and a second run that finds nothing to do.
import assert from 'node:assert/strict';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as R from '../../lib/results.js';
import { errJson, okJson } from '../../testing/assert.js';
import { runCommand } from '../../testing/run.js';
import DaemonInstall from './install.js';

const asRoot = process.getuid?.() === 0;

describe('daemon install (alternate root)', { skip: !asRoot && 'groupadd needs root' }, () => {
  let root: string;
  let argv: string[];
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'viw-cli-install-'));
    mkdirSync(join(root, 'etc'));
    for (const f of ['group', 'gshadow', 'passwd', 'login.defs']) {
      if (existsSync(`/etc/${f}`)) copyFileSync(`/etc/${f}`, join(root, 'etc', f));
    }
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\n');
    writeFileSync(join(root, 'viworksd.js'), '// stand-in\n');
    argv = ['--root', root, '--viworksd', join(root, 'viworksd.js')];
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('--dry-run lists every step and changes nothing', async () => {
    const r = okJson(
      await runCommand(DaemonInstall, [...argv, '--dry-run', '--json']),
      R.DaemonInstallResultSchema,
    );
    assert.equal(r.changed, true);
    assert.deepEqual(
      r.steps.map((s) => `${s.step}:${s.action}`),
      ['group:create', 'unit:create', 'daemon-reload:skip', 'enable:run', 'start:skip'],
    );
    assert.ok(!existsSync(r.unit_path));
    assert.equal(readFileSync(join(root, 'etc/group'), 'utf8'), 'root:x:0:\n');
  });

  it('installs: group, unit (hardened, no core dumps), enabled', async () => {
    const r = okJson(await runCommand(DaemonInstall, [...argv, '--json']), R.DaemonInstallResultSchema);
    assert.equal(r.changed, true);
    assert.match(readFileSync(join(root, 'etc/group'), 'utf8'), /^viworks:x:\d+:$/m);
    const unit = readFileSync(r.unit_path, 'utf8');
    assert.ok(
      unit.includes(
        `ExecStart=${process.execPath} --max-semi-space-size=1 --v8-pool-size=1 ${join(root, 'viworksd.js')} --foreground\n`,
      ),
    );
    for (const line of [
      'LimitCORE=0',
      'RuntimeDirectory=viworks',
      'NoNewPrivileges=yes',
      'WantedBy=multi-user.target',
    ]) {
      assert.ok(unit.includes(`${line}\n`), line);
    }
    assert.ok(
      lstatSync(join(root, 'etc/systemd/system/multi-user.target.wants/viworksd.service')).isSymbolicLink(),
    );
  });

  it('is idempotent: a second run changes nothing (exit 0)', async () => {
    const r = okJson(await runCommand(DaemonInstall, [...argv, '--json']), R.DaemonInstallResultSchema);
    assert.equal(r.changed, false);
    assert.deepEqual(
      r.steps.map((s) => s.action),
      ['none', 'none', 'skip', 'none', 'skip'],
    );
    const text = await runCommand(DaemonInstall, argv);
    assert.match(text.stdout, /Nothing to do: viworksd\.service is installed\./);
  });

  it('a missing viworksd is a usage error (exit 2)', async () => {
    errJson(
      await runCommand(DaemonInstall, ['--root', root, '--viworksd', '/nonexistent/viworksd.js', '--json']),
      2,
      'VIW_E_VALIDATION',
    );
  });
});
