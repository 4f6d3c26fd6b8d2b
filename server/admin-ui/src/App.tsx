// The panel's states: signed out (the sign-in form) → first-login setup when the backend requires
// it → signed in. Signing out, idling out or a session the backend ended all come back to the
// sign-in, with the token dropped from memory.
import { useCallback, useMemo, useState } from 'react';
import type { AuthReplyT } from '../../../core/api/admin.js';
import { createAdminClient } from './api.js';
import { SetupFlow } from './auth/SetupFlow.js';
import { SignInForm } from './auth/SignInForm.js';
import { Layout, type SignOutReason } from './layout/Layout.js';
import { type SignedIn, signedInFrom } from './session.js';

type Phase =
  | { readonly kind: 'sign-in'; readonly notice: string | null }
  | { readonly kind: 'setup'; readonly reply: AuthReplyT; readonly password: string }
  | { readonly kind: 'in'; readonly session: SignedIn };

const NOTICES: Readonly<Record<SignOutReason, string>> = {
  asked: 'You are signed out.',
  idle: 'You were signed out after a time without activity.',
  ended: 'Your session ended (signed out elsewhere, or your account changed). Sign in again.',
};

export function App() {
  const client = useMemo(createAdminClient, []);
  const [phase, setPhase] = useState<Phase>({ kind: 'sign-in', notice: null });

  const answered = useCallback(
    (reply: AuthReplyT, password: string) => {
      client.setSessionToken(reply.token ?? null);
      if (reply.state === 'ok') setPhase({ kind: 'in', session: signedInFrom(reply) });
      else if (reply.state === 'setup_required') setPhase({ kind: 'setup', reply, password });
      else setPhase({ kind: 'sign-in', notice: 'Sign in again with your new credentials.' });
    },
    [client],
  );
  const signOut = useCallback(
    (reason: SignOutReason) => {
      // The backend ends the session at once; an idle or ended one is already gone there.
      if (reason !== 'ended') client.logout().catch(() => undefined);
      client.setSessionToken(null);
      setPhase({ kind: 'sign-in', notice: NOTICES[reason] });
    },
    [client],
  );

  if (phase.kind === 'in') return <Layout client={client} session={phase.session} onSignOut={signOut} />;
  if (phase.kind === 'setup')
    return (
      <SetupFlow
        client={client}
        first={phase.reply}
        password={phase.password}
        onFinished={(reply) =>
          reply.state === 'ok'
            ? setPhase({ kind: 'in', session: signedInFrom(reply) })
            : setPhase({
                kind: 'sign-in',
                notice:
                  'Setup complete. Sign in with your new password and a code from your authenticator app.',
              })
        }
      />
    );
  return <SignInForm client={client} notice={phase.notice} onAnswer={answered} />;
}
