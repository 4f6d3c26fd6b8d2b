// The admin panel's build as the backend serves it (build.ts wrote it): found at start, checked
// against the SHA-256 list its build wrote (files.json), so a half-copied or mixed build stops the
// start instead of serving a page whose script does not match. Only the names listed are served;
// no path is ever joined from a request (serve.ts looks the name up here first).
import { join } from 'node:path';
import { Type } from 'typebox';
import { packageRoot } from '../../core/package-root.js';
import { closed, strictValidator } from '../../core/schema/strict.js';
import { listedFilesSchema, loadCheckedBundle } from '../services/web-bundle/checked-bundle.js';

const FileList = Type.Object(
  {
    files: listedFilesSchema({
      namePattern: '^(assets/)?[a-z0-9][a-z0-9-]*\\.(html|js|css|svg)(\\.br|\\.gz)?$',
      maxNameLength: 80,
      maxFileBytes: 8 * 1024 * 1024,
    }),
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

/** Loads a built panel; throws VIW_E_CONFIG when its files do not match their list. */
export function loadAdminUi(dir: string): AdminUiBundle {
  const { files } = loadCheckedBundle(dir, fileListValidator, 'admin panel');
  const assets = new Set(
    files
      .map((f) => f.name)
      .filter((n) => n.startsWith('assets/') && !/\.(br|gz)$/.test(n))
      .map((n) => n.slice('assets/'.length)),
  );
  return { dir, assets };
}
