// The phone app as the backend serves it: the build's files (mobile/app/build.ts), read once at
// start into memory, each checked against the SHA-256 its build listed in files.json. Only those
// names are served — no path is ever joined from a request — with a content type per kind, and a
// gzip copy for browsers that take it (the script is mostly the shared schema validator).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Type } from 'typebox';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import { packageRoot } from '../../../core/package-root.js';
import { closed, strictValidator } from '../../../core/schema/strict.js';

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
    files: Type.Array(
      Type.Object(
        {
          name: Type.String({
            pattern: '^[a-z0-9][a-z0-9-]*\\.(html|js|css|png|webmanifest)$',
            maxLength: 64,
          }),
          bytes: Type.Integer({ minimum: 0, maximum: 4 * 1024 * 1024 }),
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

const configError = (detail: string) =>
  new ViworksError('VIW_E_CONFIG', { details: [`phone app: ${detail}`] });

/** Loads a built app; throws VIW_E_CONFIG when its files do not match their list. */
export function loadPhoneApp(dir: string): PhoneAppBundle {
  let list: ReturnType<typeof fileListValidator.parse>;
  try {
    list = fileListValidator.parse(JSON.parse(readFileSync(join(dir, 'files.json'), 'utf8')));
  } catch {
    throw configError(`${dir}/files.json is missing or malformed (build it: npm run build)`);
  }
  const files = new Map<string, AppFile>();
  for (const f of list.files) {
    let body: Buffer;
    try {
      body = readFileSync(join(dir, f.name));
    } catch {
      throw configError(`${f.name} is listed but missing`);
    }
    const sha256 = createHash('sha256').update(body).digest('hex');
    if (sha256 !== f.sha256) throw configError(`${f.name} does not match its build's hash`);
    const kind = f.name.slice(f.name.lastIndexOf('.') + 1);
    const compressible = kind !== 'png' && body.length > 1024;
    files.set(f.name, {
      body,
      gzip: compressible ? gzipSync(body, { level: 9 }) : null,
      contentType: CONTENT_TYPES[kind] ?? 'application/octet-stream',
    });
  }
  if (!files.has('index.html')) throw configError('the build has no index.html');
  return { dir, buildId: list.build_id, files };
}
