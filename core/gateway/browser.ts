// Isolated browser sessions (issue #18, architecture §2.1/§2.3/§3.3, threat T10): per VPN session,
// one sandboxed Chromium on the gateway (gateway/browser/), viewed from the user's own browser
// through nginx on the tunnel side of the node, at a random path of that session only.
//
//   browser_spawn s-<32hex>      stdin BrowserSpawnInput → BrowserSpawnResult
//   browser_terminate s-<32hex>  → BrowserTerminateResult
//
// Both are idempotent: spawning a session whose browser runs answers its existing viewer (with
// `changed: false`), terminating one that has none answers `removed: false`. A session must be
// authorized (vpn_user_create) first: the viewer is reachable only from its pinned VPN address.
// Targets are IPv4 literals and ports: the node has no resolver policy of its own (yet), so a name
// is resolved by the backend's policy author, not at run time inside the sandbox.
import { type Static, Type } from 'typebox';
import { closed } from '../api/common.js';

/** The display name of a browser target: what `viworks open <name>` takes. */
export const BROWSER_TARGET_NAME = '^[a-z0-9][a-z0-9-]{0,31}$';
export const MAX_BROWSER_TARGETS = 16;
/** The path a session's viewer lives under: `/b/` + 32 base64url characters (192 bits) + `/`. */
export const BROWSER_PATH = '^/b/[A-Za-z0-9_-]{32}/$';
/** The viewer's URL: plain HTTP to the node's address inside the tunnel (OpenVPN encrypts it). */
export const BROWSER_VIEWER_URL =
  '^http://(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}:[1-9][0-9]{0,4}/b/[A-Za-z0-9_-]{32}/$';

const Ipv4Literal = Type.String({
  maxLength: 15,
  pattern: '^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$',
});

export const BrowserTarget = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 32, pattern: BROWSER_TARGET_NAME }),
    host: Ipv4Literal,
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
  },
  closed,
);
export type BrowserTarget = Static<typeof BrowserTarget>;

/** What one sandbox may use (cgroup v2 where the node has it; gateway/browser/README.md). */
export const BrowserLimits = Type.Object(
  {
    memory_mb: Type.Integer({ minimum: 256, maximum: 8192 }),
    pids: Type.Integer({ minimum: 64, maximum: 4096 }),
    /** Percent of one CPU (100 = one core). */
    cpu_pct: Type.Integer({ minimum: 10, maximum: 400 }),
  },
  closed,
);
export type BrowserLimits = Static<typeof BrowserLimits>;

export const BrowserSpawnInput = Type.Object(
  {
    targets: Type.Array(BrowserTarget, { minItems: 1, maxItems: MAX_BROWSER_TARGETS }),
    /** Clipboard between the user's browser and the remote one (noVNC's clipboard channel). */
    clipboard: Type.Boolean(),
    /** Downloads and uploads in the remote browser. */
    file_transfer: Type.Boolean(),
    limits: BrowserLimits,
    /** Unix seconds: the node's reaper ends the sandbox then, whatever the backend does. */
    expires_at: Type.Integer({ minimum: 0, maximum: 2 ** 40 }),
  },
  closed,
);
export type BrowserSpawnInput = Static<typeof BrowserSpawnInput>;

export const BrowserSpawnResult = Type.Object(
  {
    session: Type.String({ pattern: '^s-[0-9a-f]{32}$' }),
    /** The viewer's URL base on the tunnel side: `http://<node VPN address>:<port><path>`. */
    url: Type.String({ maxLength: 128, pattern: BROWSER_VIEWER_URL }),
    /** The targets it was started with; the remote browser starts at the first (gateway/browser/README.md). */
    targets: Type.Array(Type.String({ pattern: BROWSER_TARGET_NAME }), { maxItems: MAX_BROWSER_TARGETS }),
    changed: Type.Boolean(),
  },
  closed,
);
export type BrowserSpawnResult = Static<typeof BrowserSpawnResult>;

export const BrowserTerminateResult = Type.Object(
  { session: Type.String({ pattern: '^s-[0-9a-f]{32}$' }), removed: Type.Boolean() },
  closed,
);
export type BrowserTerminateResult = Static<typeof BrowserTerminateResult>;
