// The admin panel's build as the backend serves it (build.ts wrote it): found at start, checked
// against the SHA-256 list its build wrote (files.json), so a half-copied or mixed build stops the
// start instead of serving a page whose script does not match. Only the names listed are served;
// no path is ever joined from a request (serve.ts looks the name up here first).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Type } from 'typebox';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { packageRoot } from '../../core/package-root.js';
import { closed, strictValidator } from '../../core/schema/strict.js';

const FileList = Type.Object(
  {
    files: Type.Array(
      Type.Object(
        {
          name: Type.String({
            pattern: '^(assets/)?[a-z0-9][a-z0-9-]*\\.(html|js|css|svg)(\\.br|\\.gz)?$',
            maxLength: 80,
          }),
          bytes: Type.Integer({ minimum: 0, maximum: 8 * 1024 * 1024 }),
          sha256: Type.String({ pattern: '^[0-9a-f]{64}$' }),
        },
        closed,
      ),
      { maxItems: 64 },
    ),
  },
  closed,
);
const fileListValidator = strictValidator(FileList);

export interface AdminUiBundle {
  /** The build folder: @fastify/static's root, the only folder it reads. */
  readonly dir: string;
  /** Names under assets/ a request may ask for (`app.js`), compressed copies excluded. */
  readonly assets: ReadonlySet<string>;
}

/** Where `npm run build` puts the panel in this installation. */
export function defaultAdminUiDir(): string {
  return join(packageRoot(), 'dist', 'admin-ui');
}

const configError = (detail: string) =>
  new ViworksError('VIW_E_CONFIG', { details: [`admin panel: ${detail}`] });

/** Loads a built panel; throws VIW_E_CONFIG when its files do not match their list. */
export function loadAdminUi(dir: string): AdminUiBundle {
  let list: ReturnType<typeof fileListValidator.parse>;
  try {
    list = fileListValidator.parse(JSON.parse(readFileSync(join(dir, 'files.json'), 'utf8')));
  } catch {
    throw configError(`${dir}/files.json is missing or malformed (build it: npm run build)`);
  }
  for (const f of list.files) {
    let body: Buffer;
    try {
      body = readFileSync(join(dir, f.name));
    } catch {
      throw configError(`${f.name} is listed but missing`);
    }
    if (createHash('sha256').update(body).digest('hex') !== f.sha256)
      throw configError(`${f.name} does not match its build's hash`);
  }
  const names = list.files.map((f) => f.name);
  if (!names.includes('index.html')) throw configError('the build has no index.html');
  const assets = new Set(
    names
      .filter((n) => n.startsWith('assets/') && !/\.(br|gz)$/.test(n))
      .map((n) => n.slice('assets/'.length)),
  );
  return { dir, assets };
}
