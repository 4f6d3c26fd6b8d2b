// `viworks admin overview`, `admin phones list` and `admin sessions watch` against the REAL backend
// (pinned HTTPS), in-process as `Cmd.run(argv)`: text for people, the documented objects with
// --json (NDJSON lines for the watch), filters and refusals.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AdminTestServer, createAccount, totpCode } from '../../../server/testing/admin-fixtures.js';
import { enrolledDesktop, fetchBootstrap, loginTokens } from '../../../server/testing/client-fixtures.js';
import { startTestServer } from '../../../server/testing/harness.js';
import { boundPhone } from '../../../server/testing/identity-fixtures.js';
import { AdminLoginResultSchema } from '../../lib/admin-results.js';
import { assertSchema, errJson, okJson } from '../../testing/assert.js';
import { runCommand } from '../../testing/run.js';
import AdminLogin from './login.js';
import AdminOverview, { AdminOverviewResultSchema } from './overview.js';
import PhonesList, { AdminPhonesListResultSchema } from './phones/list.js';
import SessionsWatch, { AdminSessionsWatchResultSchema } from './sessions/watch.js';

describe('viworks admin overview, phones list, sessions watch (real backend)', () => {
  let t: AdminTestServer;
  let dir: string;
  let trust: string[];
  let phoneUser: string;
  const saved = { config: process.env.XDG_CONFIG_HOME, store: process.env.VIWORKS_ADMIN_TOKEN_STORE };

  before(async () => {
    // Development mode: the test phone binds without a platform attestation.
    const srv = await startTestServer({ mode: 'development' });
    t = { srv, ctx: srv.server.ctx! };
    dir = mkdtempSync(join(tmpdir(), 'viw-cli-live-'));
    process.env.XDG_CONFIG_HOME = join(dir, 'config');
    process.env.VIWORKS_ADMIN_TOKEN_STORE = 'file';
    writeFileSync(join(dir, 'ca.pem'), t.srv.ca);
    const pins = t.srv.server.banner.backend_pins;
    trust = ['--backend', t.srv.server.banner.url, '--ca', join(dir, 'ca.pem')];
    trust.push('--pin', pins.primary_b64, '--pin', pins.backup_b64);
    const owner = await createAccount(t.ctx, 'User', 'phone.owner');
    phoneUser = owner.user.id;
    await boundPhone(t.srv, owner.user.id);
    const a = await createAccount(t.ctx, 'Auditor', 'live.auditor');
    const r = await runCommand(
      AdminLogin,
      [...trust, '--username', 'live.auditor', '--password-stdin', '--totp-stdin', '--json'],
      { stdin: `${a.password}\n${totpCode(a.totpSecret)}\n` },
    );
    okJson(r, AdminLoginResultSchema);
  });
  after(async () => {
    await t?.srv.stop();
    process.env.XDG_CONFIG_HOME = saved.config;
    if (saved.store === undefined) delete process.env.VIWORKS_ADMIN_TOKEN_STORE;
    else process.env.VIWORKS_ADMIN_TOKEN_STORE = saved.store;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A real VPN session on the test backend (an enrolled desktop's bootstrap). */
  async function startSession(): Promise<void> {
    const d = await enrolledDesktop(t.ctx);
    const boot = await fetchBootstrap(t.srv, await loginTokens(t.ctx, d));
    assert.equal(boot.status, 200, boot.text);
  }

  it('overview: the numbers as text and as the contract object', async () => {
    await startSession();
    const o = okJson(await runCommand(AdminOverview, ['--json']), AdminOverviewResultSchema);
    assert.equal(o.sessions.live, await t.ctx.db.session.count({ where: { endedAt: null } }));
    assert.deepEqual(
      o.funnel.stages.map((s) => s.stage),
      ['login', 'otp', 'bootstrap', 'tunnel'],
    );
    assert.ok(o.funnel.stages[2]!.success >= 1, 'the bootstrap is in the funnel');
    const text = await runCommand(AdminOverview, []);
    assert.equal(text.exitCode, 0);
    assert.match(text.stdout, /^Sessions: +\d+ live$/m);
    assert.match(text.stdout, /^Funnel: +login \d+.* → otp .* → bootstrap [1-9]\d*.* → tunnel \d+/m);
    assert.match(text.stdout, /^GATEWAY +STATUS +HEALTH +CHECKED$/m);
  });

  it('phones list: by user name, as a table and as --json', async () => {
    const r = okJson(
      await runCommand(PhonesList, ['--user', 'phone.owner', '--json']),
      AdminPhonesListResultSchema,
    );
    assert.deepEqual(
      r.phones.map((p) => [p.user_id, p.attestation_verdict, p.status]),
      [[phoneUser, 'unknown', 'active']],
    );
    const text = await runCommand(PhonesList, ['--user', 'phone.owner']);
    assert.match(text.stdout, /^ID +USER +PLATFORM +ATTESTATION +BOUND +LAST SEEN +STATUS$/m);
    assert.match(text.stdout, /phone\.owner +android +UNKNOWN \(none\) /);
    errJson(await runCommand(PhonesList, ['--status', 'stolen', '--json']), 2, 'VIW_E_VALIDATION');
    errJson(await runCommand(PhonesList, ['--user', 'nobody.here', '--json']), 2, 'VIW_E_NOT_FOUND');
  });

  it('sessions watch: a line per change; with --json one result object per line', async () => {
    // Sessions are started once the command says it is watching (its progress line on stderr).
    let started: Promise<void> | null = null;
    const text = await runCommand(SessionsWatch, ['--count', '1'], {
      onStderr: (all) => {
        if (!started && all.includes('Watching')) started = startSession();
      },
    });
    await started;
    assert.equal(text.exitCode, 0, text.stderr);
    assert.match(text.stdout, /^\S+Z {2}STARTED {2}[0-9a-f-]{36} {2}user-\S+ via \S+$/m);

    // --json prints nothing on stderr: keep starting sessions until it has seen two.
    let done = false;
    const json = runCommand(SessionsWatch, ['--count', '2', '--json']).finally(() => {
      done = true;
    });
    for (let i = 0; i < 100 && !done; i++) {
      await startSession();
      await new Promise((r) => setTimeout(r, 100));
    }
    const run = await json;
    assert.equal(run.exitCode, 0, run.stderr);
    const lines = run.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    for (const line of lines) {
      const value = assertSchema(AdminSessionsWatchResultSchema, JSON.parse(line));
      assert.equal(value.session?.state, 'live');
    }
  });
});
