// An action that changes something for someone else (lock, reset, revoke, unbind): the first click
// asks, the second does it. In the page, not a browser dialog, so the keyboard stays in the table:
// the question takes the focus (on Cancel, the safe answer), Escape cancels, and a cancel gives the
// focus back to the button that asked.
import { useEffect, useRef, useState } from 'react';

export function ConfirmButton({
  label,
  question,
  onConfirm,
  testId,
  danger = false,
}: {
  readonly label: string;
  readonly question: string;
  readonly onConfirm: () => Promise<void> | void;
  readonly testId: string;
  readonly danger?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking) cancel.current?.focus();
    else if (wasAsking.current) trigger.current?.focus(); // gone after a confirmed action: no-op
    wasAsking.current = asking;
  }, [asking]);
  if (!asking)
    return (
      <button
        type="button"
        ref={trigger}
        className={danger ? 'danger' : undefined}
        onClick={() => setAsking(true)}
        data-testid={testId}
      >
        {label}
      </button>
    );
  const confirm = async () => {
    setBusy(true);
    try {
      await onConfirm();
    } finally {
      setBusy(false);
      setAsking(false);
    }
  };
  return (
    <fieldset
      className="confirm"
      onKeyDown={(e) => {
        if (e.key === 'Escape') setAsking(false);
      }}
    >
      <legend>{question}</legend>
      <button
        type="button"
        className={danger ? 'danger' : 'primary'}
        disabled={busy}
        onClick={confirm}
        data-testid={`${testId}-confirm`}
      >
        Yes, {label.toLowerCase()}
      </button>
      <button type="button" ref={cancel} onClick={() => setAsking(false)} data-testid={`${testId}-cancel`}>
        Cancel
      </button>
    </fieldset>
  );
}
