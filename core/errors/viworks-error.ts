import { ERRORS, type ErrorBody, type ErrorCode, isErrorCode } from './catalogue.js';

/**
 * The one error type that crosses layers. `details` are short, safe strings (field paths, check
 * names); never put a secret in them. The underlying cause is kept for logs, not for the wire.
 */
export class ViworksError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly hint: string;
  readonly details: readonly string[];
  /** The server's trace id of the request that failed, when one answered (for support). */
  traceId: string | undefined;

  constructor(
    code: ErrorCode,
    opts: { message?: string; details?: readonly string[]; cause?: unknown } = {},
  ) {
    const spec = ERRORS[code];
    super(opts.message ?? spec.message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ViworksError';
    this.code = code;
    this.status = spec.status;
    this.hint = spec.hint;
    this.details = opts.details ?? [];
    this.traceId = undefined;
  }

  toBody(traceId?: string): ErrorBody {
    return {
      code: this.code,
      message: this.message,
      hint: this.hint,
      ...(this.details.length > 0 ? { details: this.details } : {}),
      ...(traceId ? { trace_id: traceId } : {}),
    };
  }

  /** Rebuilds a typed error from a wire body; unknown codes become VIW_E_INTERNAL. */
  static fromBody(body: unknown): ViworksError {
    if (typeof body === 'object' && body !== null) {
      const b = body as Record<string, unknown>;
      if (isErrorCode(b.code)) {
        const details = Array.isArray(b.details) ? b.details.filter((d) => typeof d === 'string') : undefined;
        const err = new ViworksError(b.code, {
          ...(typeof b.message === 'string' ? { message: b.message } : {}),
          ...(details ? { details } : {}),
        });
        if (typeof b.trace_id === 'string' && /^[A-Za-z0-9-]{8,64}$/.test(b.trace_id))
          err.traceId = b.trace_id;
        return err;
      }
    }
    return new ViworksError('VIW_E_INTERNAL');
  }
}

export function isViworksError(err: unknown, code?: ErrorCode): err is ViworksError {
  return err instanceof ViworksError && (code === undefined || err.code === code);
}
