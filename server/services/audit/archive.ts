// The write-once copy of the audit trail (docs/audit.md#worm): sealed batch files and their signed
// manifests, each written once and then made immutable. The batcher writes through this interface;
// server/services/audit/worm/ implements it on a Linux directory with FS_IMMUTABLE_FL.
export interface AuditArchive {
  /** The directory the copy lives in (what `audit verify --worm` reads). */
  readonly dir: string;
  /**
   * Writes `name` (a relative path such as `batches/000000000001.ndjson`; [a-z0-9._/-] only, no
   * `..`) durably (fsync'd) and makes it immutable. Writing the same bytes again is a no-op; other
   * bytes under an existing name are refused (VIW_E_CONFLICT), never overwritten.
   */
  put(name: string, data: Uint8Array): Promise<void>;
  /** Removes files older than the retention (the flag is cleared first); returns how many went. */
  sweep(now: Date): Promise<number>;
}
