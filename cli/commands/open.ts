import { Args, Flags } from '@oclif/core';
import { ViworksError } from '../../core/errors/viworks-error.js';
// Not gui/index.ts: that entry also brings the GUI's fastify server, which `open` never starts.
import { writeOpenerPage } from '../../gui/opener.js';
import { DaemonCommand, socketFlag } from '../lib/daemon-command.js';
import type { OpenResult } from '../lib/results.js';
import { xdgOpen } from '../lib/xdg-open.js';

/** How long the opener page stays: the browser has read it long before (it is removed on exit too). */
const OPENER_LIFETIME_MS = 10_000;

/**
 * Opens a browser target of the connected session: the viewer of the session's isolated browser on
 * the gateway (issue #18), reachable only through this session's tunnel. The viewer's URL holds a
 * random path that works as a key, so it goes to the browser through a page only this user can
 * read, never on a command line.
 */
export default class Open extends DaemonCommand<OpenResult> {
  static override summary = "Open a browser target of your session (the gateway's isolated browser)";
  static override description =
    'Targets are the web services your policy grants through an isolated browser on the gateway: it runs there, you see and use it in your own browser, and nothing else of the internal network is reachable from it. `viworks status` lists them; with one target the name may be left out.';
  static override examples = [
    '<%= config.bin %> open wiki',
    '<%= config.bin %> open wiki --no-open --json   # prints the viewer URL only',
  ];
  static override args = {
    target: Args.string({ description: 'The target name (see `viworks status`)', required: false }),
  };
  static override flags = {
    ...socketFlag,
    open: Flags.boolean({ default: true, allowNo: true, description: 'Open the browser (xdg-open)' }),
  };

  async run(): Promise<OpenResult> {
    const { args, flags } = await this.parse(Open);
    const { session } = await this.daemon(flags).status();
    if (!session)
      throw new ViworksError('VIW_E_STATE', { details: ['not connected: run `viworks connect` first'] });
    const browser = session.browser;
    if (!browser)
      throw new ViworksError('VIW_E_NOT_FOUND', {
        details: ["this session's policy grants no browser targets"],
      });
    const target = args.target ?? (browser.targets.length === 1 ? browser.targets[0] : undefined);
    if (target === undefined || !browser.targets.includes(target))
      throw new ViworksError('VIW_E_NOT_FOUND', {
        details: [
          args.target === undefined
            ? `name a target: ${browser.targets.join(', ')}`
            : `no browser target of that name; this session has: ${browser.targets.join(', ')}`,
        ],
      });
    this.progress(`${target}: ${browser.viewer_url}`);
    const opened = flags.open ? await this.openInBrowser(browser.viewer_url) : false;
    return { v: 1, target, viewer_url: browser.viewer_url, opened };
  }

  private async openInBrowser(url: string): Promise<boolean> {
    const page = writeOpenerPage(url);
    const timer = setTimeout(() => page.remove(), OPENER_LIFETIME_MS);
    process.once('exit', () => page.remove());
    if (await xdgOpen(page.path)) return true;
    clearTimeout(timer);
    page.remove();
    this.progress('Could not run xdg-open: open the URL above yourself (inside the tunnel).');
    return false;
  }
}
