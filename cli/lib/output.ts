// What `viworks` writes. stdout carries the result (one JSON object with --json, text otherwise);
// stderr carries prompts, progress and errors. Every error is shown with its stable code and a
// fix-it hint; the CLI may replace the catalogue hint with a more specific one (CliError).
import type { ErrorCode } from '../../core/errors/catalogue.js';
import type { ErrorBodyWire } from '../../core/errors/error-body.js';
import { isViworksError, ViworksError } from '../../core/errors/viworks-error.js';

/** The `error` member of a failed command's JSON output: `{v: 1, error: ErrorInfo}` — the one
 * error shape (core/errors/error-body.ts); trace_id is the backend's, to quote to support. */
export type ErrorInfo = ErrorBodyWire;

/** A catalogue error with the CLI's own, more specific message and hint. */
export class CliError extends ViworksError {
  readonly cliHint: string | undefined;
  constructor(code: ErrorCode, opts: { message?: string; hint?: string; details?: readonly string[] } = {}) {
    super(code, {
      ...(opts.message ? { message: opts.message } : {}),
      ...(opts.details ? { details: opts.details } : {}),
    });
    this.cliHint = opts.hint;
  }
}

/** Bad or missing input: exit 2. */
export function usageError(message: string, hint = 'See `viworks <command> --help`.'): CliError {
  return new CliError('VIW_E_VALIDATION', { message, hint });
}

/** The same error with a more specific hint (keeps the backend's trace id). */
export function withHint(err: ViworksError, hint: string): CliError {
  const out = new CliError(err.code, { message: err.message, hint, details: err.details });
  out.traceId = err.traceId;
  return out;
}

function isOclifUsageError(err: unknown): err is Error & { oclif: { exit: number } } {
  const oclif = (err as { oclif?: { exit?: unknown } } | null)?.oclif;
  return err instanceof Error && typeof oclif?.exit === 'number' && oclif.exit === 2;
}

export function toErrorInfo(err: unknown): ErrorInfo {
  if (isViworksError(err)) {
    const traceId = err.traceId;
    return {
      code: err.code,
      message: err.message,
      hint: (err instanceof CliError && err.cliHint) || err.hint,
      ...(err.details.length > 0 ? { details: [...err.details] } : {}),
      ...(traceId ? { trace_id: traceId } : {}),
    };
  }
  if (isOclifUsageError(err)) {
    // Flag parsing errors from oclif. They would echo what was typed; someone who typed a secret
    // where it does not belong must not find it in a CI log: values are cut out.
    const message =
      err.constructor.name === 'UnexpectedArgsError'
        ? 'Unexpected argument (not shown)'
        : (err.message.split('\n')[0] ?? '')
            .trim()
            .replace(/(--?[A-Za-z0-9-]+)=\S*/g, '$1=…')
            .slice(0, 256);
    return {
      code: 'VIW_E_VALIDATION',
      message: message || 'Invalid command line',
      hint: 'See `viworks <command> --help`.',
    };
  }
  // Anything else is a bug: name it, but do not echo its message (it might quote input).
  const name = err instanceof Error ? err.name : typeof err;
  const sysCode = (err as { code?: unknown } | null)?.code;
  return {
    code: 'VIW_E_INTERNAL',
    message: 'Internal error in the viworks CLI',
    hint: 'Run again; if it persists, report the command and this code to your administrator.',
    details: [typeof sysCode === 'string' ? `${name} (${sysCode})` : name],
  };
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

export function writeErrorText(info: ErrorInfo): void {
  const lines = [`viworks: ${info.code}: ${info.message}`, `  hint: ${info.hint}`];
  for (const d of info.details ?? []) lines.push(`  detail: ${d}`);
  if (info.trace_id) lines.push(`  trace id: ${info.trace_id}`);
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** Aligned columns for list output (text mode only). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
