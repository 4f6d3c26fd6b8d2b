// What the audit tests share (tests only): an AuditArchive on a plain directory — the batcher's and
// the verifiers' logic without immutable files (those are proved in worm/).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import type { AuditArchive } from './archive.js';

/** Writes once like the WORM copy (same bytes: no-op, other bytes: VIW_E_CONFLICT); `failing` simulates a full disk. */
export function directoryArchive(dir: string, opts: { failing?: () => boolean } = {}): AuditArchive {
  return {
    dir,
    async put(name, data) {
      if (opts.failing?.()) throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
      const path = join(dir, name);
      mkdirSync(dirname(path), { recursive: true });
      if (existsSync(path)) {
        if (!readFileSync(path).equals(data)) throw new ViworksError('VIW_E_CONFLICT');
        return;
      }
      writeFileSync(path, data);
    },
    async sweep() {
      return 0;
    },
  };
}
