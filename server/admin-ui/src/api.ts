// The panel's one backend client: the typed AdminClient over the browser's same-origin
// FetchTransport (core/backendclient). It holds the session token, and only it: the token lives in
// this object's memory and nowhere else (no storage, no cookie), so a reload signs the panel out.
import { AdminClient } from '../../../core/backendclient/admin-client.js';
import { FetchTransport } from '../../../core/backendclient/fetch-transport.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';

export function createAdminClient(): AdminClient {
  return new AdminClient(new FetchTransport());
}

/** What the panel shows of a failure: the stable code, the backend's message and fix-it hint. */
export interface Problem {
  readonly code: string;
  readonly message: string;
  readonly hint: string;
  readonly details: readonly string[];
  readonly traceId: string | null;
}

export function problemOf(err: unknown): Problem {
  const e = err instanceof ViworksError ? err : new ViworksError('VIW_E_INTERNAL', { cause: err });
  return { code: e.code, message: e.message, hint: e.hint, details: e.details, traceId: e.traceId ?? null };
}

/** Answers meaning the session is gone (idle, ended elsewhere, account changed): sign in again. */
export function endsSession(err: unknown): boolean {
  return (
    err instanceof ViworksError && (err.code === 'VIW_E_TOKEN_INVALID' || err.code === 'VIW_E_AUTH_REQUIRED')
  );
}
