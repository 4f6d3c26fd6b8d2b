// Errors as the TUI shows them: the wire shape's code, message, hint and trace id only — never its
// details, a cause or a stack (the spec's redacted errors, with a copyable diagnostic code).
import type { ErrorBodyWire } from '../core/errors/error-body.js';
import { isViworksError } from '../core/errors/viworks-error.js';

export type ShownError = Pick<ErrorBodyWire, 'code' | 'message' | 'hint' | 'trace_id'>;

export function shownError(err: unknown): ShownError {
  if (isViworksError(err)) {
    return {
      code: err.code,
      message: err.message,
      hint: err.hint,
      ...(err.traceId ? { trace_id: err.traceId } : {}),
    };
  }
  return {
    code: 'VIW_E_INTERNAL',
    message: 'Unexpected error',
    hint: 'Run `viworks logs` and report the code.',
  };
}

/** The one line support asks for: the code, and the backend's trace id when one answered. */
export const diagnosticCode = (e: ShownError): string => (e.trace_id ? `${e.code}/${e.trace_id}` : e.code);
