import { LOCAL_API_VERSION } from '../../core/api/local.js';
import { packageVersion } from '../../core/localclient/index.js';
import { DaemonCommand, socketFlag } from '../lib/daemon-command.js';
import { toErrorInfo } from '../lib/output.js';
import type { VersionResult } from '../lib/results.js';

/** The client's version and the daemon's; a daemon that does not answer is reported, not fatal. */
export default class VersionCmd extends DaemonCommand<VersionResult> {
  static override summary = 'Show the client and daemon versions';
  static override examples = ['<%= config.bin %> version --json'];
  static override flags = { ...socketFlag };

  async run(): Promise<VersionResult> {
    const { flags } = await this.parse(VersionCmd);
    let result: VersionResult = {
      v: 1,
      client_version: packageVersion(),
      daemon_version: null,
      local_api_version: null,
      compatible: null,
      daemon_error: null,
    };
    try {
      const d = await this.daemon(flags).version();
      result = {
        ...result,
        daemon_version: d.daemon_version,
        local_api_version: d.local_api_version,
        compatible: d.local_api_version === LOCAL_API_VERSION,
      };
    } catch (err) {
      result = { ...result, daemon_error: toErrorInfo(err) };
    }
    this.log(`viworks ${result.client_version} (local API v${LOCAL_API_VERSION})`);
    const e = result.daemon_error;
    this.log(
      e
        ? `viworksd: not reachable (${e.code}: ${e.message}; hint: ${e.hint})`
        : `viworksd ${result.daemon_version} (local API v${result.local_api_version})${result.compatible ? '' : ' — INCOMPATIBLE'}`,
    );
    return result;
  }
}
