// Writes the dashboards (definitions.ts) to siem/grafana/<name>.json:
//   node --import tsx server/metrics/dashboards/write.ts
// then formats them as the repository's formatter (biome) does. dashboards.test.ts fails while a
// file's content differs from what this renders.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../../core/package-root.js';
import { renderDashboards } from './definitions.js';

export const GRAFANA_DIR = join(packageRoot(), 'siem', 'grafana');

if (import.meta.url === `file://${process.argv[1]}`) {
  const files: string[] = [];
  for (const [name, doc] of Object.entries(renderDashboards())) {
    const file = join(GRAFANA_DIR, `${name}.json`);
    writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
    files.push(file);
  }
  const biome = join(packageRoot(), 'node_modules', '.bin', 'biome');
  const r = spawnSync(biome, ['format', '--write', ...files], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
