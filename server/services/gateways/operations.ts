// What the backend does to a gateway node, one function per operation, each a short sequence of
// control verbs through the runner (retries + audit). Callers decide when (service.ts): provision
// from the admin API, keys and sessions from the bootstrap / session-end / device hooks, health and
// audit ingestion from the poller. Key material is opened only for the one command that carries it
// and wiped right after.
import { toWireId } from '../../../core/bootstrap/wire-ids.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { type HealthResult, healthResult, type SpaKeyAddInput } from '../../../core/gateway/control.js';
import type { Db, Gateway } from '../../data/client.js';
import type { AuditService } from '../audit/service.js';
import { readDeviceSpaKeys, type SpaKeys, wipeSpaKeys } from '../device/spa-keys.js';
import { applyConfigFor, currentVpnCrl, type MaterialSources } from './node-config.js';
import { type CommandContext, type GatewayRef, type RunnerDeps, runControl } from './runner.js';
import { type SessionFilterSpec, sessionFilterRequest } from './session-filter.js';

export interface OpsDeps {
  readonly db: Db;
  readonly audit: AuditService;
  readonly secrets: { readonly spaWrapKey: Uint8Array };
  readonly material: MaterialSources;
  readonly runner: RunnerDeps;
  readonly now: () => Date;
}

export type GatewayRow = Gateway;

export function targetOf(row: GatewayRow): GatewayRef {
  return {
    name: row.name,
    host: row.sshHost,
    port: row.sshPort,
    username: row.sshUser,
    hostKeyFingerprint: row.sshHostKeyFingerprint,
  };
}

/** Installs one device's SPA keys on the node; false when the device has none yet (nothing to do). */
export async function syncDeviceKeys(
  deps: OpsDeps,
  row: GatewayRow,
  deviceId: string,
  facts: CommandContext = {},
): Promise<boolean> {
  const keys = await readDeviceSpaKeys(deps, deviceId);
  if (!keys) return false;
  try {
    await runControl(
      deps.runner,
      targetOf(row),
      { verb: 'spa_key_add', args: [toWireId('d', deviceId)], stdin: spaKeyDocument(keys) },
      { device_id: deviceId, ...facts },
    );
    return true;
  } finally {
    wipeSpaKeys(keys);
  }
}

export async function removeDeviceKeys(deps: OpsDeps, row: GatewayRow, deviceId: string): Promise<void> {
  await runControl(
    deps.runner,
    targetOf(row),
    { verb: 'spa_key_remove', args: [toWireId('d', deviceId)] },
    { device_id: deviceId },
  );
}

/** The node's document for a device's SPA keys (spa_key_add, and session_open's `spa`). */
function spaKeyDocument(keys: SpaKeys): SpaKeyAddInput {
  return { key_base64: keys.encKey.toString('base64'), hmac_key_base64: keys.hmacKey.toString('base64') };
}

/**
 * A bootstrap's gateway step as one command (session_open): the device's SPA keys, the session's
 * CCD entry (without it OpenVPN, ccd-exclusive, refuses the session's certificate) and its policy's
 * forwarding. One SSH exec on the connect path; the node runs the three steps under one lock and
 * fails the command at the first that fails. The keys are the bootstrap's own (read once there,
 * wiped by it).
 */
export async function openSession(
  deps: OpsDeps,
  row: GatewayRow,
  s: {
    readonly sessionId: string;
    readonly deviceId: string;
    readonly spaKeys: SpaKeys;
    readonly expiresAt: Date;
    readonly pushRoutes: readonly string[];
  },
  filter: SessionFilterSpec,
  facts: CommandContext = {},
): Promise<void> {
  const stdin = {
    spa: spaKeyDocument(s.spaKeys),
    ccd: { push_routes: [...s.pushRoutes], expires_at: Math.floor(s.expiresAt.getTime() / 1000) },
    filter: sessionFilterRequest(filter).stdin,
  };
  await runControl(
    deps.runner,
    targetOf(row),
    { verb: 'session_open', args: [toWireId('s', s.sessionId), toWireId('d', s.deviceId)], stdin },
    { session_id: s.sessionId, device_id: s.deviceId, ...facts },
  );
}

/**
 * Puts one session's policy networks on its gateway (session_filter: the node's per-session
 * forwarding rules, applied to a live tunnel at once). The node must already know the session.
 */
export async function filterSession(
  deps: OpsDeps,
  row: GatewayRow,
  spec: SessionFilterSpec,
  facts: CommandContext = {},
): Promise<void> {
  await runControl(deps.runner, targetOf(row), sessionFilterRequest(spec), {
    session_id: spec.sessionId,
    ...facts,
  });
}

/** Cuts the live tunnel and removes the CCD entry; both are tried, the first failure is thrown. */
export async function endSessionOnGateway(deps: OpsDeps, row: GatewayRow, sessionId: string): Promise<void> {
  const args = [toWireId('s', sessionId)];
  let firstFailure: unknown;
  for (const verb of ['terminate_session', 'vpn_user_delete'] as const) {
    try {
      await runControl(deps.runner, targetOf(row), { verb, args }, { session_id: sessionId });
    } catch (err) {
      firstFailure ??= err;
    }
  }
  if (firstFailure) throw firstFailure;
}

export async function pushCrl(deps: OpsDeps, row: GatewayRow): Promise<void> {
  await runControl(deps.runner, targetOf(row), {
    verb: 'crl_update',
    args: [],
    stdin: { crl_pem: [await currentVpnCrl(deps.material.crl)] },
  });
}

export interface ProvisionOutcome {
  readonly row: GatewayRow;
  readonly changed: boolean;
  readonly spaKeysSynced: number;
}

/**
 * apply_config with the node's settings and material, then the SPA keys of every enrolled,
 * non-revoked device that has keys; only then is the gateway `active`.
 */
export async function provision(deps: OpsDeps, row: GatewayRow, facts: CommandContext = {}) {
  const doc = await applyConfigFor(deps.material, row);
  const reply = await runControl(
    deps.runner,
    targetOf(row),
    { verb: 'apply_config', args: [], stdin: doc },
    facts,
  );
  const withKeys = await deps.db.deviceSpaKey.findMany({
    where: { device: { status: { not: 'revoked' } } },
    select: { deviceId: true },
  });
  let synced = 0;
  for (const { deviceId } of withKeys) {
    if (await syncDeviceKeys(deps, row, deviceId, facts)) synced++;
  }
  const updated = await deps.db.gateway.update({
    where: { id: row.id },
    data: { status: 'active', provisionedAt: deps.now(), configId: doc.config_id },
  });
  return { row: updated, changed: reply.changed ?? true, spaKeysSynced: synced } satisfies ProvisionOutcome;
}

/** Runs health and records when and whether it passed (all three services running). */
export async function health(
  deps: OpsDeps,
  row: GatewayRow,
): Promise<{ row: GatewayRow; health: HealthResult }> {
  try {
    const reply = await runControl(deps.runner, targetOf(row), { verb: 'health', args: [] });
    if (!healthResult.check(reply.result)) {
      throw new ViworksError('VIW_E_GATEWAY_COMMAND', {
        details: [`${row.name} health: result does not match`],
      });
    }
    const result = reply.result;
    const ok = Object.values(result.services).every((s) => s.running);
    const updated = await deps.db.gateway.update({
      where: { id: row.id },
      data: { lastHealthAt: deps.now(), lastHealthOk: ok },
    });
    return { row: updated, health: result };
  } catch (err) {
    await deps.db.gateway.update({
      where: { id: row.id },
      data: { lastHealthAt: deps.now(), lastHealthOk: false },
    });
    throw err;
  }
}
