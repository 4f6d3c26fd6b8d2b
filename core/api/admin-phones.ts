// Wire contract of GET /admin/phones (docs/admin-api.md): the phones bound to users (the second
// factor that shows the login codes), with the verdict of the attestation each proved at bind.
// Objects are closed; times are ISO-8601 UTC; query numbers arrive as patterned strings.
import { type Static, type TSchema, Type } from 'typebox';
import { Id } from './admin.js';
import { closed, IsoTime } from './common.js';
import { ATTESTATION_TYPES, MOBILE_PLATFORMS } from './mobile.js';

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Limit = Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$' });
const StoredUsername = Type.String({ minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7E]+$' });

export const ATTESTATION_VERDICTS = ['pass', 'fail', 'unknown'] as const;
/** `active`: the user's bound phone (one at most); `revoked`: replaced by a newer bind. */
export const PHONE_STATUSES = ['active', 'revoked'] as const;

export const PhoneView = Type.Object(
  {
    id: Id,
    user_id: Id,
    username: StoredUsername,
    platform: Type.Enum(MOBILE_PLATFORMS),
    /** Rows are never pending: a phone is active from its bind on. */
    status: Type.Enum([...PHONE_STATUSES, 'pending_approval']),
    /** SHA-256 hex of the phone's request-signing key. */
    fingerprint: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    attestation_type: Type.Enum(ATTESTATION_TYPES),
    /** `pass` only for a verified attestation; `unknown` for a development-mode bind without one. */
    attestation_verdict: Type.Enum(ATTESTATION_VERDICTS),
    /** The attestation statement's format (packed, android-key, apple-appattest…), when verified. */
    attestation_format: Nullable(Type.String({ maxLength: 64, pattern: '^[\\x20-\\x7E]*$' })),
    attested_at: Nullable(IsoTime),
    hardware_backed: Type.Boolean(),
    user_verified: Type.Boolean(),
    bound_at: IsoTime,
    revoked_at: Nullable(IsoTime),
    /** Its last verified signed request (code fetch, reveal, deny), to the minute; null: not yet. */
    last_seen_at: Nullable(IsoTime),
  },
  closed,
);

export const ListPhonesQuery = Type.Object(
  {
    cursor: Type.Optional(Id),
    limit: Type.Optional(Limit),
    user_id: Type.Optional(Id),
    /** Default `active` (the bound phones); `all` includes the replaced ones. */
    status: Type.Optional(Type.Enum([...PHONE_STATUSES, 'all'])),
  },
  closed,
);
export const ListPhonesReply = Type.Object(
  { phones: Type.Array(PhoneView), next_cursor: Nullable(Id) },
  closed,
);

export type PhoneViewT = Static<typeof PhoneView>;
export type ListPhonesQueryT = Static<typeof ListPhonesQuery>;
