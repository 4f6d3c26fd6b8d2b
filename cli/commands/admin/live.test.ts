// `viworks admin overview`, `admin phones list` and `admin sessions watch` against the REAL backend
// (pinned HTTPS), in-process as `Cmd.run(argv)`: text for people, the documented objects with
// --json (NDJSON lines for the watch), filters and refusals.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AdminTestServer, createAccount } from '../../../server/testing/admin-fixtures.js';
import { enrolledDesktop, fetchBootstrap, loginTokens } from '../../../server/testing/client-fixtures.js';
import { boundPhone } from '../../../server/testing/identity-fixtures.js';
import { type CliAdminBackend, startCliAdminBackend } from '../../testing/admin-backend.js';
import { assertSchema, errJson, okJson } from '../../testing/assert.js';
import { runCommand } from '../../testing/run.js';
import AdminOverview, { AdminOverviewResultSchema } from './overview.js';
import PhonesList, { AdminPhonesListResultSchema } from './phones/list.js';
import SessionsWatch, { AdminSessionsWatchResultSchema } from './sessions/watch.js';

describe('viworks admin overview, phones list, sessions watch (real backend)', () => {
  let cli: CliAdminBackend;
  let t: AdminTestServer;
  let phoneUser: string;

  before(async () => {
    // Development mode: the test phone binds without a platform attestation.
    cli = await startCliAdminBackend('viw-cli-live-', { mode: 'development' });
    ({ t } = cli);
    const owner = await createAccount(t.ctx, 'User', 'phone.owner');
    phoneUser = owner.user.id;
    await boundPhone(t.srv, owner.user.id);
    await cli.login('Auditor', 'live.auditor');
  });
  after(async () => cli?.stop());

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
