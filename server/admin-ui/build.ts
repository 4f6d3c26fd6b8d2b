// Builds the admin panel (server/admin-ui/src, React 19) into the folder the backend serves at
// /admin/: esbuild bundles the page script (JSX automatic runtime, minified), the page, its style
// and icon are copied, and every file gets a brotli and a gzip copy that @fastify/static sends to
// browsers that take them. `files.json` lists every file with its size and SHA-256: the backend
// serves only those names and refuses to start on a build that does not match its list.
// Run by `npm run build` (into dist/admin-ui) and by the panel's tests.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants as zlib } from 'node:zlib';
import { build, type Plugin } from 'esbuild';
import { packageRoot } from '../../core/package-root.js';

/** Administrators' desktop browsers of the last two years. */
const TARGET = ['chrome120', 'firefox128', 'safari17'];

export interface AdminUiFile {
  /** Relative to the build folder: `index.html`, `assets/app.js`, … */
  readonly name: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface AdminUiBuild {
  readonly outDir: string;
  readonly files: readonly AdminUiFile[];
  /** assets/app.js as built (minified) and as a browser that takes brotli downloads it. */
  readonly scriptBytes: number;
  readonly scriptBrotliBytes: number;
}

/**
 * typebox probes once whether it may compile validators with `new Function`. The panel's CSP
 * forbids eval, so the probe can only fail — and each failure is a CSP violation the browser
 * reports, on every page load, drowning the violations that matter (an injected script). The
 * panel's bundle takes a stand-in that answers "no eval" without trying (src/typebox-no-eval.ts).
 */
function typeboxWithoutEval(source: string): Plugin {
  return {
    name: 'typebox-without-eval',
    setup(b) {
      b.onResolve({ filter: /^\.\/evaluate\.mjs$/ }, (args) =>
        args.importer.includes(`${sep}typebox${sep}build${sep}system${sep}environment${sep}`)
          ? { path: join(source, 'src', 'typebox-no-eval.ts') }
          : undefined,
      );
    },
  };
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export async function buildAdminUi(outDir: string): Promise<AdminUiBuild> {
  // The sources, also when this runs compiled from dist/.
  const source = join(packageRoot(), 'server', 'admin-ui');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'assets'), { recursive: true });
  await build({
    entryPoints: [join(source, 'src', 'main.tsx')],
    outfile: join(outDir, 'assets', 'app.js'),
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: TARGET,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'none',
    logLevel: 'silent',
    plugins: [typeboxWithoutEval(source)],
  });
  const statics = join(source, 'static');
  writeFileSync(join(outDir, 'index.html'), readFileSync(join(statics, 'index.html')));
  for (const f of readdirSync(statics).filter((n) => n !== 'index.html'))
    writeFileSync(join(outDir, 'assets', f), readFileSync(join(statics, f)));

  const names = ['index.html', ...readdirSync(join(outDir, 'assets')).map((f) => `assets/${f}`)].sort();
  const files: AdminUiFile[] = [];
  for (const name of names) {
    const data = readFileSync(join(outDir, name));
    files.push({ name, bytes: data.length, sha256: sha256(data) });
    // Served in place of the file to browsers that accept them (@fastify/static preCompressed).
    const br = brotliCompressSync(data, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } });
    const gz = gzipSync(data, { level: 9 });
    writeFileSync(join(outDir, `${name}.br`), br);
    writeFileSync(join(outDir, `${name}.gz`), gz);
    files.push({ name: `${name}.br`, bytes: br.length, sha256: sha256(br) });
    files.push({ name: `${name}.gz`, bytes: gz.length, sha256: sha256(gz) });
  }
  writeFileSync(join(outDir, 'files.json'), `${JSON.stringify({ files }, null, 2)}\n`);
  const size = (name: string) => files.find((f) => f.name === name)?.bytes ?? 0;
  return {
    outDir,
    files,
    scriptBytes: size('assets/app.js'),
    scriptBrotliBytes: size('assets/app.js.br'),
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? 'dist/admin-ui');
  const b = await buildAdminUi(out);
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`admin panel → ${out}: script ${kib(b.scriptBytes)} (${kib(b.scriptBrotliBytes)} with brotli)`);
}
