// One delivery path of the audit stream to a SIEM (pki-siem §4.4, docs/audit.md#shipping). The
// shipper (shipper.ts) owns the spool, ordering, retries and back-pressure; a transport only
// delivers one batch and says whether the receiver has it.
import type { ShippedRecord } from '../../../../core/siem/format.js';

/** One stored event as it leaves the backend (the contract lives in core/siem, beside its formats). */
export type { ShippedRecord } from '../../../../core/siem/format.js';

export type ShipPath = 'syslog' | 'https';

export interface ShipTransport {
  readonly path: ShipPath;
  /**
   * Delivers records (ascending seq) and resolves only once the receiver provably has every one of
   * them (syslog: it read the stream to our close; HTTPS: a 2xx with no per-item error). Rejects
   * with a ShipError; the shipper then retries the whole batch (receivers de-duplicate by seq).
   */
  send(records: readonly ShippedRecord[]): Promise<void>;
  close(): Promise<void>;
}

export class ShipError extends Error {
  constructor(
    message: string,
    /** false: retrying cannot help (e.g. 400/401/413), the shipper alerts and backs off long. */
    readonly retryable: boolean,
    /** From a Retry-After answer, in ms. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
    this.name = 'ShipError';
  }
}
