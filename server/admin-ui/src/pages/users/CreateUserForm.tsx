// Create an account: a username and a role. The backend answers with a one-time password, which
// the account's owner replaces at first sign-in (admins here, desktop users from their device).
import { type FormEvent, useState } from 'react';
import { USER_ROLES, type UserRole, type UserViewT } from '../../../../../core/api/admin.js';
import { type Problem, problemOf } from '../../api.js';
import { ProblemBox } from '../../components/ProblemBox.js';
import { usePanel } from '../../context.js';

export function CreateUserForm({
  onCreated,
}: {
  readonly onCreated: (user: UserViewT, oneTimePassword: string) => void;
}) {
  const { call } = usePanel();
  const [username, setUsername] = useState('');
  const [role, setRole] = useState<UserRole>('User');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const r = await call((c) => c.createUser(username.trim(), role));
      setProblem(null);
      setUsername('');
      onCreated(r.user, r.one_time_password);
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Create a user">
      <h3>Create a user</h3>
      <label>
        Username
        <input
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          required
          autoComplete="off"
          spellCheck={false}
          data-testid="new-username"
        />
      </label>
      <label>
        Role
        <select value={role} onChange={(e) => setRole(e.target.value as UserRole)} data-testid="new-role">
          {USER_ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="primary" disabled={busy} data-testid="create-user">
        Create
      </button>
      <ProblemBox problem={problem} />
    </form>
  );
}
