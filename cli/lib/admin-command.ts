// The base of `viworks admin …` commands: the stored session (admin-session.ts) turned into a typed
// client, the paging flags every list shares, and names resolved to ids.
import { Flags } from '@oclif/core';
import { Id } from '../../core/api/admin.js';
import type { AdminClient } from '../../core/backendclient/admin-client.js';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { strictValidator } from '../../core/schema/strict.js';
import { adminToken, loadAdminSession } from './admin-session.js';
import { type Versioned, ViworksCommand } from './base-command.js';
import { CliError, usageError, withHint } from './output.js';
import { adminClientFor } from './trust.js';

const LOGIN_HINT =
  'Run `viworks admin login` (sessions end after 15 min idle, 8 h at most, or a credential change).';

export const pageFlags = {
  limit: Flags.integer({ description: 'Rows per page (1-200, default 50)', min: 1, max: 200 }),
  cursor: Flags.string({ description: 'Continue after this row (the previous page’s next_cursor)' }),
};

/** The paging part of a list query (the API takes numbers as strings). */
export function pageQuery(flags: { limit?: number | undefined; cursor?: string | undefined }) {
  return {
    ...(flags.limit === undefined ? {} : { limit: String(flags.limit) }),
    ...(flags.cursor === undefined ? {} : { cursor: flags.cursor }),
  };
}

const uuid = strictValidator(Id);

/** Checks that an id argument is a UUID before it reaches a URL. */
export function checkId(id: string, what: string): string {
  if (!uuid.check(id))
    throw usageError(`The ${what} id must be a UUID`, `List them: viworks admin ${what}s list`);
  return id;
}

export abstract class AdminCommand<T extends Versioned> extends ViworksCommand<T> {
  /** A client with the stored session's token; AUTH_REQUIRED when there is none. */
  protected async adminClient(): Promise<AdminClient> {
    const session = loadAdminSession();
    const token = session ? await adminToken(session) : null;
    if (!session || !token) {
      throw new CliError('VIW_E_AUTH_REQUIRED', {
        message: 'No admin session on this machine',
        hint: LOGIN_HINT,
      });
    }
    return adminClientFor(session, token);
  }

  /** A user id from an id or a username (usernames are looked up page by page). */
  protected async userId(client: AdminClient, idOrName: string): Promise<string> {
    if (uuid.check(idOrName)) return idOrName;
    let cursor: string | undefined;
    do {
      const page = await client.listUsers({ limit: '200', ...(cursor ? { cursor } : {}) });
      const found = page.users.find((u) => u.username === idOrName);
      if (found) return found.id;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    throw new CliError('VIW_E_NOT_FOUND', {
      message: `No user named ${idOrName}`,
      hint: 'List them: viworks admin users list',
    });
  }

  protected override async catch(err: Error): Promise<void> {
    const expired = isViworksError(err, 'VIW_E_TOKEN_INVALID') || isViworksError(err, 'VIW_E_AUTH_REQUIRED');
    return super.catch(expired ? withHint(err, LOGIN_HINT) : err);
  }
}
