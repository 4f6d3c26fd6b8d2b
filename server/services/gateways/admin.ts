// Admin API: gateways (core/api/admin-gateways.ts). Registration records a node's SSH address and its
// host key pin (from the operator, out of band: never learned on first use) and its settings; the
// `default` row the backend creates at start is filled in the same way while it is still pending and
// unpinned. A pinned host key is never changed here. Provision pushes configuration and makes the
// gateway `active`; health asks the node now.
import type { AddGatewayBodyT, GatewayViewT } from '../../../core/api/admin-gateways.js';
import type { PolicyChangeViewT } from '../../../core/api/admin-policies.js';
import { toWireId } from '../../../core/bootstrap/wire-ids.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { Gateway } from '../../data/client.js';
import { DEFAULT_GATEWAY_NAME } from '../../pki/gateway-profile.js';
import { type AdminActor, auditAdmin } from '../admin/audit-events.js';
import type { AuditService } from '../audit/service.js';
import { type PolicyAdminDeps, submitChange } from '../policy/admin-changes.js';
import { settingsOf, writeGatewayRow } from './gateway-row.js';
import { storedSettings } from './node-config.js';
import * as ops from './operations.js';
import type { GatewayControl } from './service.js';
import { policyInEffect } from './session-filter.js';

export interface GatewayAdminDeps {
  readonly db: ops.OpsDeps['db'];
  readonly audit: AuditService;
  readonly gatewayControl: GatewayControl;
  /** The FQDN the backend's `default` gateway material was issued for (config.gatewayFqdn). */
  readonly gateway: { readonly fqdn: string };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function addressesOf(row: Gateway): string[] {
  try {
    const v: unknown = JSON.parse(row.addresses);
    return Array.isArray(v) ? v.filter((a): a is string => typeof a === 'string') : [];
  } catch {
    return [];
  }
}

export function gatewayView(row: Gateway): GatewayViewT {
  return {
    id: row.id,
    name: row.name,
    fqdn: row.fqdn,
    addresses: addressesOf(row),
    status: row.status,
    ssh_host: row.sshHost,
    ssh_port: row.sshPort,
    ssh_user: row.sshUser,
    ssh_host_key_fingerprint: row.sshHostKeyFingerprint,
    settings: storedSettings(row),
    config_id: row.configId,
    provisioned_at: iso(row.provisionedAt),
    last_health_at: iso(row.lastHealthAt),
    last_health_ok: row.lastHealthOk,
    created_at: row.createdAt.toISOString(),
  };
}

const target = (name: string) => `gateway ${name}`;

export async function addGateway(
  deps: GatewayAdminDeps & PolicyAdminDeps,
  actor: AdminActor,
  body: AddGatewayBodyT,
): Promise<{ status: 'applied'; gateway: GatewayViewT } | { status: 'pending'; change: PolicyChangeViewT }> {
  // The default gateway's front-door certificate names config.gatewayFqdn: another name cannot work.
  if (body.name === DEFAULT_GATEWAY_NAME && body.fqdn !== deps.gateway.fqdn) {
    throw new ViworksError('VIW_E_CONFLICT', {
      details: [`the default gateway's certificate names ${deps.gateway.fqdn} (VIWORKS_GATEWAY_FQDN)`],
    });
  }
  // A gateway that does not take all of its clients' traffic widens access (issue #14): it waits
  // for a second administrator like any other relaxation (docs/policies.md#dual-approval).
  if (!settingsOf(body).redirect_gateway) {
    const out = await submitChange(deps, actor, {
      spec: { kind: 'gateway_add', gateway: body },
      summary: `register gateway ${body.name} without a full tunnel`,
      policy: null,
    });
    if (out.status === 'pending') return out;
    return {
      status: 'applied',
      gateway: gatewayView(await deps.db.gateway.findUniqueOrThrow({ where: { name: body.name } })),
    };
  }
  let row: Gateway;
  try {
    row = await writeGatewayRow(deps.db, body);
  } catch (err) {
    if (err instanceof ViworksError && err.code === 'VIW_E_CONFLICT')
      await auditAdmin(deps.audit, actor, {
        action: 'admin.gateway_add',
        result: 'denied',
        error_code: 'VIW_E_CONFLICT',
        error_msg: target(body.name),
      });
    throw err;
  }
  await auditAdmin(deps.audit, actor, {
    action: 'admin.gateway_add',
    result: 'success',
    error_msg: target(row.name),
  });
  return { status: 'applied', gateway: gatewayView(row) };
}

export async function listGateways(deps: GatewayAdminDeps) {
  const rows = await deps.db.gateway.findMany({ orderBy: { name: 'asc' }, take: 500 });
  return { gateways: rows.map(gatewayView) };
}

async function registered(deps: GatewayAdminDeps, name: string): Promise<Gateway> {
  const row = await deps.db.gateway.findUnique({ where: { name } });
  if (!row) throw new ViworksError('VIW_E_NOT_FOUND');
  if (row.sshHost === '' || row.sshHostKeyFingerprint === '') {
    throw new ViworksError('VIW_E_GATEWAY_NOT_READY', {
      details: [`${name}: no SSH address or host-key pin`],
    });
  }
  return row;
}

export async function provisionGateway(deps: GatewayAdminDeps, actor: AdminActor, name: string) {
  const row = await registered(deps, name);
  if (row.status === 'disabled')
    throw new ViworksError('VIW_E_CONFLICT', { details: [`${name} is disabled`] });
  try {
    const out = await ops.provision(deps.gatewayControl.ops, row, { trace_id: actor.traceId });
    await auditAdmin(deps.audit, actor, {
      action: 'admin.gateway_provision',
      result: 'success',
      error_msg: target(name),
    });
    return { gateway: gatewayView(out.row), changed: out.changed, spa_keys_synced: out.spaKeysSynced };
  } catch (err) {
    const code = err instanceof ViworksError ? err.code : 'VIW_E_INTERNAL';
    await auditAdmin(deps.audit, actor, {
      action: 'admin.gateway_provision',
      result: 'error',
      error_code: code,
      error_msg: target(name),
    });
    throw err;
  }
}

export async function gatewayHealth(deps: GatewayAdminDeps, name: string) {
  const out = await ops.health(deps.gatewayControl.ops, await registered(deps, name));
  const live = await deps.db.session.findMany({
    where: { gatewayId: out.row.id, endedAt: null },
    select: { id: true, policyId: true, policyVersion: true },
    take: 1000,
  });
  const inEffect = policyInEffect(
    out.health,
    live.map((s) => ({ sessionId: s.id, policyId: s.policyId, policyVersion: s.policyVersion })),
  );
  return {
    gateway: gatewayView(out.row),
    health: out.health,
    config_drift: out.health.config_id !== out.row.configId,
    policy_in_effect: inEffect && {
      in_effect: inEffect.inEffect,
      table_loaded: inEffect.tableLoaded,
      behind: inEffect.behind.map((id) => toWireId('s', id)),
    },
  };
}

export function controlKey(deps: GatewayAdminDeps) {
  return { public_key: deps.gatewayControl.publicKeyLine };
}
