// `viworks admin policies …` against the REAL backend (pinned HTTPS), in-process as `Cmd.run(argv)`,
// with two administrators (two session stores): documents from a file and from stdin, refusals with
// their details and exit codes, a relaxation held (exit 0, `status: "pending"`, obvious in text),
// the author refused, the second administrator approving, diff, explain and every --json result
// checked against its schema.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { policyDoc } from '../../../../server/services/policy/admin-fixtures.js';
import {
  type AdminTestServer,
  createAccount,
  createDevice,
  startAdminTestServer,
  totpCode,
} from '../../../../server/testing/admin-fixtures.js';
import { AdminPendingResultSchema } from '../../../lib/admin-policies.js';
import { AdminLoginResultSchema } from '../../../lib/admin-results.js';
import { errJson, okJson } from '../../../testing/assert.js';
import { runCommand } from '../../../testing/run.js';
import GroupsAddMember from '../groups/add-member.js';
import GroupsCreate from '../groups/create.js';
import AdminLogin from '../login.js';
import PoliciesApprove, { AdminPoliciesDecisionResultSchema } from './approve.js';
import PoliciesAssign, { AdminPoliciesAssignmentResultSchema } from './assign.js';
import PoliciesCreate, { AdminPoliciesCreateResultSchema } from './create.js';
import PoliciesDiff, { AdminPoliciesDiffResultSchema } from './diff.js';
import PoliciesExplain, { AdminPoliciesExplainResultSchema } from './explain.js';
import PoliciesList, { AdminPoliciesListResultSchema } from './list.js';
import PoliciesPending, { AdminPoliciesPendingResultSchema } from './pending.js';
import PoliciesReject from './reject.js';
import PoliciesShow, { AdminPoliciesShowResultSchema } from './show.js';
import PoliciesUnassign from './unassign.js';
import PoliciesUpdate, { AdminPoliciesUpdateResultSchema } from './update.js';

