// Sign-in: username, password and — once enrolled — the authenticator's code, in one form. The
// backend gives one answer to every failure (unknown name, wrong password, missing or wrong code),
// so the panel cannot learn afterwards that a code was needed without spending a failed attempt
// against the account's lockout; the code field is therefore there from the start, and left empty
// only at the first sign-in (the backend ignores a code for an account without TOTP).
import { type FormEvent, useState } from 'react';
import type { AuthReplyT } from '../../../../core/api/admin.js';
import type { AdminClient } from '../../../../core/backendclient/admin-client.js';
import { type Problem, problemOf } from '../api.js';
import { CodeField, Field } from '../components/Field.js';
import { ProblemBox } from '../components/ProblemBox.js';
import { StatusNote } from '../components/StatusNote.js';

export function SignInForm({
  client,
  notice,
  onAnswer,
}: {
  readonly client: AdminClient;
  readonly notice: string | null;
  /** The backend's answer, and the password typed (the first-login password change needs it). */
  readonly onAnswer: (reply: AuthReplyT, password: string) => void;
}) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      const reply = await client.login(username.trim(), password, code.trim() || undefined);
      onAnswer(reply, password);
    } catch (err) {
      setProblem(problemOf(err));
      setCode('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="sign-in">
      <h1>ViWorkS admin</h1>
      <StatusNote note={notice} testId="notice" />
      <form onSubmit={submit} aria-label="Sign in">
        <Field
          label="Username"
          value={username}
          onChange={setUsername}
          autoComplete="username"
          spellCheck={false}
          required
          testId="username"
        />
        <Field
          label="Password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="current-password"
          required
          testId="password"
        />
        <CodeField
          label="Authenticator code"
          value={code}
          onChange={setCode}
          aria-describedby="code-help"
          testId="totp"
        />
        <p id="code-help" className="muted">
          Six digits from your authenticator app. Leave it empty only at your first sign-in.
        </p>
        <button type="submit" className="primary" disabled={busy} data-testid="sign-in">
          Sign in
        </button>
      </form>
      <ProblemBox problem={problem} />
    </main>
  );
}
