// browsers.json in state_dir (0600, like every state file): per session with a browser, its viewer
// path (the capability — only root reads this file), where its sandbox's viewer is, and what it was
// started with, so a repeated browser_spawn answers the same URL and a different one is refused.
import { type Static, Type } from 'typebox';
import { BROWSER_PATH, BROWSER_TARGET_NAME } from '../../core/gateway/browser.js';
import { SESSION_WIRE_ID } from '../../core/gateway/control.js';
import { closed, strictValidator } from '../../core/schema/strict.js';
import { readJsonState, writeJsonState } from '../state/json-state.js';

const Ipv4 = Type.String({ pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$' });

const BrowserRecord = Type.Object(
  {
    path: Type.String({ pattern: BROWSER_PATH }),
    /** The session's VPN address the location allows. */
    client_address: Ipv4,
    upstream: Type.Object({ address: Ipv4, port: Type.Integer({ minimum: 1, maximum: 65535 }) }, closed),
    targets: Type.Array(Type.String({ pattern: BROWSER_TARGET_NAME })),
    /** sha256 of the spawn document without its expiry: another one for the session is a conflict. */
    spec: Type.String({ pattern: '^[0-9a-f]{64}$' }),
    expires_at: Type.Integer({ minimum: 0 }),
  },
  closed,
);
export type BrowserRecord = Static<typeof BrowserRecord>;

const BrowsersState = Type.Object(
  { v: Type.Literal(1), browsers: Type.Record(Type.String({ pattern: SESSION_WIRE_ID }), BrowserRecord) },
  closed,
);
export type BrowsersState = Static<typeof BrowsersState>;
const browsers = strictValidator(BrowsersState);

const FILE = 'browsers.json';

export const readBrowsers = (dir: string): BrowsersState =>
  readJsonState(dir, FILE, browsers, { v: 1, browsers: {} });
export const writeBrowsers = (dir: string, s: BrowsersState): boolean => writeJsonState(dir, FILE, s);

/** Removes the session's record; returns whether it had one. */
export function forgetBrowser(dir: string, sessionId: string): boolean {
  const state = readBrowsers(dir);
  if (!Object.hasOwn(state.browsers, sessionId)) return false;
  delete state.browsers[sessionId];
  writeBrowsers(dir, state);
  return true;
}
