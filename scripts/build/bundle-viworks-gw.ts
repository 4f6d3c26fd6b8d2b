// viworks-gw runs once per control command (it is sshd's forced command), so its start-up is on the
// bootstrap's critical path: built by tsc it loads ~300 modules (≈ 0.45 s of CPU before it reads
// its request), bundled it is one file. `npm run build` runs this after tsc: the bundle REPLACES
// tsc's dist/gateway/bin/viworks-gw.js in place, so every path that names the built entry point
// (authorized_keys, the lab, the node's systemd units that find viworks-gw-observe and
// viworks-gw-frontdoor beside it) stays the same. Only this entry is bundled: the other two are
// long-running services whose start-up does not matter.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { packageRoot } from '../../core/package-root.js';

export async function bundleViworksGw(outFile: string): Promise<{ bytes: number; inputs: number }> {
  const root = packageRoot();
  const result = await build({
    entryPoints: [resolve(root, 'gateway/bin/viworks-gw.ts')],
    outfile: outFile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // Node's ESM has no `require`: the few CommonJS dependencies bundled in need one.
    banner: {
      js: "import { createRequire as __viwCreateRequire } from 'node:module';\nconst require = __viwCreateRequire(import.meta.url);",
    },
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const out = Object.values(result.metafile.outputs)[0];
  return { bytes: out?.bytes ?? 0, inputs: Object.keys(result.metafile.inputs).length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? 'dist/gateway/bin/viworks-gw.js');
  const b = await bundleViworksGw(out);
  console.log(`viworks-gw → ${out} (${b.inputs} modules in one file, ${(b.bytes / 1024).toFixed(0)} KiB)`);
}
