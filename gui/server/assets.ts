// The GUI's page, script and style, built by gui/build.ts into dist/gui-web and read once at start.
// Only these three names are ever served.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ViworksError } from '../../core/errors/viworks-error.js';
import { packageRoot } from '../../core/package-root.js';

export const GUI_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
} as const;
export type GuiFile = keyof typeof GUI_FILES;

/** Where `npm run build` puts the GUI in this installation. */
export function defaultGuiDir(): string {
  return join(packageRoot(), 'dist', 'gui-web');
}

export function loadGuiAssets(dir: string): ReadonlyMap<GuiFile, Buffer> {
  const files = new Map<GuiFile, Buffer>();
  for (const name of Object.keys(GUI_FILES) as GuiFile[]) {
    try {
      files.set(name, readFileSync(join(dir, name)));
    } catch {
      throw new ViworksError('VIW_E_CONFIG', {
        message: 'The GUI is not built',
        details: [`${join(dir, name)} is missing: run npm run build`],
      });
    }
  }
  return files;
}
