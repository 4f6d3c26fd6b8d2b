// First sign-in (or after a reset): replace the one-time password. The rules are the backend's own
// (core/api/common.ts newPasswordProblems), checked here first so a typo costs no round trip.
import { type FormEvent, useState } from 'react';
import type { AuthReplyT } from '../../../../core/api/admin.js';
import { newPasswordProblems, PASSWORD_POLICY } from '../../../../core/api/common.js';
import type { AdminClient } from '../../../../core/backendclient/admin-client.js';
import { type Problem, problemOf } from '../api.js';
import { Field } from '../components/Field.js';
import { ProblemBox } from '../components/ProblemBox.js';

export function PasswordChangeStep({
  client,
  username,
  currentPassword,
  onAnswer,
}: {
  readonly client: AdminClient;
  readonly username: string;
  readonly currentPassword: string;
  readonly onAnswer: (reply: AuthReplyT) => void;
}) {
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [local, setLocal] = useState<string[]>([]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const problems = newPasswordProblems(username, next, next === currentPassword).map((p) =>
      p.replace(/^\/new_password: /, ''),
    );
    if (next !== again) problems.push('the two new passwords differ');
    setLocal(problems);
    if (problems.length > 0) return;
    setBusy(true);
    try {
      onAnswer(await client.changePassword(currentPassword, next));
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} aria-label="Choose a new password">
      <h2>Choose your password</h2>
      <p>
        Your current password is a one-time password. The new one needs at least {PASSWORD_POLICY.min_length}{' '}
        characters, {PASSWORD_POLICY.min_distinct_chars} of them different, and must not contain your
        username.
      </p>
      <Field
        label="New password"
        type="password"
        value={next}
        onChange={setNext}
        autoComplete="new-password"
        required
        testId="new-password"
      />
      <Field
        label="New password again"
        type="password"
        value={again}
        onChange={setAgain}
        autoComplete="new-password"
        required
        testId="new-password-again"
      />
      {local.length > 0 && (
        <ul className="problem" role="alert">
          {local.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <button type="submit" className="primary" disabled={busy} data-testid="change-password">
        Set password
      </button>
      <ProblemBox problem={problem} />
    </form>
  );
}
