import { DaemonCommand, socketFlag } from '../lib/daemon-command.js';
import type { DisconnectResult } from '../lib/results.js';

/** Closes the tunnel (routes and DNS restored, secrets dropped) and forgets a pending login. */
export default class Disconnect extends DaemonCommand<DisconnectResult> {
  static override summary = 'Disconnect the tunnel';
  static override examples = ['<%= config.bin %> disconnect'];
  static override flags = { ...socketFlag };

  async run(): Promise<DisconnectResult> {
    const { flags } = await this.parse(Disconnect);
    const client = this.daemon(flags);
    const before = await client.status();
    const wasConnected = before.session !== null;
    if (wasConnected) this.progress('Disconnecting…');
    const after = await client.disconnect();
    this.log(wasConnected ? `Disconnected (${after.state}).` : `Not connected (${after.state}).`);
    return { v: 1, state: after.state, was_connected: wasConnected };
  }
}