describe('viworks admin policies (real backend)', () => {
  let t: AdminTestServer;
  let dir: string;
  let trust: string[];
  let aliceDevice: string;
  const saved = { config: process.env.XDG_CONFIG_HOME, store: process.env.VIWORKS_ADMIN_TOKEN_STORE };
  /** Runs as the first or the second administrator (each has its own session store). */
  const as = (who: 'first' | 'second') => {
    process.env.XDG_CONFIG_HOME = join(dir, `config-${who}`);
    return runCommand;
  };
  const file = (name: string, value: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value, null, 2));
    return path;
  };

  before(async () => {
    t = await startAdminTestServer();
    dir = mkdtempSync(join(tmpdir(), 'viw-cli-pol-'));
    process.env.VIWORKS_ADMIN_TOKEN_STORE = 'file';
    writeFileSync(join(dir, 'ca.pem'), t.srv.ca);
    const pins = t.srv.server.banner.backend_pins;
    trust = ['--backend', t.srv.server.banner.url, '--ca', join(dir, 'ca.pem')];
    trust.push('--pin', pins.primary_b64, '--pin', pins.backup_b64);
    for (const who of ['first', 'second'] as const) {
      const a = await createAccount(t.ctx, 'Admin', `cli.${who}`);
      const login = await as(who)(
        AdminLogin,
        [...trust, '--username', `cli.${who}`, '--password-stdin', '--totp-stdin', '--json'],
        { stdin: `${a.password}\n${totpCode(a.totpSecret)}\n` },
      );
      okJson(login, AdminLoginResultSchema);
    }
    const alice = await createAccount(t.ctx, 'User', 'alice');
    aliceDevice = (await createDevice(t.ctx, alice.user.id, 'active')).id;
  });
  after(async () => {
    await t?.srv.stop();
    process.env.XDG_CONFIG_HOME = saved.config;
    if (saved.store === undefined) delete process.env.VIWORKS_ADMIN_TOKEN_STORE;
    else process.env.VIWORKS_ADMIN_TOKEN_STORE = saved.store;
    rmSync(dir, { recursive: true, force: true });
  });

  it('create from a file or stdin; a bad document is refused with its problems (exit 2)', async () => {
    const run = as('first');
    const office = file('office.json', policyDoc(['10.10.0.0/16']));
    const created = okJson(
      await run(PoliciesCreate, ['office', '--file', office, '--json']),
      AdminPoliciesCreateResultSchema,
    );
    assert.equal(created.version.version, 1);
    const stdin = JSON.stringify(policyDoc(['10.20.0.0/16'], { kill_switch: 'optional' }), null, 2);
    const piped = okJson(
      await run(PoliciesCreate, ['lab', '--file', '-', '--json'], { stdin: `\n${stdin}\n\n` }),
      AdminPoliciesCreateResultSchema,
    );
    assert.equal(piped.version.document.kill_switch, 'optional');

    const bad = file('bad.json', policyDoc(['10.0.0.0/8', '10.1.2.0/24', '192.168.1.1/24']));
    const e = errJson(await run(PoliciesCreate, ['bad', '--file', bad, '--json']), 2, 'VIW_E_VALIDATION');
    assert.deepEqual(e.details, [
      '/document/tunnel/routes/2: host bits set (write the network address)',
      '/document/tunnel/routes/1: overlaps /document/tunnel/routes/0',
    ]);
    const text = await run(PoliciesCreate, ['bad', '--file', bad]);
    assert.equal(text.exitCode, 2);
    assert.match(text.stderr, /VIW_E_VALIDATION.*\n.*\n {2}detail: \/document\/tunnel\/routes\/2: host bits/);
    errJson(
      await run(PoliciesCreate, ['x', '--file', file('not.json', '{"tunnel":'), '--json']),
      2,
      'VIW_E_VALIDATION',
    );
    errJson(
      await run(PoliciesCreate, ['x', '--file', join(dir, 'missing.json'), '--json']),
      2,
      'VIW_E_VALIDATION',
    );
    errJson(await run(PoliciesCreate, ['Not A Name', '--file', office, '--json']), 2, 'VIW_E_VALIDATION');
    errJson(await run(PoliciesCreate, ['office', '--file', office, '--json']), 4, 'VIW_E_CONFLICT');

    const list = okJson(await run(PoliciesList, ['--json']), AdminPoliciesListResultSchema);
    assert.deepEqual(
      list.policies.map((p) => p.name),
      ['lab', 'office'],
    );
    const human = await run(PoliciesList, []);
    assert.match(human.stdout, /^NAME +VERSION +USERS +GROUPS +UPDATED\nlab +v1 +0 +0 /);
  });

  it('assign through a group; explain says which policy and which rule (table with ✓ / ✗)', async () => {
    const run = as('first');
    assert.equal((await run(GroupsCreate, ['staff', '--json'])).exitCode, 0);
    assert.equal((await run(GroupsAddMember, ['staff', 'alice', '--json'])).exitCode, 0);
    const assigned = okJson(
      await run(PoliciesAssign, ['office', '--group', 'staff', '--priority', '10', '--json']),
      AdminPoliciesAssignmentResultSchema,
    );
    assert.equal(assigned.status, 'applied');
    errJson(await run(PoliciesAssign, ['office', '--json']), 2, 'VIW_E_VALIDATION');
    errJson(
      await run(PoliciesAssign, ['office', '--user', 'alice', '--group', 'staff', '--json']),
      2,
      'VIW_E_VALIDATION',
    );

    const explained = okJson(
      await run(PoliciesExplain, ['--user', 'alice', '--device', aliceDevice, '--json']),
      AdminPoliciesExplainResultSchema,
    );
    assert.deepEqual(
      [explained.policy.name, explained.policy.source, explained.policy.group, explained.allowed],
      ['office', 'group', 'staff', true],
    );
    const text = (await run(PoliciesExplain, ['--user', 'alice', '--at', '2026-12-02T10:00:00Z'])).stdout;
    assert.match(text, /^alice: policy office v1 \(p-[0-9a-f]{32}\), from group staff\n/);
    assert.match(text, /\n✓ +schedule +no schedule: always\n/);
    assert.match(text, /\nALLOWED\n$/);

    const strict = file(
      'strict.json',
      policyDoc(['10.10.0.0/16'], {
        posture: { ...policyDoc([]).posture, min_key_protection: 'tpm2' },
      }),
    );
    const v2 = okJson(
      await run(PoliciesUpdate, ['office', '--file', strict, '--json']),
      AdminPoliciesUpdateResultSchema,
    );
    assert.equal(v2.status, 'applied', 'stricter posture narrows: in force at once');
    const denied = await run(PoliciesExplain, ['--user', 'alice', '--device', aliceDevice]);
    assert.match(
      denied.stdout,
      /\n✗ +posture\.key_protection +device key software, policy needs at least tpm2\n/,
    );
    assert.match(denied.stdout, /\nDENIED by posture\.key_protection \(VIW_E_POLICY_POSTURE\)\n$/);
    assert.equal(denied.exitCode, 0, 'explaining a denial is not a failure');
  });

  let changeId = '';
  it('a relaxation is held: exit 0, status pending, obvious in text; the author cannot approve', async () => {
    const run = as('first');
    const wider = file('wider.json', policyDoc(['10.10.0.0/16', '10.99.0.0/16']));
    const held = okJson(
      await run(PoliciesUpdate, ['office', '--file', wider, '--json']),
      AdminPendingResultSchema,
    );
    assert.equal(held.status, 'pending');
    assert.deepEqual(held.change.reasons, ['routes added: 10.99.0.0/16', 'key protection lowered']);
    changeId = held.change.id;
    const text = await run(PoliciesUpdate, ['office', '--file', wider]);
    assert.equal(text.exitCode, 0);
    assert.match(
      text.stdout,
      /^PENDING APPROVAL — not applied\. Change [0-9a-f-]{36}: new version 3 of policy office\n/,
    );
    assert.match(text.stdout, /\n {2}- routes added: 10\.99\.0\.0\/16\n/);
    assert.match(
      text.stdout,
      /\nApprove \(another administrator\): viworks admin policies approve [0-9a-f-]{36}\n/,
    );
    assert.match(text.stdout, /\n\+ {6}"10\.99\.0\.0\/16"/);
    // The second request (same content) is a second pending change; withdraw it.
    const second = JSON.parse((await run(PoliciesPending, ['--json'])).stdout) as {
      changes: Array<{ id: string }>;
    };
    assert.equal(second.changes.length, 2);
    const withdraw = second.changes.find((c) => c.id !== changeId)!.id;
    const rejected = okJson(
      await run(PoliciesReject, [withdraw, '--json']),
      AdminPoliciesDecisionResultSchema,
    );
    assert.equal(rejected.change.status, 'rejected');

    const pending = okJson(await run(PoliciesPending, ['--json']), AdminPoliciesPendingResultSchema);
    assert.deepEqual(
      pending.changes.map((c) => c.id),
      [changeId],
    );
    assert.match((await run(PoliciesPending, [])).stdout, /^ID +STATUS +AUTHOR +EXPIRES\/DECIDED +CHANGE\n/);
    const e = errJson(await run(PoliciesApprove, [changeId, '--json']), 4, 'VIW_E_FORBIDDEN');
    assert.match(e.details?.[0] ?? '', /author of a change cannot approve it/);
    errJson(await run(PoliciesApprove, ['not-an-id', '--json']), 2, 'VIW_E_VALIDATION');
    const shown = okJson(await run(PoliciesShow, ['office', '--json']), AdminPoliciesShowResultSchema);
    assert.equal('current' in shown && shown.policy.current_version, 2, 'still version 2');
  });

  it('the second administrator approves: in force; diff shows what changed', async () => {
    const run = as('second');
    const change = okJson(
      await run(PoliciesDiff, ['--change', changeId, '--json']),
      AdminPoliciesDiffResultSchema,
    );
    assert.ok('change' in change && change.change.status === 'pending');
    const approved = okJson(
      await run(PoliciesApprove, [changeId, '--json']),
      AdminPoliciesDecisionResultSchema,
    );
    assert.equal(approved.change.applied_version, 3);
    assert.equal(approved.change.decider, 'cli.second');
    errJson(await run(PoliciesApprove, [changeId, '--json']), 4, 'VIW_E_CONFLICT');

    const diff = okJson(await run(PoliciesDiff, ['office', '--json']), AdminPoliciesDiffResultSchema);
    assert.ok('relaxations' in diff);
    assert.deepEqual([diff.from, diff.to], [2, 3]);
    assert.deepEqual(diff.relaxations, ['routes added: 10.99.0.0/16', 'key protection lowered']);
    const text = (await run(PoliciesDiff, ['office', '--from', '1', '--to', '3'])).stdout;
    assert.match(text, /^--- office v1\n\+\+\+ office v3\n@@ /);
    assert.match(text, /\n\+ {6}"10\.99\.0\.0\/16"\n/);
    assert.match(text, /Version 3 widens access:\n {2}- routes added: 10\.99\.0\.0\/16\n$/);

    const v1 = okJson(
      await run(PoliciesShow, ['office', '--version', '1', '--json']),
      AdminPoliciesShowResultSchema,
    );
    assert.ok('version' in v1 && v1.version.version === 1);
    const shown = (await run(PoliciesShow, ['office'])).stdout;
    assert.match(shown, /\nVERSION +AUTHOR +APPROVER +WRITTEN\n3 +cli\.first +cli\.second /);
    assert.match(shown, /\nASSIGNED TO +NAME +PRIORITY\ngroup +staff +10\n/);
  });

  it('unassigning falls back to the broad default: held too', async () => {
    const run = as('second');
    const held = okJson(
      await run(PoliciesUnassign, ['office', '--group', 'staff', '--json']),
      AdminPoliciesAssignmentResultSchema,
    );
    assert.equal(held.status, 'pending');
    assert.ok(
      held.status === 'pending' &&
        held.change.reasons.includes('alice: routes lifted (full tunnel, any network)'),
    );
    assert.match(
      (await run(PoliciesDiff, ['--change', held.change.id])).stdout,
      /alice: office v3 \(group staff\) -> default v0 \(built-in default\)/,
    );
    errJson(await run(PoliciesDiff, ['--json']), 2, 'VIW_E_VALIDATION');
  });
});
