// `viworks-server pki roll backend-api|tls-gateway [--json]` (procedure: server/pki/pin-roll.ts).
// Prints the new pin set (human text, or exactly the PinRollReport with --json) and records a
// pki.pin_roll audit event. Exit 64 on a usage error.
import type { ServerConfig } from '../config.js';
import { openDatabase } from '../data/database.js';
import { isPinRollTarget, PIN_ROLL_TARGETS, type PinRollReport, rollPins } from '../pki/pin-roll.js';
import { loadOrCreateSecrets } from '../secrets.js';
import { AuditService } from '../services/audit/service.js';
import { splitNames } from '../start.js';

export const PKI_USAGE = `  pki roll backend-api|tls-gateway
                 pin roll: the backup key becomes primary, a new backup key is made; prints both pins`;

export async function pkiCommand(
  config: ServerConfig,
  args: readonly string[],
  json: boolean,
): Promise<number> {
  const [verb, target, ...rest] = args;
  if (verb !== 'roll' || !isPinRollTarget(target) || rest.length > 0) {
    process.stderr.write(`usage: viworks-server pki roll ${PIN_ROLL_TARGETS.join('|')} [--json]\n`);
    return 64;
  }
  const report = await rollPins(config, splitNames(config.publicNames), target);
  await auditRoll(config, report);
  process.stdout.write(json ? `${JSON.stringify(report)}\n` : formatReport(report));
  return 0;
}

async function auditRoll(config: ServerConfig, report: PinRollReport): Promise<void> {
  const database = await openDatabase({ url: config.databaseUrl ?? undefined, dataDir: config.dataDir });
  try {
    const audit = new AuditService(
      database.db,
      { env: config.audit.env, site: config.audit.site, tenant_id: config.audit.tenant },
      loadOrCreateSecrets(config.dataDir).pseudonymKey,
      { dataDir: config.dataDir },
    );
    await audit.record({ component: 'pki', action: 'pki.pin_roll', result: 'success', cmd: report.target });
  } finally {
    await database.close();
  }
}

function formatReport(r: PinRollReport): string {
  return [
    `pin roll of ${r.target} done`,
    `  new primary pin (was the backup): ${r.pins.primary_b64}`,
    `  new backup pin:                   ${r.pins.backup_b64}`,
    `  retired primary pin:              ${r.previous.primary_b64}`,
    r.target === 'backend-api'
      ? 'restart the server to present the new key; ship the new backup pin to clients before the next roll'
      : 'restart the server (next bootstraps carry the new pins) and push the gateway material',
    '',
  ].join('\n');
}
