import { isViworksError } from '../../../core/errors/viworks-error.js';
import { DaemonCommand, socketFlag } from '../../lib/daemon-command.js';
import type { DeviceShowResult } from '../../lib/results.js';

/** This machine's device binding: id, state, key protection, backend. */
export default class DeviceShow extends DaemonCommand<DeviceShowResult> {
  static override summary = "Show this machine's enrolled device";
  static override examples = ['<%= config.bin %> device show --json'];
  static override flags = { ...socketFlag };

  async run(): Promise<DeviceShowResult> {
    const { flags } = await this.parse(DeviceShow);
    try {
      const d = await this.daemon(flags).device();
      this.log(
        [
          `Device:      ${d.device_id}`,
          `Status:      ${d.status}`,
          `User:        ${d.username}`,
          `Backend:     ${d.backend_url}`,
          `Fingerprint: ${d.fingerprint}`,
          `Key:         ${d.key_protection} (${d.key_store})`,
        ].join('\n'),
      );
      return { v: 1, enrolled: true, device: d };
    } catch (err) {
      if (!isViworksError(err, 'VIW_E_DEVICE_UNKNOWN')) throw err;
      this.log('Not enrolled. Run `viworks enroll`.');
      return { v: 1, enrolled: false, device: null };
    }
  }
}
