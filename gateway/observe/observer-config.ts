// The normalizer's configuration: rendered by apply_config from gw.json and the backend's settings
// (so the normalizer never needs gw.json's path, and a change restarts it like any service input),
// read back by viworks-gw-observe with the same distrust as gw.json: root-owned, not group- or
// world-writable, small, a closed schema.
import { type Static, Type } from 'typebox';
import type { GatewaySettings } from '../../core/gateway/control.js';
import { closed, strictValidator } from '../../core/schema/strict.js';
import { frontDoorHelloLog } from '../front-door/paths.js';
import type { NodeConfig } from '../node-config.js';
import { daemonLogs } from '../services/service-paths.js';
import { readRootOwnedJson } from '../state/root-config-file.js';

const AbsPath = Type.String({ minLength: 2, maxLength: 255, pattern: '^(/[A-Za-z0-9._@+-]+)+$' });
const Label = Type.String({ minLength: 1, maxLength: 64, pattern: '^[\\x21-\\x7E]+$' });

export const ObserverConfigSchema = Type.Object(
  {
    v: Type.Literal(1),
    /** The events' `gateway`: the node's FQDN (settings.fqdn; the backend's events use the row's name). */
    gateway: Type.String({ minLength: 1, maxLength: 253, pattern: '^[a-z0-9.-]+$' }),
    /**
     * The events' env/site/tenant_id. The backend's values (config.audit) never reach the node, so
     * apply_config writes NODE_AUDIT_CONTEXT with the FQDN as site (docs/detections.md).
     */
    context: Type.Object({ env: Label, site: Label, tenant_id: Label }, closed),
    state_dir: AbsPath,
    access_conf: AbsPath,
    logs: Type.Object({ fwknopd: AbsPath, stunnel: AbsPath, openvpn: AbsPath }, closed),
    /**
     * The front door's hello log (gateway/front-door/paths.ts): fingerprints for stunnel's handshakes,
     * no events of its own, so not among `logs`. Optional: a config rendered by an older viworks-gw
     * (until apply_config renders it again) still starts the normalizer, without fingerprints.
     */
    hello_log: Type.Optional(AbsPath),
  },
  closed,
);
export type ObserverConfig = Static<typeof ObserverConfigSchema>;
const validator = strictValidator(ObserverConfigSchema);

const MAX_CONFIG_BYTES = 16 * 1024;
const NODE_AUDIT_CONTEXT = { env: 'node', tenant_id: 'node' } as const;

export function observerConfigFor(config: NodeConfig, settings: GatewaySettings): ObserverConfig {
  return validator.parse(
    {
      v: 1,
      gateway: settings.fqdn,
      context: { ...NODE_AUDIT_CONTEXT, site: settings.fqdn.slice(0, 64) },
      state_dir: config.state_dir,
      access_conf: config.facts.paths.accessConf,
      logs: daemonLogs(config),
      hello_log: frontDoorHelloLog(config),
    },
    'VIW_E_CONFIG',
  );
}

export function renderObserverConf(config: NodeConfig, settings: GatewaySettings): string {
  return `${JSON.stringify(observerConfigFor(config, settings), null, 2)}\n`;
}

/** Reads and checks the config (gateway/state/root-config-file.ts), then its closed schema. */
export function loadObserverConfig(path: string): ObserverConfig {
  return validator.parse(readRootOwnedJson(path, 'observer config', MAX_CONFIG_BYTES), 'VIW_E_CONFIG');
}
