// The backend's side of a control-plane test against a real sshd (sshd.ts): a data directory with
// its SQLite database and audit service, the control key made there, the sshd admitting it, and the
// gateway as the runner addresses it. Shared by the ssh-exec and ssh-pool tests.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../data/database.js';
import { AuditService } from '../services/audit/service.js';
import { type ControlKey, loadOrCreateControlKey } from '../services/gateways/control-key.js';
import type { GatewayRef } from '../services/gateways/runner.js';
import { startTestSshd, type TestSshd } from './sshd.js';

export interface ControlFixture {
  readonly dir: string;
  readonly database: Awaited<ReturnType<typeof openDatabase>>;
  readonly audit: AuditService;
  readonly key: ControlKey;
  readonly sshd: TestSshd;
  readonly gw: GatewayRef;
  close(): Promise<void>;
}

export async function startControlFixture(gatewayName: string): Promise<ControlFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'viw-gwctl-'));
  const database = await openDatabase({ dataDir: dir });
  const audit = new AuditService(database.db, { env: 'test', site: 'lab', tenant_id: 't1' }, randomBytes(32));
  const key = loadOrCreateControlKey(dir);
  const sshd = await startTestSshd(key.publicKeyLine);
  const gw: GatewayRef = {
    name: gatewayName,
    host: '127.0.0.1',
    port: sshd.port,
    username: 'root',
    hostKeyFingerprint: sshd.hostKeyFingerprint,
  };
  return {
    dir,
    database,
    audit,
    key,
    sshd,
    gw,
    close: async () => {
      await sshd.stop();
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
