// What a detection rule raises (server/services/detections/engine.ts) and what takes it: the alert
// store records it (Alert table), writes it into the audit stream as a critical `alert.<rule>`
// event (so it is sealed and shipped like any other), and optionally posts it to a signed webhook.

/** Alert severity: the audit severity its `alert.<rule>` event carries. */
export type AlertSeverity = 'warning' | 'error' | 'critical';

export interface RaisedAlert {
  /** The rule's id, snake_case (`otp_stuffing`, `spa_without_tls`, …; docs/detections.md). */
  readonly rule: string;
  readonly severity: AlertSeverity;
  /** What the alert is about within its rule (a user pseudonym, a source address, a gateway name). */
  readonly key: string;
  /** One printable-ASCII line for people, ≤ 200 characters. */
  readonly summary: string;
  /** Counts, addresses, ASNs, fingerprints; no secrets. JSON-serializable, small. */
  readonly fields: Readonly<Record<string, string | number | boolean | null | readonly (string | number)[]>>;
  /** The audit facts of the alert event that can be filled from the triggering events. */
  readonly context?: {
    readonly user_id?: string | null;
    readonly device_id?: string | null;
    readonly session_id?: string | null;
    readonly src_ip?: string | null;
    readonly asn?: number | null;
    readonly country?: string | null;
    readonly tls_ja3?: string | null;
    readonly policy_id?: string | null;
  };
  /** Audit sequence numbers of the events that made it fire (the last few). */
  readonly evidence: readonly number[];
  readonly firedAt: Date;
}

export interface AlertSink {
  /** Takes one alert the engine decided to raise (already de-duplicated across instances). */
  raise(alert: RaisedAlert): Promise<void>;
}
