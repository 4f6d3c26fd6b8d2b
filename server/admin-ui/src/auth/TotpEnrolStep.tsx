// First sign-in: enrol an authenticator app. The backend makes the secret once per enrolment; the
// panel shows it as a QR code of its otpauth:// link and as text, then confirms it with a code.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { AuthReplyT } from '../../../../core/api/admin.js';
import type { AdminClient } from '../../../../core/backendclient/admin-client.js';
import { type Problem, problemOf } from '../api.js';
import { CodeField } from '../components/Field.js';
import { ProblemBox } from '../components/ProblemBox.js';
import { QrCode } from '../components/QrCode.js';

interface Enrolment {
  readonly secret: string;
  readonly uri: string;
}

export function TotpEnrolStep({
  client,
  onAnswer,
}: {
  readonly client: AdminClient;
  readonly onAnswer: (reply: AuthReplyT) => void;
}) {
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  // The backend answers the enrolment once (409 after): never ask twice for one screen.
  const asked = useRef(false);
  useEffect(() => {
    if (asked.current) return;
    asked.current = true;
    client.totpEnroll().then(
      (r) => setEnrolment({ secret: r.secret, uri: r.otpauth_uri }),
      (err: unknown) => setProblem(problemOf(err)),
    );
  }, [client]);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    try {
      onAnswer(await client.totpConfirm(code.trim()));
    } catch (err) {
      setProblem(problemOf(err));
      setCode('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} aria-label="Set up your authenticator">
      <h2>Set up your authenticator</h2>
      {enrolment && (
        <>
          <p>Scan this with your authenticator app (6 digits, every 30 seconds), or type the key.</p>
          <QrCode text={enrolment.uri} label="QR code of your authenticator key" testId="totp-qr" />
          <p>
            Key <code data-testid="totp-secret">{enrolment.secret.replace(/(.{4})(?=.)/g, '$1 ')}</code>
          </p>
          <CodeField
            label="Code from the app"
            value={code}
            onChange={setCode}
            required
            testId="totp-confirm-code"
          />
          <button type="submit" className="primary" disabled={busy} data-testid="totp-confirm">
            Confirm
          </button>
        </>
      )}
      <ProblemBox problem={problem} />
    </form>
  );
}
