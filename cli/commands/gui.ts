import { Flags } from '@oclif/core';
import { defaultGuiDir, loadGuiAssets, startGuiServer, writeOpenerPage } from '../../gui/index.js';
import { DaemonCommand, socketFlag } from '../lib/daemon-command.js';
import type { GuiResult } from '../lib/results.js';
import { xdgOpen } from '../lib/xdg-open.js';

/**
 * The desktop GUI in the user's browser: a local server on 127.0.0.1 (random port) over the
 * daemon's local API, opened with a one-time launch link. Runs until the window is closed.
 */
export default class Gui extends DaemonCommand<GuiResult> {
  static override summary = 'Open the desktop GUI in your browser (a local web app over the daemon)';
  static override description =
    'Serves the GUI on 127.0.0.1 at a random port for this user only: the one-time launch link sets a ' +
    "session cookie, and every request must carry it, name the GUI's own host and come from its own page. " +
    'The link is opened through a page only you can read, so its token never appears on a command line. ' +
    'Ends when the last window is closed (or after 15 idle minutes).';
  static override examples = [
    '<%= config.bin %> gui',
    '<%= config.bin %> gui --no-open   # prints the link only',
  ];
  static override flags = {
    ...socketFlag,
    open: Flags.boolean({ default: true, allowNo: true, description: 'Open the browser (xdg-open)' }),
  };

  async run(): Promise<GuiResult> {
    const { flags } = await this.parse(Gui);
    const client = this.daemon(flags);
    let opener: { remove(): void } | null = null;
    const server = await startGuiServer({
      client,
      assets: loadGuiAssets(defaultGuiDir()),
      onLaunched: () => opener?.remove(),
    });
    const stop = () => void server.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    this.progress(`ViWorkS GUI: ${server.launchUrl}`);
    this.progress('(a one-time link: it works once, for this browser window)');
    if (flags.open) {
      const page = writeOpenerPage(server.launchUrl);
      opener = page;
      void xdgOpen(page.path).then((opened) => {
        if (!opened) this.progress('Could not run xdg-open: open the link above yourself.');
      });
    }
    try {
      const why = await server.ended;
      this.progress(why === 'window_closed' ? 'The GUI window was closed.' : 'The GUI ended.');
      return { v: 1, port: server.port, ended: why };
    } finally {
      opener?.remove();
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
  }
}
