// A secret the backend shows once (a one-time password, a fleet enrollment token): on screen with a
// copy button until the administrator says Done; then it is gone from the page and from memory.
import type { ReactNode } from 'react';
import { CopyButton } from './CopyButton.js';

export function OneTimeSecret({
  title,
  value,
  testId,
  onDone,
  children,
}: {
  readonly title: string;
  readonly value: string;
  readonly testId: string;
  readonly onDone: () => void;
  readonly children?: ReactNode;
}) {
  return (
    <section className="secret" aria-label={title}>
      <h3>{title}</h3>
      <p>Shown once: copy it now. The backend keeps only its hash.</p>
      <p>
        <code className="secret-value" data-testid={testId}>
          {value}
        </code>
      </p>
      <CopyButton text={value} testId={`${testId}-copy`} />
      {children}
      <p>
        <button type="button" onClick={onDone} data-testid={`${testId}-done`}>
          Done
        </button>
      </p>
    </section>
  );
}
