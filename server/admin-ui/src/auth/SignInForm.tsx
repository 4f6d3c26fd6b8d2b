// Sign-in: username, password and — once enrolled — the authenticator's code, in one form. The
// backend gives one answer to every failure (unknown name, wrong password, missing or wrong code),
// so the panel cannot learn afterwards that a code was needed without spending a failed attempt
// against the account's lockout; the code field is therefore there from the start, and left empty
// only at the first sign-in (the backend ignores a code for an account without TOTP).
import { type FormEvent, useState } from 'react';
import type { AuthReplyT } from '../../../../core/api/admin.js';
import type { AdminClient } from '../../../../core/backendclient/admin-client.js';
import { type Problem, problemOf } from '../api.js';
import { ProblemBox } from '../components/ProblemBox.js';

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
      {notice && (
        <p className="note" role="status" data-testid="notice">
          {notice}
        </p>
      )}
      <form onSubmit={submit} aria-label="Sign in">
        <label>
          Username
          <input
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            autoComplete="username"
            spellCheck={false}
            required
            data-testid="username"
          />
        </label>
        <label>
          Password
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            autoComplete="current-password"
            required
            data-testid="password"
          />
        </label>
        <label>
          Authenticator code
          <input
            value={code}
            onChange={(e) => setCode(e.target.value)}
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9]{6}"
            maxLength={6}
            aria-describedby="code-help"
            data-testid="totp"
          />
        </label>
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
