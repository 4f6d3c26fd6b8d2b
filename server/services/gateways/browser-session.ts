// A session's isolated browser on its gateway (issue #18; core/gateway/browser.ts): spawned at
// bootstrap when the session's policy grants browser targets, ended with the session (the node's
// vpn_user_delete removes it, and its reaper ends it at the session's expiry whatever we do).
// The viewer URL carries a random path that is a capability: it goes into the sealed bootstrap
// only, never into an audit event (runControl audits the verb and its outcome, not the reply).
import { toWireId } from '../../../core/bootstrap/wire-ids.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import {
  type BrowserLimits,
  type BrowserSpawnResult,
  BrowserSpawnResult as BrowserSpawnResultSchema,
  type BrowserTarget,
} from '../../../core/gateway/browser.js';
import { strictValidator } from '../../../core/schema/strict.js';
import type { Gateway } from '../../data/client.js';
import { targetOf } from './operations.js';
import { type CommandContext, type RunnerDeps, runControl } from './runner.js';

/** What one sandbox may use: a browser with a few tabs, one core at most. */
export const BROWSER_LIMITS: BrowserLimits = { memory_mb: 1024, pids: 512, cpu_pct: 100 };

export interface BrowserGrant {
  readonly targets: readonly BrowserTarget[];
  readonly clipboard: boolean;
  readonly fileTransfer: boolean;
}

/** The viewer the client opens, and which targets it shows. */
export interface BrowserViewer {
  readonly url: string;
  readonly targets: readonly string[];
}

const spawnResult = strictValidator(BrowserSpawnResultSchema);

export async function spawnSessionBrowser(
  deps: { readonly runner: RunnerDeps },
  row: Gateway,
  s: { readonly sessionId: string; readonly expiresAt: Date; readonly grant: BrowserGrant },
  facts: CommandContext = {},
): Promise<BrowserViewer> {
  const reply = await runControl(
    deps.runner,
    targetOf(row),
    {
      verb: 'browser_spawn',
      args: [toWireId('s', s.sessionId)],
      stdin: {
        targets: s.grant.targets.map((t) => ({ ...t })),
        clipboard: s.grant.clipboard,
        file_transfer: s.grant.fileTransfer,
        limits: BROWSER_LIMITS,
        expires_at: Math.floor(s.expiresAt.getTime() / 1000),
      },
    },
    { session_id: s.sessionId, ...facts },
  );
  if (!spawnResult.check(reply.result))
    throw new ViworksError('VIW_E_GATEWAY_COMMAND', {
      details: [`${row.name} browser_spawn: result does not match`],
    });
  const result: BrowserSpawnResult = reply.result;
  return { url: result.url, targets: result.targets };
}
