// Users: every account (administrators and desktop users), filtered by role and lock state, paged;
// create, lock and unlock, reset, a phone bind code as a QR code; each user's groups, added to and
// removed from here (policies:write), and a new group.
import { useState } from 'react';
import { USER_ROLES, type UserRole, type UserViewT } from '../../../../core/api/admin.js';
import { type Problem, problemOf } from '../api.js';
import { OneTimeSecret } from '../components/OneTimeSecret.js';
import { Pager } from '../components/Pager.js';
import { ProblemBox } from '../components/ProblemBox.js';
import { SelectFilter } from '../components/SelectFilter.js';
import { StatusNote } from '../components/StatusNote.js';
import { usePanel } from '../context.js';
import { PAGE_SIZE, usePagedList } from '../hooks/usePagedList.js';
import { BindCodePanel } from './users/BindCodePanel.js';
import { CreateGroupForm } from './users/CreateGroupForm.js';
import { CreateUserForm } from './users/CreateUserForm.js';
import { type UserActionResult, UserRow } from './users/UserRow.js';
import { groupsOf, useGroupMembership } from './users/useGroupMembership.js';

interface Filter {
  readonly role: UserRole | '';
  readonly locked: 'true' | 'false' | '';
}

export function UsersPage() {
  const { can, call } = usePanel();
  const [filter, setFilter] = useState<Filter>({ role: '', locked: '' });
  const [result, setResult] = useState<UserActionResult | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const list = usePagedList<UserViewT, Filter>(async (f, cursor) => {
    const r = await call((c) =>
      c.listUsers({
        limit: PAGE_SIZE,
        ...(cursor ? { cursor } : {}),
        ...(f.role ? { role: f.role } : {}),
        ...(f.locked ? { locked: f.locked } : {}),
      }),
    );
    return { items: r.users, next: r.next_cursor };
  }, filter);
  const readsGroups = can('policies:read');
  const membership = useGroupMembership(readsGroups);
  const groupNames = membership.groups.map((g) => g.name);
  const done = (r: UserActionResult) => {
    setProblem(null);
    setResult(r);
    list.reload();
    membership.reload();
  };
  const failed = (err: unknown) => {
    setResult(null);
    setProblem(problemOf(err));
  };
  return (
    <>
      <h2>Users</h2>
      {can('users:write') && (
        <CreateUserForm
          onCreated={(u, pw) =>
            done({ note: `${u.username} created.`, oneTimePassword: { username: u.username, value: pw } })
          }
        />
      )}
      {can('policies:write') && (
        <CreateGroupForm onCreated={(name) => done({ note: `Group ${name} created.` })} />
      )}
      <ProblemBox problem={problem} />
      <StatusNote note={result?.note ?? null} />
      {result?.oneTimePassword && (
        <OneTimeSecret
          title={`One-time password for ${result.oneTimePassword.username}`}
          value={result.oneTimePassword.value}
          testId="one-time-password"
          onDone={() => setResult(null)}
        />
      )}
      {result?.bind && (
        <BindCodePanel
          username={result.bind.username}
          bind={result.bind.reply}
          onDone={() => setResult(null)}
        />
      )}
      <div className="filters">
        <SelectFilter
          label="Role"
          value={filter.role}
          options={USER_ROLES.map((r) => [r, r] as const)}
          onChange={(role) => setFilter({ ...filter, role })}
          testId="filter-role"
        />
        <SelectFilter
          label="State"
          value={filter.locked}
          options={[
            ['false', 'active'],
            ['true', 'locked'],
          ]}
          onChange={(locked) => setFilter({ ...filter, locked })}
          testId="filter-locked"
        />
      </div>
      <ProblemBox problem={list.problem} />
      <ProblemBox problem={membership.problem} />
      <div className="table-scroll">
        <table aria-busy={list.loading} data-testid="users">
          <thead>
            <tr>
              <th scope="col">Username</th>
              <th scope="col">Role</th>
              <th scope="col">State</th>
              <th scope="col">Credentials</th>
              {readsGroups && <th scope="col">Groups</th>}
              <th scope="col">Last sign-in</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((u) => (
              <UserRow
                key={u.id}
                user={u}
                groups={readsGroups ? { memberOf: groupsOf(membership, u.id), allGroups: groupNames } : null}
                onResult={done}
                onFailure={failed}
              />
            ))}
          </tbody>
        </table>
      </div>
      <Pager list={list} label="Users" />
    </>
  );
}
