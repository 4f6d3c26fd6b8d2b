// What every page of a signed-in panel reaches: the session, the permission test, and `call`, the
// one way a page talks to the backend (it restarts the idle countdown, and a session the backend
// ended sends the panel back to the sign-in).
import { createContext, useContext } from 'react';
import type { AdminPermission } from '../../../core/api/admin.js';
import type { AdminClient } from '../../../core/backendclient/admin-client.js';
import type { SignedIn } from './session.js';

export interface PanelContext {
  readonly session: SignedIn;
  readonly can: (permission: AdminPermission) => boolean;
  /** Runs a call the administrator caused (never a background one: see idle-timer.ts). */
  readonly call: <T>(fn: (client: AdminClient) => Promise<T>) => Promise<T>;
  /**
   * Runs a call no one clicked for (a live stream, a periodic refresh): it leaves the idle
   * countdown alone, so an open page keeps no unattended panel signed in; a session the backend
   * ended still sends the panel back to the sign-in.
   */
  readonly background: <T>(fn: (client: AdminClient) => Promise<T>) => Promise<T>;
}

export const Panel = createContext<PanelContext | null>(null);

export function usePanel(): PanelContext {
  const p = useContext(Panel);
  if (!p) throw new Error('usePanel outside a signed-in panel');
  return p;
}
