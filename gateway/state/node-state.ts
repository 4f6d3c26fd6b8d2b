// The gateway's durable state in state_dir, each a small closed-schema JSON file (0600):
// - spa-keys.json: every enrolled device's fwknop keys (access.conf is rendered from it);
// - sessions.json: authorized VPN sessions — when they expire, the VPN address the node pinned for
//   each, and the policy their forwarding rules come from (the CCD files and the nftables table
//   are their effect);
// - applied.json: the last applied settings and config_id, and what each service last started with.
import { type Static, Type } from 'typebox';
import {
  DEVICE_WIRE_ID,
  GatewaySettings,
  PolicyTag,
  SESSION_WIRE_ID,
  SessionFilterInput,
  SpaKeyAddInput,
} from '../../core/gateway/control.js';
import { closed, strictValidator } from '../../core/schema/strict.js';
import { readJsonState, writeJsonState } from './json-state.js';

const SpaKeysState = Type.Object(
  { v: Type.Literal(1), devices: Type.Record(Type.String({ pattern: DEVICE_WIRE_ID }), SpaKeyAddInput) },
  closed,
);
export type SpaKeysState = Static<typeof SpaKeysState>;

const SessionRecord = Type.Object(
  {
    expires_at: Type.Integer({ minimum: 0 }),
    /** Pinned VPN address (ifconfig-push); absent until the node has a pool (apply_config). */
    address: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$' })),
    /** The last session_filter applied (canonical networks); absent: the node's push_routes. */
    filter: Type.Optional(
      Type.Object({ policy: PolicyTag, networks: SessionFilterInput.properties.networks }, closed),
    ),
  },
  closed,
);
export type SessionRecord = Static<typeof SessionRecord>;

const SessionsState = Type.Object(
  {
    v: Type.Literal(1),
    sessions: Type.Record(Type.String({ pattern: SESSION_WIRE_ID }), SessionRecord),
  },
  closed,
);
export type SessionsState = Static<typeof SessionsState>;

const Digest = Type.String({ pattern: '^[0-9a-f]{64}$' });
const AppliedState = Type.Object(
  {
    v: Type.Literal(1),
    /** Set only once an apply_config finished completely. */
    config_id: Type.Union([Digest, Type.Null()]),
    /** The settings of the last apply_config that got as far as writing files. */
    settings: Type.Union([GatewaySettings, Type.Null()]),
    /** sha256 of the inputs each service was last (re)started with. */
    services: Type.Object(
      { fwknopd: Type.Optional(Digest), stunnel: Type.Optional(Digest), openvpn: Type.Optional(Digest) },
      closed,
    ),
  },
  closed,
);
export type AppliedState = Static<typeof AppliedState>;

const spaKeys = strictValidator(SpaKeysState);
const sessions = strictValidator(SessionsState);
const applied = strictValidator(AppliedState);

export const readSpaKeys = (dir: string): SpaKeysState =>
  readJsonState(dir, 'spa-keys.json', spaKeys, { v: 1, devices: {} });
export const writeSpaKeys = (dir: string, s: SpaKeysState): boolean =>
  writeJsonState(dir, 'spa-keys.json', s);

export const readSessions = (dir: string): SessionsState =>
  readJsonState(dir, 'sessions.json', sessions, { v: 1, sessions: {} });
export const writeSessions = (dir: string, s: SessionsState): boolean =>
  writeJsonState(dir, 'sessions.json', s);

export const readApplied = (dir: string): AppliedState =>
  readJsonState(dir, 'applied.json', applied, { v: 1, config_id: null, settings: null, services: {} });
export const writeApplied = (dir: string, s: AppliedState): boolean => writeJsonState(dir, 'applied.json', s);
