// Identifiers on the wire (bootstrap payload, envelope AAD, client session routes) versus in the
// database. The backend's rows use UUIDs (`0190c6e2-7b1d-7c3e-9a41-5f0e2d8c1b22`); the wire form is
// a one-letter prefix + the same 128 bits as 32 lower-case hex digits (`s-0190c6e27b1d7c3e9a415f0e2d8c1b22`),
// which fits the payload's `^<p>-[A-Za-z0-9_-]{4,64}$` and the envelope's `[A-Za-z0-9_-]{1,64}`.
// The mapping is exact in both directions, so nothing needs to be stored to translate.
//   s-…  session      d-…  desktop device      p-…  policy (p-default: the built-in default)
// (Users appear only as the audit pseudonym `u-` + 24 hex, which is one-way by design.)

export type WireIdPrefix = 's' | 'd' | 'p';

const UUID_RE = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/;
const WIRE_RE = /^([sdp])-([0-9a-f]{32})$/;

/** `s-` / `d-` + the UUID's 32 hex digits. Throws RangeError for anything but a canonical UUID. */
export function toWireId(prefix: WireIdPrefix, uuid: string): string {
  const m = UUID_RE.exec(uuid.toLowerCase());
  if (!m) throw new RangeError('not a UUID');
  return `${prefix}-${m.slice(1).join('')}`;
}

/** The UUID behind a wire id of the given kind, or null when the text is not exactly one. */
export function fromWireId(prefix: WireIdPrefix, wire: string): string | null {
  const m = WIRE_RE.exec(wire);
  if (!m || m[1] !== prefix) return null;
  const h = m[2]!;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** JSON-schema pattern for a wire id of one kind (route schemas). */
export function wireIdPattern(prefix: WireIdPrefix): string {
  return `^${prefix}-[0-9a-f]{32}$`;
}
