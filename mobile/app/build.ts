// Builds the phone app (mobile/app) into a folder the backend serves at /phone/: esbuild bundles the
// page script and the service worker for current mobile browsers; the static files are copied and
// the icons drawn. `files.json` lists every file with its size and SHA-256: the backend serves
// exactly those files and nothing else. Run by `npm run build` (into dist/phone-app) and by tests.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { packageRoot } from '../../core/package-root.js';
import { appIcons } from './icons.js';

// The app runs on phones: the browsers that ship WebAuthn platform authenticators and Ed25519 in
// WebCrypto (Chrome 137+, Safari 17+, Firefox 130+).
const TARGET = ['chrome120', 'safari17', 'firefox128'];

export interface BuiltFile {
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface PhoneAppBuild {
  readonly outDir: string;
  readonly files: readonly BuiltFile[];
  /** app.js + sw.js, minified: what a phone downloads to run the app. */
  readonly scriptBytes: number;
  readonly buildId: string;
}

export async function buildPhoneApp(outDir: string): Promise<PhoneAppBuild> {
  // The sources, also when this runs compiled from dist/.
  const source = join(packageRoot(), 'mobile', 'app');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const common = {
    bundle: true,
    minify: true,
    target: TARGET,
    platform: 'browser' as const,
    legalComments: 'none' as const,
    logLevel: 'silent' as const,
  };
  await build({
    ...common,
    entryPoints: [join(source, 'src/main.ts')],
    format: 'esm',
    outfile: join(outDir, 'app.js'),
  });
  for (const f of readdirSync(join(source, 'static')))
    writeFileSync(join(outDir, f), readFileSync(join(source, 'static', f)));
  for (const [f, data] of Object.entries(appIcons())) writeFileSync(join(outDir, f), data);
  // The service worker caches the shell under a name that changes with the shell's contents.
  const shell = readdirSync(outDir).sort();
  const hash = createHash('sha256');
  for (const f of shell) hash.update(f).update(readFileSync(join(outDir, f)));
  const buildId = hash.digest('hex').slice(0, 16);
  await build({
    ...common,
    entryPoints: [join(source, 'src/sw.ts')],
    format: 'iife',
    outfile: join(outDir, 'sw.js'),
    define: { __SHELL__: JSON.stringify(['./', ...shell]), __BUILD_ID__: JSON.stringify(buildId) },
  });
  const files = readdirSync(outDir)
    .sort()
    .map((name) => {
      const data = readFileSync(join(outDir, name));
      return { name, bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
    });
  writeFileSync(join(outDir, 'files.json'), `${JSON.stringify({ build_id: buildId, files }, null, 2)}\n`);
  const scriptBytes = files.filter((f) => f.name.endsWith('.js')).reduce((n, f) => n + f.bytes, 0);
  return { outDir, files, scriptBytes, buildId };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? 'dist/phone-app');
  const b = await buildPhoneApp(out);
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const total = b.files.reduce((n, f) => n + f.bytes, 0);
  console.log(`phone app → ${out}: ${b.files.length} files, ${kib(total)} (script ${kib(b.scriptBytes)})`);
}
