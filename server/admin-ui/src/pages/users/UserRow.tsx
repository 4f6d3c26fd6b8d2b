import type { UserViewT } from '../../../../../core/api/admin.js';
import { ConfirmButton } from '../../components/ConfirmButton.js';
import { When } from '../../components/When.js';
import { usePanel } from '../../context.js';
import { UserGroupsCell } from './UserGroupsCell.js';
import type { UserActionResult } from './user-action-result.js';

export type { UserActionResult } from './user-action-result.js';

/** The groups column, shown to roles that read groups (policies:read). */
export interface UserRowGroups {
  readonly memberOf: readonly string[];
  readonly allGroups: readonly string[];
}

export function UserRow({
  user,
  groups,
  onResult,
  onFailure,
}: {
  readonly user: UserViewT;
  readonly groups: UserRowGroups | null;
  readonly onResult: (r: UserActionResult) => void;
  readonly onFailure: (err: unknown) => void;
}) {
  const { can, call, session } = usePanel();
  const ended = (n: number) => (n > 0 ? `; ${n} VPN session(s) ended` : '');
  const run = async (fn: () => Promise<UserActionResult>) => {
    try {
      onResult(await fn());
    } catch (err) {
      onFailure(err);
    }
  };
  const lock = () =>
    run(async () => {
      const r = await call((c) => c.lockUser(user.id));
      return { note: `${user.username} is locked${ended(r.ended_sessions)}.` };
    });
  const unlock = () =>
    run(async () => {
      await call((c) => c.unlockUser(user.id));
      return { note: `${user.username} is unlocked.` };
    });
  const reset = (resetTotp: boolean) =>
    run(async () => {
      const r = await call((c) => c.resetPassword(user.id, resetTotp));
      return {
        note: `${user.username}'s password was reset${resetTotp ? ' and TOTP removed' : ''}${ended(r.ended_sessions)}.`,
        oneTimePassword: { username: user.username, value: r.one_time_password },
      };
    });
  const bind = () =>
    run(async () => {
      const r = await call((c) => c.bindCode(user.id));
      return { bind: { username: user.username, reply: r } };
    });
  // The backend refuses these on one's own account (409): an administrator asks another one.
  const writes = can('users:write') && user.username !== session.username;
  return (
    <tr data-testid={`user-${user.username}`}>
      <td>{user.username}</td>
      <td>{user.role}</td>
      <td>
        {user.locked ? (
          <span className="badge warn">locked{user.locked_until ? ' (lockout)' : ''}</span>
        ) : (
          <span className="badge">active</span>
        )}
      </td>
      <td>
        {user.must_change_password ? 'password to change' : 'password set'}
        {' · '}
        {user.totp_enrolled ? 'TOTP' : 'no TOTP'}
      </td>
      {groups && (
        <UserGroupsCell
          user={user}
          memberOf={groups.memberOf}
          allGroups={groups.allGroups}
          onResult={onResult}
          onFailure={onFailure}
        />
      )}
      <td>
        <When iso={user.last_login_at} />
      </td>
      <td className="actions">
        {writes &&
          (user.locked ? (
            <ConfirmButton
              label="Unlock"
              question={`Unlock ${user.username}?`}
              onConfirm={unlock}
              testId="unlock"
            />
          ) : (
            <ConfirmButton
              label="Lock"
              question={`Lock ${user.username} and end their sessions?`}
              onConfirm={lock}
              testId="lock"
              danger
            />
          ))}
        {writes && (
          <ConfirmButton
            label="Reset password"
            question={`Give ${user.username} a new one-time password?`}
            onConfirm={() => reset(false)}
            testId="reset"
            danger
          />
        )}
        {writes && user.totp_enrolled && (
          <ConfirmButton
            label="Reset password and TOTP"
            question={`Reset ${user.username}'s password and authenticator?`}
            onConfirm={() => reset(true)}
            testId="reset-totp"
            danger
          />
        )}
        {can('bindcodes:write') && (
          <button type="button" onClick={bind} data-testid="bind">
            Phone bind code
          </button>
        )}
      </td>
    </tr>
  );
}
