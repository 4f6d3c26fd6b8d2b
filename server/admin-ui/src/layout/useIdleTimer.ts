// The session's IdleTimer (idle-timer.ts), kept for the life of the signed-in layout: `touch` after
// every call the administrator caused. The countdown component reads it once a second.
import { useCallback, useRef } from 'react';
import { IdleTimer } from '../idle-timer.js';
import type { SignedIn } from '../session.js';

export function useIdleTimer(session: SignedIn): { readonly timer: IdleTimer; readonly touch: () => void } {
  const ref = useRef<IdleTimer | null>(null);
  ref.current ??= new IdleTimer(session.idleMs, session.expiresAt, Date.now());
  const timer = ref.current;
  const touch = useCallback(() => timer.touch(Date.now()), [timer]);
  return { timer, touch };
}
