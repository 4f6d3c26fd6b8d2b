// Test helper: the `viworks admin …` commands against a REAL test backend, in-process. The CLI finds
// its admin session under XDG_CONFIG_HOME in a file store, so each test file gets its own config
// folder (restored on stop) and the pinned-HTTPS flags (`trust`) a login needs; `login` signs in
// through the real `admin login` command, as a person would.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UserRole } from '../../core/api/admin.js';
import {
  type AdminTestServer,
  createAccount,
  startAdminTestServer,
  type TestAccount,
  totpCode,
} from '../../server/testing/admin-fixtures.js';
import AdminLogin from '../commands/admin/login.js';
import { AdminLoginResultSchema } from '../lib/admin-results.js';
import { okJson } from './assert.js';
import { runCommand } from './run.js';

export interface CliAdminBackend {
  readonly t: AdminTestServer;
  /** A temporary folder of the test file's own (its CLI config lives in it). */
  readonly dir: string;
  /** `--backend`, `--ca` and both `--pin`s of the test backend. */
  readonly trust: readonly string[];
  /** Creates an account and signs the CLI in as it (`admin login --json`). */
  login(role: UserRole, username: string): Promise<TestAccount>;
  /** Stops the backend, restores the environment and removes the folder. */
  stop(): Promise<void>;
}

/** Starts the backend (configured as `overrides` say) and points the CLI's config at a new folder. */
export async function startCliAdminBackend(
  dirPrefix: string,
  overrides: Parameters<typeof startAdminTestServer>[0] = {},
): Promise<CliAdminBackend> {
  const saved = { config: process.env.XDG_CONFIG_HOME, store: process.env.VIWORKS_ADMIN_TOKEN_STORE };
  const t = await startAdminTestServer(overrides);
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  process.env.XDG_CONFIG_HOME = join(dir, 'config');
  process.env.VIWORKS_ADMIN_TOKEN_STORE = 'file';
  writeFileSync(join(dir, 'ca.pem'), t.srv.ca);
  const pins = t.srv.server.banner.backend_pins;
  const trust = ['--backend', t.srv.server.banner.url, '--ca', join(dir, 'ca.pem')];
  trust.push('--pin', pins.primary_b64, '--pin', pins.backup_b64);
  return {
    t,
    dir,
    trust,
    async login(role, username) {
      const a = await createAccount(t.ctx, role, username);
      const r = await runCommand(
        AdminLogin,
        [...trust, '--username', username, '--password-stdin', '--totp-stdin', '--json'],
        { stdin: `${a.password}\n${totpCode(a.totpSecret)}\n` },
      );
      okJson(r, AdminLoginResultSchema);
      return a;
    },
    async stop() {
      await t.srv.stop();
      if (saved.config === undefined) delete process.env.XDG_CONFIG_HOME;
      else process.env.XDG_CONFIG_HOME = saved.config;
      if (saved.store === undefined) delete process.env.VIWORKS_ADMIN_TOKEN_STORE;
      else process.env.VIWORKS_ADMIN_TOKEN_STORE = saved.store;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
