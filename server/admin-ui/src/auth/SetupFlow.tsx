// The first-login setup the backend requires (docs/admin-api.md "First login"): the password
// change and the TOTP enrolment, in the order the answers ask for them. Each step's answer brings a
// fresh setup token; the flow ends with a full session (`ok`, after a reset of an account that
// kept its TOTP) or with "sign in again" (`login_required`, after a first enrolment).
import { useState } from 'react';
import type { AuthReplyT } from '../../../../core/api/admin.js';
import type { AdminClient } from '../../../../core/backendclient/admin-client.js';
import { PasswordChangeStep } from './PasswordChangeStep.js';
import { TotpEnrolStep } from './TotpEnrolStep.js';

export function SetupFlow({
  client,
  first,
  password,
  onFinished,
}: {
  readonly client: AdminClient;
  readonly first: AuthReplyT;
  readonly password: string;
  readonly onFinished: (reply: AuthReplyT) => void;
}) {
  const [reply, setReply] = useState(first);
  const next = (r: AuthReplyT) => {
    client.setSessionToken(r.token ?? null);
    if (r.state === 'setup_required') setReply(r);
    else onFinished(r);
  };
  return (
    <main className="sign-in">
      <h1>ViWorkS admin</h1>
      <p>
        Welcome, {reply.username}. Finish setting up your account ({reply.required.length} step
        {reply.required.length === 1 ? '' : 's'} left).
      </p>
      {reply.required[0] === 'password_change' ? (
        <PasswordChangeStep
          client={client}
          username={reply.username}
          currentPassword={password}
          onAnswer={next}
        />
      ) : (
        <TotpEnrolStep client={client} onAnswer={next} />
      )}
    </main>
  );
}
