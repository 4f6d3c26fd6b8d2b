// What the person sees when something fails: the backend's stable code and hint when there is one
// (ViworksError), the browser's WebAuthn refusal in words, never a stack.
export interface Problem {
  readonly code: string;
  readonly message: string;
  readonly hint?: string;
  /** The backend's fixed reasons (never values), e.g. why an attestation was refused. */
  readonly details?: readonly string[];
}

export function problemOf(e: unknown): Problem {
  const o = (e ?? {}) as {
    code?: unknown;
    message?: unknown;
    hint?: unknown;
    name?: unknown;
    details?: unknown;
  };
  const message = typeof o.message === 'string' ? o.message.slice(0, 300) : 'Something went wrong.';
  if (typeof o.code === 'string' && o.code.startsWith('VIW_E_')) {
    const details = Array.isArray(o.details)
      ? o.details.filter((d) => typeof d === 'string').slice(0, 5)
      : [];
    return {
      code: o.code,
      message,
      ...(typeof o.hint === 'string' ? { hint: o.hint } : {}),
      ...(details.length > 0 ? { details } : {}),
    };
  }
  if (o.name === 'NotAllowedError' || o.code === 'ERROR_CEREMONY_ABORTED') {
    return {
      code: 'WEBAUTHN_CANCELLED',
      message: 'Verification was cancelled or timed out.',
      hint: 'Try again.',
    };
  }
  if (o.name === 'SecurityError') {
    return {
      code: 'WEBAUTHN_INSECURE',
      message,
      hint: 'Open the app from the backend address your administrator gave you (https).',
    };
  }
  return { code: 'APP_ERROR', message };
}
