// An action that changes something for someone else (lock, reset, revoke, unbind): the first click
// asks, the second does it. In the page, not a browser dialog, so the keyboard stays in the table.
import { useState } from 'react';

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
  if (!asking)
    return (
      <button
        type="button"
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
    <fieldset className="confirm">
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
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </fieldset>
  );
}
