// Runs every admin flow that handles a secret with debug logging on, then searches everything the
// server wrote — its log, the audit NDJSON stream and the audit table — for each secret.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuthReplyT } from '../../../core/api/admin.js';
import { base32Decode } from '../../services/admin/totp.js';
import {
  type AdminTestServer,
  bearer,
  startAdminTestServer,
  totpCode,
} from '../../testing/admin-fixtures.js';

describe('admin API: no secret reaches the logs or the audit trail', () => {
  let t: AdminTestServer;
  const secrets: Array<[string, string]> = [];
  const keep = (name: string, value: string | undefined) => {
    assert.ok(value, `${name} missing`);
    secrets.push([name, value]);
    return value;
  };

  before(async () => {
    t = await startAdminTestServer();
  });
  after(async () => t.srv.stop());

  it('runs the secret-bearing flows', async () => {
    const oneTime = keep('bootstrap one-time password', t.srv.adminPassword);
    const first = await t.srv.call<AuthReplyT>('/admin/login', {
      json: { username: 'admin', password: oneTime },
    });
    const setup1 = keep('setup token', first.body.token);
    const newPassword = keep('new password', 'Leak-canary-passphrase-0451');
    const changed = await t.srv.call<AuthReplyT>('/admin/password', {
      headers: bearer(setup1),
      json: { current_password: oneTime, new_password: newPassword },
    });
    const setup2 = keep('second setup token', changed.body.token);
    const enroll = await t.srv.call<{ secret: string; otpauth_uri: string }>('/admin/totp/enroll', {
      headers: bearer(setup2),
      method: 'POST',
    });
    const secret = base32Decode(keep('TOTP secret', enroll.body.secret));
    keep('TOTP secret (hex)', secret.toString('hex'));
    keep('TOTP secret (base64)', secret.toString('base64'));
    const confirmCode = keep('confirm code', totpCode(secret));
    await t.srv.call('/admin/totp/confirm', { headers: bearer(setup2), json: { code: confirmCode } });
    // A wrong login too: refusals log more than successes.
    await t.srv.call('/admin/login', { json: { username: 'admin', password: 'Wrong-canary-password-77' } });
    keep('wrong password', 'Wrong-canary-password-77');
    const loginCode = keep('login code', totpCode(secret, 1));
    const full = await t.srv.call<AuthReplyT>('/admin/login', {
      json: { username: 'admin', password: newPassword, totp: loginCode },
    });
    assert.equal(full.body.state, 'ok', full.text);
    const token = keep('admin token', full.body.token);

    const user = await t.srv.call<{ user: { id: string }; one_time_password: string }>('/admin/users', {
      headers: bearer(token),
      json: { username: 'canary', role: 'User' },
    });
    keep('new user one-time password', user.body.one_time_password);
    const reset = await t.srv.call<{ one_time_password: string }>(
      `/admin/users/${user.body.user.id}/reset-password`,
      {
        headers: bearer(token),
        json: {},
      },
    );
    keep('reset one-time password', reset.body.one_time_password);
    const bind = await t.srv.call<{ code: string }>(`/admin/users/${user.body.user.id}/bind-code`, {
      headers: bearer(token),
      method: 'POST',
    });
    keep('bind code', bind.body.code);
    const et = await t.srv.call<{ token: string }>('/admin/enrollment-tokens', {
      headers: bearer(token),
      json: { max_uses: 1, expires_in_s: 600 },
    });
    keep('enrollment token', et.body.token);
    await t.srv.call('/admin/logout', { headers: bearer(token), method: 'POST' });
    const row = await t.ctx.db.user.findUniqueOrThrow({ where: { username: 'admin' } });
    keep('sealed TOTP secret', row.totpSecretSealed ?? undefined);
    keep('password hash', row.passwordHash.split('$').at(-1));
  });

  it('finds none of them in the server log, the audit stream or the audit table', async () => {
    const log = t.srv.logs();
    assert.ok(log.includes('/admin/login'), 'the log was captured');
    const ndjson = readFileSync(join(t.srv.dataDir, 'audit', 'audit.ndjson'), 'utf8');
    assert.ok(ndjson.includes('admin.totp_confirm'), 'the audit stream was written');
    const table = (await t.ctx.db.auditEvent.findMany()).map((e) => e.event).join('\n');
    for (const [where, text] of [
      ['log', log],
      ['audit.ndjson', ndjson],
      ['audit_events', table],
    ] as const) {
      for (const [name, value] of secrets) {
        // Six-digit codes could occur inside timestamps; as a logged value they would be quoted.
        const needle = /^[0-9]{6}$/.test(value) ? `"${value}"` : value;
        assert.ok(!text.includes(needle), `${name} found in ${where}`);
      }
      assert.ok(!/viw_(adm|et)_/.test(text), `a token prefix found in ${where}`);
      assert.ok(!/otpauth:|scrypt\$/.test(text), `key URI or password hash found in ${where}`);
    }
  });
});
