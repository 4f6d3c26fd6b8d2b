// Shared by `viworks admin groups …` and `viworks admin policies …` (docs/policies.md): names checked
// before they reach a URL, the policy document read from `--file PATH` (or `-` for stdin), and how
// a change that waits for a second administrator is shown — unmistakably, in text and in --json
// (`status: "pending"`, exit 0: the request was accepted, it is just not in force yet).
import { readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { type Static, type TSchema, Type } from 'typebox';
import { Id } from '../../core/api/admin.js';
import {
  PendingChangeReply,
  type PolicyChangeViewT,
  RESERVED_POLICY_NAMES,
} from '../../core/api/admin-policies.js';
import { POLICY_NAME_PATTERN } from '../../core/api/policy.js';
import { strictValidator } from '../../core/schema/strict.js';
import { readStdinText } from './input.js';
import { usageError } from './output.js';
import { v1 } from './results.js';

/** A document's size cap on this side (the backend takes 32 KiB per request). */
const MAX_DOCUMENT_BYTES = 32 * 1024;

/** What every command that may be held for approval prints with --json when it was. */
export const AdminPendingResultSchema = v1(PendingChangeReply.properties);
export type AdminPendingResult = Static<typeof AdminPendingResultSchema>;

/** An applied result or a pending one: `status` says which. */
export const appliedOrPending = <T extends TSchema>(applied: T) =>
  Type.Union([applied, AdminPendingResultSchema]);

const NAME = new RegExp(POLICY_NAME_PATTERN);

export function checkPolicyName(name: string): string {
  if (!NAME.test(name))
    throw usageError(`Not a policy name: ${name}`, 'Names are a-z, 0-9, ".", "_", "-" (see policies list).');
  if ((RESERVED_POLICY_NAMES as readonly string[]).includes(name))
    throw usageError(
      `${name} is a reserved name, not a stored policy`,
      'The built-in default applies to users without an assignment; see docs/policies.md.',
    );
  return name;
}

export function checkGroupName(name: string): string {
  if (!NAME.test(name))
    throw usageError(`Not a group name: ${name}`, 'Names are a-z, 0-9, ".", "_", "-" (see groups list).');
  return name;
}

const uuid = strictValidator(Id);

export function checkChangeId(id: string): string {
  if (!uuid.check(id))
    throw usageError('The change id must be a UUID', 'List them: viworks admin policies pending');
  return id;
}

export const documentFlag = Flags.string({
  char: 'f',
  required: true,
  description: 'The policy document, JSON (docs/policies.md); - reads it from stdin',
  helpValue: 'PATH',
});

/** The document from a file or stdin, parsed as JSON; the backend checks everything else. */
export async function readDocument(path: string): Promise<unknown> {
  let text: string;
  if (path === '-') text = await readStdinText('the policy document', MAX_DOCUMENT_BYTES);
  else {
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw usageError(`Cannot read ${path}`, 'Give the path of a JSON policy document, or - for stdin.');
    }
    if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES)
      throw usageError(`${path} is larger than ${MAX_DOCUMENT_BYTES} bytes`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw usageError(`The policy document in ${path === '-' ? 'stdin' : path} is not JSON`);
  }
}

/** The text a held change prints: what it is, why it waits, what to run next, and the diff. */
export function pendingText(change: PolicyChangeViewT): string {
  return [
    `PENDING APPROVAL — not applied. Change ${change.id}: ${change.summary}`,
    'It widens access, so a second administrator must approve it:',
    ...change.reasons.map((r) => `  - ${r}`),
    `Approve (another administrator): viworks admin policies approve ${change.id}`,
    `Expires ${change.expires_at} unless approved; see it with: viworks admin policies diff --change ${change.id}`,
    '',
    change.diff,
  ].join('\n');
}
