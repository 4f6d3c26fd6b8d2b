// The signed-in panel: header (who, the idle countdown, sign-out), the role's navigation, and the
// page of the current hash route. Every call a page makes goes through `call` here.
import { useCallback, useMemo } from 'react';
import type { AdminClient } from '../../../../core/backendclient/admin-client.js';
import { can, landingPage } from '../access.js';
import { endsSession } from '../api.js';
import { Panel, type PanelContext } from '../context.js';
import { useHash } from '../hooks/useHash.js';
import { isReady, pageOfHash } from '../pages/catalog.js';
import { PlannedPage } from '../pages/PlannedPage.js';
import { PAGE_COMPONENTS } from '../pages/registry.js';
import type { SignedIn } from '../session.js';
import { IdleCountdown } from './IdleCountdown.js';
import { Nav } from './Nav.js';
import { useIdleTimer } from './useIdleTimer.js';

export type SignOutReason = 'asked' | 'idle' | 'ended';

export function Layout({
  client,
  session,
  onSignOut,
}: {
  readonly client: AdminClient;
  readonly session: SignedIn;
  readonly onSignOut: (reason: SignOutReason) => void;
}) {
  const { timer, touch } = useIdleTimer(session);
  const call = useCallback(
    async <T,>(fn: (c: AdminClient) => Promise<T>): Promise<T> => {
      try {
        const value = await fn(client);
        touch();
        return value;
      } catch (err) {
        if (endsSession(err)) onSignOut('ended');
        else touch(); // a refusal (403, 409) still reached the backend and restarted its idle limit
        throw err;
      }
    },
    [client, touch, onSignOut],
  );
  const background = useCallback(
    async <T,>(fn: (c: AdminClient) => Promise<T>): Promise<T> => {
      try {
        return await fn(client);
      } catch (err) {
        if (endsSession(err)) onSignOut('ended');
        throw err;
      }
    },
    [client, onSignOut],
  );
  const ctx = useMemo<PanelContext>(
    () => ({ session, call, background, can: (p) => can(session.role, p) }),
    [session, call, background],
  );
  const hash = useHash();
  const asked = pageOfHash(hash);
  const page = asked && can(session.role, asked.read) ? asked : landingPage(session.role);
  const Component = page && isReady(page.id) ? PAGE_COMPONENTS[page.id] : null;
  return (
    <Panel.Provider value={ctx}>
      <a className="skip" href="#main">
        Skip to the page
      </a>
      <header className="top">
        <strong>ViWorkS admin</strong>
        <span className="who" data-testid="who">
          {session.username} · {session.role}
        </span>
        <IdleCountdown
          timer={timer}
          onExpired={() => onSignOut('idle')}
          onStay={() => {
            call((c) => c.me()).catch(() => undefined);
          }}
        />
        <button type="button" onClick={() => onSignOut('asked')} data-testid="sign-out">
          Sign out
        </button>
      </header>
      <div className="body">
        <Nav role={session.role} current={page?.id ?? null} />
        <main id="main" tabIndex={-1} data-testid={page ? `page-${page.id}` : 'page-none'}>
          {asked && asked !== page && <p className="note">Your role cannot open that page.</p>}
          {Component ? (
            <Component />
          ) : page ? (
            <PlannedPage page={page} />
          ) : (
            <p>Your role has no pages here.</p>
          )}
        </main>
      </div>
    </Panel.Provider>
  );
}
