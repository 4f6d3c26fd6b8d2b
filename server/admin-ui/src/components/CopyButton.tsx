// Copies a secret shown once (a one-time password, an enrollment token) to the clipboard.
import { useState } from 'react';

export function CopyButton({ text, testId }: { readonly text: string; readonly testId?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = () => {
    navigator.clipboard.writeText(text).then(
      () => setState('copied'),
      () => setState('failed'),
    );
  };
  return (
    <>
      <button type="button" onClick={copy} data-testid={testId}>
        Copy
      </button>
      <span className="status" aria-live="polite">
        {state === 'copied'
          ? 'Copied.'
          : state === 'failed'
            ? 'Copy failed: select the text and copy it.'
            : ''}
      </span>
    </>
  );
}
