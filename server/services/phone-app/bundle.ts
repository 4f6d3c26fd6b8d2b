// The phone app as the backend serves it: the build's files (mobile/app/build.ts), read once at
// start into memory, each checked against the SHA-256 its build listed in files.json. Only those
// names are served — no path is ever joined from a request — with a content type per kind, and a
// gzip copy for browsers that take it (the script is mostly the shared schema validator).
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Type } from 'typebox';
import { packageRoot } from '../../../core/package-root.js';
import { closed, strictValidator } from '../../../core/schema/strict.js';
import { listedFilesSchema, loadCheckedBundle } from '../web-bundle/checked-bundle.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  png: 'image/png',
  webmanifest: 'application/manifest+json',
};

const FileList = Type.Object(
  {
    build_id: Type.String({ pattern: '^[0-9a-f]{16}$' }),
    files: listedFilesSchema({
      namePattern: '^[a-z0-9][a-z0-9-]*\\.(html|js|css|png|webmanifest)$',
      maxNameLength: 64,
      maxFileBytes: 4 * 1024 * 1024,
    }),
  },
  closed,
);
const fileListValidator = strictValidator(FileList);

export interface AppFile {
  readonly body: Buffer;
  readonly gzip: Buffer | null;
  readonly contentType: string;
}

export interface PhoneAppBundle {
  readonly dir: string;
  readonly buildId: string;
  readonly files: ReadonlyMap<string, AppFile>;
}

/** Where `npm run build` puts the app in this installation. */
export function defaultPhoneAppDir(): string {
  return join(packageRoot(), 'dist', 'phone-app');
}

/** Loads a built app; throws VIW_E_CONFIG when its files do not match their list. */
export function loadPhoneApp(dir: string): PhoneAppBundle {
  const bundle = loadCheckedBundle(dir, fileListValidator, 'phone app');
  const files = new Map<string, AppFile>();
  for (const { name, body } of bundle.files) {
    const kind = name.slice(name.lastIndexOf('.') + 1);
    const compressible = kind !== 'png' && body.length > 1024;
    files.set(name, {
      body,
      gzip: compressible ? gzipSync(body, { level: 9 }) : null,
      contentType: CONTENT_TYPES[kind] ?? 'application/octet-stream',
    });
  }
  return { dir, buildId: bundle.list.build_id, files };
}
