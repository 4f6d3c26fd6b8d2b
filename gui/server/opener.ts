// Opening the launch URL without putting its token on a command line (where every local user can
// read it in the process list): a page only this user can read (0600, in the runtime directory)
// that forwards the browser to the launch URL; the browser is started on the page's path. The same
// trick Jupyter uses. The page is removed once the launch link is used, or when the GUI ends.
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function writeOpenerPage(
  launchUrl: string,
  dir = process.env.XDG_RUNTIME_DIR || tmpdir(),
): {
  path: string;
  remove(): void;
} {
  const path = join(dir, `viworks-gui-${process.pid}.html`);
  const html =
    '<!doctype html><meta charset="utf-8"><meta name="referrer" content="no-referrer">' +
    `<meta http-equiv="refresh" content="0;url=${launchUrl}"><title>ViWorkS</title>` +
    `<p>Opening ViWorkS… <a href="${launchUrl}">continue</a></p>`;
  writeFileSync(path, html, { mode: 0o600, flag: 'wx' });
  return { path, remove: () => rmSync(path, { force: true }) };
}
