// The verb → handler table. Its keys are exactly the contract's allowlist (the type checks it), so a
// verb can neither be added here without the contract nor be forgotten.
import {
  applyConfigInput,
  browserSpawnInput,
  type ControlVerb,
  ccdInput,
  crlUpdateInput,
  sessionFilterInput,
  sessionOpenInput,
  spaKeyAddInput,
} from '../../core/gateway/control.js';
import type { StrictValidator } from '../../core/schema/strict.js';
import { applyConfig } from '../verbs/apply-config.js';
import { browserSpawn, browserTerminate } from '../verbs/browser.js';
import { crlUpdate } from '../verbs/crl.js';
import { health } from '../verbs/health.js';
import { pullLogs } from '../verbs/pull-logs.js';
import { sessionFilter } from '../verbs/session-filter.js';
import { sessionOpen } from '../verbs/session-open.js';
import { terminateSession, updateCcd, vpnUserCreate, vpnUserDelete } from '../verbs/sessions.js';
import { spaKeyAdd, spaKeyRemove } from '../verbs/spa-keys.js';
import type { VerbHandler } from './verb.js';

export interface VerbEntry {
  readonly handler: VerbHandler;
  /** Schema of the stdin document, for verbs that read one (CONTROL_VERBS[verb].stdin). */
  // biome-ignore lint/suspicious/noExplicitAny: each entry carries its own schema type
  readonly input?: StrictValidator<any>;
}

export const VERB_HANDLERS: Record<ControlVerb, VerbEntry> = {
  health: { handler: health },
  spa_key_add: { handler: spaKeyAdd, input: spaKeyAddInput },
  spa_key_remove: { handler: spaKeyRemove },
  vpn_user_create: { handler: vpnUserCreate, input: ccdInput },
  session_open: { handler: sessionOpen, input: sessionOpenInput },
  vpn_user_delete: { handler: vpnUserDelete },
  update_ccd: { handler: updateCcd, input: ccdInput },
  session_filter: { handler: sessionFilter, input: sessionFilterInput },
  crl_update: { handler: crlUpdate, input: crlUpdateInput },
  terminate_session: { handler: terminateSession },
  pull_logs: { handler: pullLogs },
  apply_config: { handler: applyConfig, input: applyConfigInput },
  browser_spawn: { handler: browserSpawn, input: browserSpawnInput },
  browser_terminate: { handler: browserTerminate },
};
