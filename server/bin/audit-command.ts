// `viworks-server audit verify [--json]`: checks the stored audit trail (hash chain + signed
// checkpoints). Exit 0 intact, 1 broken (findings name sequence numbers only), 64 usage.

import { existsSync } from 'node:fs';
import type { ServerConfig } from '../config.js';
import { openDatabase } from '../data/database.js';
import {
  auditPaths,
  loadOrCreateAuditSigningKey,
  readAuditPublicKey,
} from '../services/audit/checkpoints.js';
import { verifyAuditTrail } from '../services/audit/verify.js';

export async function auditCommand(config: ServerConfig, args: string[], json: boolean): Promise<number> {
  if (args.length !== 1 || args[0] !== 'verify') {
    process.stderr.write('usage: viworks-server audit verify [--json]\n');
    return 64;
  }
  const database = await openDatabase({ url: config.databaseUrl ?? undefined, dataDir: config.dataDir });
  try {
    if (!existsSync(auditPaths(config.dataDir).publicKey)) loadOrCreateAuditSigningKey(config.dataDir);
    const result = await verifyAuditTrail(database.db, config.dataDir, readAuditPublicKey(config.dataDir));
    if (json) process.stdout.write(`${JSON.stringify({ v: 1, ...result })}\n`);
    else {
      process.stdout.write(
        result.ok
          ? `audit trail intact: ${result.events} events, ${result.checkpoints} signed checkpoints\n`
          : `audit trail BROKEN:\n${result.problems.map((p) => `  - ${p}\n`).join('')}`,
      );
    }
    return result.ok ? 0 : 1;
  } finally {
    await database.close();
  }
}
