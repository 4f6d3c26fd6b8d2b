import { writeFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { MAX_TOKEN_LIFETIME_S } from '../../../../core/api/admin.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import type { AdminTokenCreateResult } from '../../../lib/admin-results.js';
import { usageError } from '../../../lib/output.js';

const UNIT_S = { s: 1, m: 60, h: 3600, d: 86400 } as const;

/** "90s", "30m", "12h", "7d" or plain seconds. */
export function parseDuration(text: string): number {
  const m = /^([1-9][0-9]{0,7})([smhd]?)$/.exec(text);
  if (!m) throw usageError(`Not a duration: ${text}`, 'Use e.g. 30m, 12h or 7d.');
  const seconds = Number(m[1]) * UNIT_S[(m[2] || 's') as keyof typeof UNIT_S];
  if (seconds < 60 || seconds > MAX_TOKEN_LIFETIME_S) throw usageError('A token lives 1 minute to 30 days');
  return seconds;
}

/**
 * Creates a fleet enrollment token. The secret is shown once: on stdout, or written to a new 0600
 * file with --out (then stdout carries only its id), ready for scripts/fleet-enroll.sh.
 */
export default class AdminEnrollmentTokensCreate extends AdminCommand<AdminTokenCreateResult> {
  static override summary = 'Create an enrollment token for fleet enrollment';
  /** The topic's earlier name, kept working (the route is /admin/enrollment-tokens). */
  static override aliases = ['admin:enroll-tokens:create'];
  static override examples = [
    '<%= config.bin %> admin enrollment-tokens create --max-uses 50 --expires-in 7d --tag lab --auto-approve --out fleet.token',
  ];
  static override flags = {
    'max-uses': Flags.integer({
      default: 1,
      min: 1,
      max: 10_000,
      description: 'How many devices may enroll with it',
    }),
    'expires-in': Flags.string({
      description: 'Lifetime: 30m, 12h, 7d … (default 24h)',
      exclusive: ['expires-at'],
    }),
    'expires-at': Flags.string({ description: 'Expiry as ISO-8601 UTC, e.g. 2030-01-31T18:00:00Z' }),
    tag: Flags.string({ multiple: true, description: 'Tag for devices enrolled with it (repeatable)' }),
    'auto-approve': Flags.boolean({ description: 'Devices enrolled with it are active at once' }),
    out: Flags.string({
      description: 'Write the token to this new file (mode 0600) instead of stdout',
      helpValue: 'FILE',
    }),
  };

  async run(): Promise<AdminTokenCreateResult> {
    const { flags } = await this.parse(AdminEnrollmentTokensCreate);
    const expiresAt = flags['expires-at'];
    if (expiresAt !== undefined && Number.isNaN(Date.parse(expiresAt)))
      throw usageError('--expires-at is not a time');
    const client = await this.adminClient();
    const reply = await client.createEnrollmentToken({
      max_uses: flags['max-uses'],
      ...(expiresAt === undefined
        ? { expires_in_s: parseDuration(flags['expires-in'] ?? '24h') }
        : { expires_at: new Date(expiresAt).toISOString() }),
      ...(flags.tag ? { tags: flags.tag } : {}),
      ...(flags['auto-approve'] ? { auto_approve: true } : {}),
    });
    const t = reply.enrollment_token;
    if (flags.out) {
      try {
        writeFileSync(flags.out, `${reply.token}\n`, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        const why = (err as { code?: string }).code === 'EEXIST' ? 'exists already' : 'cannot be written';
        // The token exists on the server now: revoke it rather than lose track of a live secret.
        await client.revokeEnrollmentToken(t.id).catch(() => undefined);
        throw usageError(`${flags.out} ${why}; the new token was revoked`, 'Choose a new file name.');
      }
    }
    this.log(
      `Enrollment token ${t.id}: ${t.max_uses} use(s), expires ${t.expires_at}${t.auto_approve ? ', auto-approve' : ''}.`,
    );
    this.log(flags.out ? `Token written to ${flags.out} (0600).` : `Token (shown once): ${reply.token}`);
    return {
      v: 1,
      token: flags.out ? null : reply.token,
      token_file: flags.out ?? null,
      enrollment_token: t,
    };
  }
}
