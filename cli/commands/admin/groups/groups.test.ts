// `viworks admin groups …` against the REAL backend (pinned HTTPS), in-process as `Cmd.run(argv)`:
// create, list, show, add-member and remove-member (by username), delete (refused while a policy is
// assigned), a membership change held for approval (exit 0, `status: "pending"`), exit codes for
// refusals, and every --json result checked against its schema.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { policyDoc } from '../../../../server/services/policy/admin-fixtures.js';
import { type AdminTestServer, createAccount } from '../../../../server/testing/admin-fixtures.js';
import { AdminPendingResultSchema } from '../../../lib/admin-policies.js';
import { type CliAdminBackend, startCliAdminBackend } from '../../../testing/admin-backend.js';
import { errJson, okJson } from '../../../testing/assert.js';
import { runCommand } from '../../../testing/run.js';
import PoliciesAssign from '../policies/assign.js';
import PoliciesCreate from '../policies/create.js';
import GroupsAddMember, { AdminGroupsMemberResultSchema } from './add-member.js';
import GroupsCreate, { AdminGroupsCreateResultSchema } from './create.js';
import GroupsDelete, { AdminGroupsDeleteResultSchema } from './delete.js';
import GroupsList, { AdminGroupsListResultSchema } from './list.js';
import GroupsRemoveMember from './remove-member.js';
import GroupsShow, { AdminGroupsShowResultSchema } from './show.js';

describe('viworks admin groups (real backend)', () => {
  let cli: CliAdminBackend;
  let t: AdminTestServer;
  let dir: string;

  before(async () => {
    cli = await startCliAdminBackend('viw-cli-grp-');
    ({ t, dir } = cli);
    await cli.login('Admin', 'grp.admin');
    for (const name of ['frida', 'gus']) await createAccount(t.ctx, 'User', name);
  });
  after(async () => cli?.stop());

  it('create, list, show; members by username', async () => {
    const created = okJson(
      await runCommand(GroupsCreate, ['finance', '--description', 'Finance team', '--json']),
      AdminGroupsCreateResultSchema,
    );
    assert.equal(created.group.description, 'Finance team');
    errJson(await runCommand(GroupsCreate, ['finance', '--json']), 4, 'VIW_E_CONFLICT');
    errJson(await runCommand(GroupsCreate, ['Finance', '--json']), 2, 'VIW_E_VALIDATION');
    for (const user of ['gus', 'frida']) {
      const added = okJson(
        await runCommand(GroupsAddMember, ['finance', user, '--json']),
        AdminGroupsMemberResultSchema,
      );
      assert.equal(added.status, 'applied');
    }
    errJson(await runCommand(GroupsAddMember, ['finance', 'gus', '--json']), 4, 'VIW_E_CONFLICT');
    errJson(await runCommand(GroupsAddMember, ['finance', 'nobody', '--json']), 2, 'VIW_E_NOT_FOUND');
    errJson(await runCommand(GroupsAddMember, ['nowhere', 'gus', '--json']), 2, 'VIW_E_NOT_FOUND');
    const shown = okJson(await runCommand(GroupsShow, ['finance', '--json']), AdminGroupsShowResultSchema);
    assert.deepEqual(
      shown.members.map((m) => m.username),
      ['frida', 'gus'],
    );
    const text = (await runCommand(GroupsShow, ['finance'])).stdout;
    assert.match(text, /^Group finance — Finance team\nPolicy: none /);
    assert.match(text, /\nUSERNAME +USER ID +ADDED\nfrida +[0-9a-f-]{36} /);
    const list = okJson(await runCommand(GroupsList, ['--json']), AdminGroupsListResultSchema);
    assert.deepEqual(
      list.groups.map((g) => [g.name, g.members]),
      [['finance', 2]],
    );
    assert.match(
      (await runCommand(GroupsList, [])).stdout,
      /^NAME +MEMBERS +POLICY +PRIORITY +DESCRIPTION\nfinance +2 +- +- +Finance team\n/,
    );
  });

  it('leaving the group whose policy held a user to narrower rules is held for approval', async () => {
    writeFileSync(join(dir, 'fin.json'), JSON.stringify(policyDoc(['10.50.0.0/16'])));
    assert.equal(
      (await runCommand(PoliciesCreate, ['fin', '--file', join(dir, 'fin.json'), '--json'])).exitCode,
      0,
    );
    const assigned = await runCommand(PoliciesAssign, ['fin', '--group', 'finance', '--json']);
    assert.equal(assigned.exitCode, 0, assigned.stdout);
    // gus would fall back to the broad built-in default.
    const held = okJson(
      await runCommand(GroupsRemoveMember, ['finance', 'gus', '--json']),
      AdminPendingResultSchema,
    );
    assert.equal(held.status, 'pending');
    assert.equal(held.change.kind, 'member_remove');
    assert.ok(
      held.change.reasons.includes('gus: routes lifted (full tunnel, any network)'),
      held.change.reasons.join('; '),
    );
    const text = await runCommand(GroupsRemoveMember, ['finance', 'gus']);
    assert.equal(text.exitCode, 0);
    assert.match(
      text.stdout,
      /^PENDING APPROVAL — not applied\. Change [0-9a-f-]{36}: remove user gus from group finance\n/,
    );
    const still = okJson(await runCommand(GroupsShow, ['finance', '--json']), AdminGroupsShowResultSchema);
    assert.deepEqual(
      still.members.map((m) => m.username),
      ['frida', 'gus'],
    );
    assert.deepEqual(still.group.policy, { name: 'fin', priority: 100 });
  });

  it('delete: refused while a policy is assigned; a group without one goes with its memberships', async () => {
    const refused = errJson(await runCommand(GroupsDelete, ['finance', '--json']), 4, 'VIW_E_CONFLICT');
    assert.match(refused.details?.[0] ?? '', /unassign it first/);
    okJson(await runCommand(GroupsCreate, ['temp', '--json']), AdminGroupsCreateResultSchema);
    const added = okJson(
      await runCommand(GroupsAddMember, ['temp', 'frida', '--json']),
      AdminGroupsMemberResultSchema,
    );
    assert.equal(added.status, 'applied', 'a group without a policy changes no one');
    const deleted = okJson(await runCommand(GroupsDelete, ['temp', '--json']), AdminGroupsDeleteResultSchema);
    assert.equal(deleted.group.members, 1);
    assert.match((await runCommand(GroupsDelete, ['finance'])).stderr, /VIW_E_CONFLICT/);
    errJson(await runCommand(GroupsDelete, ['temp', '--json']), 2, 'VIW_E_NOT_FOUND');
  });
});
