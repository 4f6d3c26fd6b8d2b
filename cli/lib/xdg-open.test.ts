// xdgOpen: true once the opener started, false when there is none (the command then says so).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { xdgOpen } from './xdg-open.js';

describe('xdgOpen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'viworks-xdg-'));
  const path = process.env.PATH;
  after(() => {
    process.env.PATH = path;
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts xdg-open with the page, detached', async () => {
    const seen = join(dir, 'seen');
    writeFileSync(join(dir, 'xdg-open'), `#!/bin/sh\necho "$1" > ${seen}\n`, { mode: 0o755 });
    process.env.PATH = dir;
    assert.equal(await xdgOpen('/run/user/0/page.html'), true);
    for (let i = 0; i < 50 && !readFileSync(seen, { flag: 'a+' }).length; i++) await sleep(20);
    assert.equal(readFileSync(seen, 'utf8'), '/run/user/0/page.html\n');
  });

  it('answers false when there is no xdg-open', async () => {
    process.env.PATH = join(dir, 'nowhere');
    assert.equal(await xdgOpen('/run/user/0/page.html'), false);
  });
});
