// A user's groups in the users list; with policies:write, add to an existing group or remove from
// one (asked first: leaving a group can change what the user reaches). A change that widens
// access waits for a second administrator (202 pending): the note says so instead of "added".
import { useState } from 'react';
import type { UserViewT } from '../../../../../core/api/admin.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { usePanel } from '../../context.js';
import type { UserActionResult } from './user-action-result.js';

export function UserGroupsCell({
  user,
  memberOf,
  allGroups,
  onResult,
  onFailure,
}: {
  readonly user: UserViewT;
  readonly memberOf: readonly string[];
  readonly allGroups: readonly string[];
  readonly onResult: (r: UserActionResult) => void;
  readonly onFailure: (err: unknown) => void;
}) {
  const { can, call } = usePanel();
  const [chosen, setChosen] = useState('');
  const writes = can('policies:write');
  const addable = allGroups.filter((g) => !memberOf.includes(g));
  const outcome = (status: string, done: string) =>
    status === 'pending' ? `${done} is pending a second administrator's approval.` : `${done}.`;
  const add = async () => {
    const group = chosen;
    try {
      const r = await call((c) => c.addGroupMember(group, user.id));
      setChosen('');
      onResult({ note: outcome(r.status, `${user.username} added to ${group}`) });
    } catch (err) {
      onFailure(err);
    }
  };
  const remove = async (group: string) => {
    try {
      const r = await call((c) => c.removeGroupMember(group, user.id));
      onResult({ note: outcome(r.status, `${user.username} removed from ${group}`) });
    } catch (err) {
      onFailure(err);
    }
  };
  return (
    <td data-testid="groups">
      {memberOf.length === 0 && <span className="muted">none</span>}
      {memberOf.map((g) => (
        <span key={g} className="badge" data-testid={`group-${g}`}>
          {g}
          {writes && (
            <ConfirmButton
              label="Remove"
              question={`Remove ${user.username} from ${g}?`}
              onConfirm={() => remove(g)}
              testId="remove-group"
              danger
            />
          )}
        </span>
      ))}
      {writes && addable.length > 0 && (
        <>
          <select
            value={chosen}
            onChange={(e) => setChosen(e.target.value)}
            aria-label={`Group to add ${user.username} to`}
            data-testid="add-group-select"
          >
            <option value="">Add to group…</option>
            {addable.map((g) => (
              <option key={g} value={g}>
                {g}
              </option>
            ))}
          </select>
          <button type="button" onClick={add} disabled={!chosen} data-testid="add-group">
            Add
          </button>
        </>
      )}
    </td>
  );
}
