// The session's countdown in the header, ticking once a second on its own (the page does not
// re-render with it): when the panel signs itself out without activity; in the last minute a
// button that keeps the session (one call to the backend restarts its idle limit); at zero,
// `onExpired` once.
import { useEffect, useRef, useState } from 'react';
import { formatCountdown, type IdleTimer } from '../idle-timer.js';

export function IdleCountdown({
  timer,
  onExpired,
  onStay,
}: {
  readonly timer: IdleTimer;
  readonly onExpired: () => void;
  readonly onStay: () => void;
}) {
  const [now, setNow] = useState(() => Date.now());
  const expired = useRef(onExpired);
  expired.current = onExpired;
  useEffect(() => {
    const id = window.setInterval(() => {
      const t = Date.now();
      setNow(t);
      if (timer.expired(t)) {
        window.clearInterval(id);
        expired.current();
      }
    }, 1000);
    return () => window.clearInterval(id);
  }, [timer]);
  const warning = timer.warning(now);
  return (
    <span
      className={warning ? 'countdown warn' : 'countdown'}
      role="timer"
      aria-live={warning ? 'assertive' : 'off'}
    >
      Signs out in <span data-testid="idle-countdown">{formatCountdown(timer.remainingMs(now))}</span>
      {warning && (
        <button type="button" onClick={onStay} data-testid="stay-signed-in">
          Stay signed in
        </button>
      )}
    </span>
  );
}
