import { Flags } from '@oclif/core';
import { type Static, Type } from 'typebox';
import { SessionView, type SessionViewT } from '../../../../core/api/admin.js';
import { AdminCommand } from '../../../lib/admin-command.js';
import { v1 } from '../../../lib/results.js';

/**
 * `admin sessions watch`: with --json one `{v, session}` per line (NDJSON) as sessions start, are
 * first heard from and end; when the watch ends before any row came, one line with `session: null`.
 */
export const AdminSessionsWatchResultSchema = v1({ session: Type.Union([SessionView, Type.Null()]) });
export type AdminSessionsWatchResult = Static<typeof AdminSessionsWatchResultSchema>;

/** One line per change, for people. */
export function describeSessionRow(s: SessionViewT): string {
  const when = s.ended_at ?? s.last_heartbeat_at ?? s.created_at;
  const what =
    s.state === 'ended'
      ? `ENDED (${s.end_reason ?? '?'})`
      : s.last_heartbeat_at
        ? 'LIVE (client heard)'
        : 'STARTED';
  return `${when}  ${what}  ${s.id}  ${s.username} via ${s.gateway_name}`;
}

/** Follows VPN sessions as they start and end, until interrupted or the admin session ends. */
export default class AdminSessionsWatch extends AdminCommand<AdminSessionsWatchResult> {
  static override summary = 'Follow VPN sessions live as they start and end';
  static override description =
    'Prints a line whenever a session starts, is first heard from, or ends (terminated, locked, ' +
    'logged out, idle, expired, policy). With --json: one {v, session} object per line. Ends on ' +
    'Ctrl-C, after --count rows, or when the admin session ends (15 min idle).';
  static override examples = [
    '<%= config.bin %> admin sessions watch',
    '<%= config.bin %> admin sessions watch --json | jq .session.state',
  ];
  static override flags = {
    count: Flags.integer({ min: 1, description: 'Stop after this many rows' }),
  };

  async run(): Promise<AdminSessionsWatchResult> {
    const { flags } = await this.parse(AdminSessionsWatch);
    const watch = await (await this.adminClient()).watchSessions();
    let interrupted = false;
    const stop = () => {
      interrupted = true;
      watch.close();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let last: SessionViewT | null = null;
    let seen = 0;
    try {
      this.progress('Watching VPN sessions (Ctrl-C to stop)…');
      for await (const s of watch) {
        last = s;
        seen++;
        if (this.jsonEnabled()) this.emitJsonLine({ v: 1, session: s });
        else this.log(describeSessionRow(s));
        if (flags.count !== undefined && seen >= flags.count) break;
      }
      if (!interrupted && (flags.count === undefined || seen < flags.count))
        this.progress('The backend ended the watch: the admin session ended (run `viworks admin login`).');
    } finally {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      await watch.return();
    }
    return { v: 1, session: last };
  }
}
