// The TUI's one entry for the CLI (`viworks tui`): commands call renderTui() and never import Ink
// (the architecture rules allow cli/ this file of tui/ only). It draws the App on the terminal,
// waits until the user quits (q or Ctrl-C) and returns the daemon's last state. Quitting leaves
// the daemon as it is: a tunnel that is up stays up.
import { render } from 'ink';
import type { ConnectionState } from '../core/api/local.js';
import { LocalClient, type LocalClientOptions } from '../core/localclient/index.js';
import { App } from './App.js';

export interface RenderTuiOptions {
  /** Default: `$VIWORKSD_SOCKET` or /run/viworks/viworksd.sock. */
  readonly socketPath?: string;
  readonly stdout?: NodeJS.WriteStream;
  readonly stdin?: NodeJS.ReadStream;
}

export interface TuiOutcome {
  /** The daemon's last reported state (null: it never answered). */
  readonly state: ConnectionState | null;
}

export async function renderTui(opts: RenderTuiOptions = {}): Promise<TuiOutcome> {
  let state: ConnectionState | null = null;
  const onState = (s: ConnectionState) => {
    state = s;
  };
  // A version mismatch is shown in the header: a line on stderr would tear the screen.
  let rerender: ((notice: string) => void) | null = null;
  const clientOpts: LocalClientOptions = {
    ...(opts.socketPath ? { socketPath: opts.socketPath } : {}),
    onVersionMismatch: (m) =>
      rerender?.(
        `warning: viworksd ${m.daemonVersion ?? '?'} (local API v${m.daemonApiVersion ?? '?'}) differs from ` +
          `this client ${m.clientVersion} (local API v${m.clientApiVersion}); update one of them.`,
      ),
  };
  const client = new LocalClient(clientOpts);
  const instance = render(<App client={client} onState={onState} />, {
    ...(opts.stdout ? { stdout: opts.stdout } : {}),
    ...(opts.stdin ? { stdin: opts.stdin } : {}),
    patchConsole: true,
  });
  rerender = (notice) => instance.rerender(<App client={client} onState={onState} notice={notice} />);
  await instance.waitUntilExit();
  return { state };
}
