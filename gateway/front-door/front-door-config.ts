// The front-door capture's configuration: rendered by apply_config from gw.json and the backend's
// settings (the front-door port is settings.tls_port), read back by viworks-gw-frontdoor with the same
// distrust as gw.json (gateway/state/root-config-file.ts) and a closed schema. A change of port
// restarts the service like any other service input.
import { type Static, Type } from 'typebox';
import type { GatewaySettings } from '../../core/gateway/control.js';
import { closed, strictValidator } from '../../core/schema/strict.js';
import type { NodeConfig } from '../node-config.js';
import { readRootOwnedJson } from '../state/root-config-file.js';
import { frontDoorHelloLog } from './paths.js';

const AbsPath = Type.String({ minLength: 2, maxLength: 255, pattern: '^(/[A-Za-z0-9._@+-]+)+$' });

export const FrontDoorConfigSchema = Type.Object(
  {
    v: Type.Literal(1),
    state_dir: AbsPath,
    /** stunnel's port (settings.tls_port): only TCP segments to it are captured. */
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    /** `any`: every interface of the node's network namespace (the front door may have several). */
    iface: Type.String({ minLength: 1, maxLength: 15, pattern: '^[A-Za-z0-9_.:-]+$' }),
    /** The hello log (front-door/paths.ts frontDoorHelloLog). */
    out: AbsPath,
  },
  closed,
);
export type FrontDoorConfig = Static<typeof FrontDoorConfigSchema>;
const validator = strictValidator(FrontDoorConfigSchema);

const MAX_CONFIG_BYTES = 4 * 1024;

export function frontDoorConfigFor(config: NodeConfig, settings: GatewaySettings): FrontDoorConfig {
  return validator.parse(
    {
      v: 1,
      state_dir: config.state_dir,
      port: settings.tls_port,
      iface: 'any',
      out: frontDoorHelloLog(config),
    },
    'VIW_E_CONFIG',
  );
}

export function renderFrontDoorConf(config: NodeConfig, settings: GatewaySettings): string {
  return `${JSON.stringify(frontDoorConfigFor(config, settings), null, 2)}\n`;
}

export function loadFrontDoorConfig(path: string): FrontDoorConfig {
  return validator.parse(readRootOwnedJson(path, 'front door config', MAX_CONFIG_BYTES), 'VIW_E_CONFIG');
}
