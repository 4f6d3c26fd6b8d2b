// Any failure as the typed error the local API sends back. Its own file so that every flow and the
// engine can use it without importing one another (engine.ts ↔ restart.ts ↔ tunnel.ts was a cycle).
import type { ErrorCode } from '../../core/errors/catalogue.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { DaemonLog } from '../log/daemon-log.js';

/** Any failure as a ViworksError; unexpected ones become VIW_E_INTERNAL (logged by name only). */
export function asViworksError(err: unknown, log?: DaemonLog): ViworksError {
  if (err instanceof ViworksError) return err;
  const name = err instanceof Error ? err.name : typeof err;
  log?.error(`internal error (${name})`);
  return new ViworksError('VIW_E_INTERNAL', { cause: err });
}

/** A failure's code for a log event (anything unexpected is VIW_E_INTERNAL). */
export function codeOf(err: unknown): ErrorCode {
  return err instanceof ViworksError ? err.code : 'VIW_E_INTERNAL';
}
