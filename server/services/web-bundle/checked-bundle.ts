// A built web bundle (the admin panel, the phone app) as the backend finds it at start: its build
// wrote files.json, the SHA-256 of every file; each listed file is read and checked against it, so a
// half-copied or mixed build stops the start instead of serving a page whose script does not match.
// Each caller keeps its own list schema (names it serves, a build id or not); the reading and the
// checking live here once.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'typebox';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { closed } from '../../../core/schema/strict.js';

export interface ListedFileRules {
  /** Names the bundle may list: a pattern that leaves no room for `..` or a leading `/`. */
  readonly namePattern: string;
  readonly maxNameLength: number;
  readonly maxFileBytes: number;
}

/** The `files` array of a files.json: name, size and SHA-256 of each file, at most 64. */
export function listedFilesSchema(rules: ListedFileRules) {
  return Type.Array(
    Type.Object(
      {
        name: Type.String({ pattern: rules.namePattern, maxLength: rules.maxNameLength }),
        bytes: Type.Integer({ minimum: 0, maximum: rules.maxFileBytes }),
        sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
      },
      closed,
    ),
    { maxItems: 64 },
  );
}

interface ListedFile {
  readonly name: string;
  readonly sha256: string;
}

export interface CheckedBundle<List> {
  /** files.json as parsed by the caller's schema (its build id, if it has one). */
  readonly list: List;
  /** Every listed file's bytes, in list order, each matching its SHA-256. */
  readonly files: ReadonlyArray<{ readonly name: string; readonly body: Buffer }>;
}

/**
 * Reads the bundle in `dir` and checks each listed file against its hash; throws VIW_E_CONFIG
 * naming `what` (e.g. "admin panel") when files.json is missing or malformed, a listed file is
 * missing or does not match, or the build has no index.html.
 */
export function loadCheckedBundle<List extends { readonly files: readonly ListedFile[] }>(
  dir: string,
  /** The caller's compiled files.json schema (strictValidator). */
  validator: { parse(value: unknown): List },
  what: string,
): CheckedBundle<List> {
  const configError = (detail: string) =>
    new ViworksError('VIW_E_CONFIG', { details: [`${what}: ${detail}`] });
  let list: List;
  try {
    list = validator.parse(JSON.parse(readFileSync(join(dir, 'files.json'), 'utf8')));
  } catch {
    throw configError(`${dir}/files.json is missing or malformed (build it: npm run build)`);
  }
  const files = list.files.map((f) => {
    let body: Buffer;
    try {
      body = readFileSync(join(dir, f.name));
    } catch {
      throw configError(`${f.name} is listed but missing`);
    }
    if (createHash('sha256').update(body).digest('hex') !== f.sha256)
      throw configError(`${f.name} does not match its build's hash`);
    return { name: f.name, body };
  });
  if (!files.some((f) => f.name === 'index.html')) throw configError('the build has no index.html');
  return { list, files };
}
