// The normalizer's configuration: rendered by apply_config from gw.json and the backend's settings
// (so the normalizer never needs gw.json's path, and a change restarts it like any service input),
// read back by viworks-gw-observe with the same distrust as gw.json: root-owned, not group- or
// world-writable, small, a closed schema.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { type Static, Type } from 'typebox';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { GatewaySettings } from '../../core/gateway/control.js';
import { closed, strictValidator } from '../../core/schema/strict.js';
import type { NodeConfig } from '../node-config.js';
import { daemonLogs } from '../services/service-paths.js';

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
    },
    'VIW_E_CONFIG',
  );
}

export function renderObserverConf(config: NodeConfig, settings: GatewaySettings): string {
  return `${JSON.stringify(observerConfigFor(config, settings), null, 2)}\n`;
}

const refuse = (why: string, cause?: unknown) =>
  new ViworksError('VIW_E_CONFIG', { details: [`observer config ${why}`], ...(cause ? { cause } : {}) });

/** Reads and checks the config, on the opened descriptor (the file checked is the file read). */
export function loadObserverConfig(path: string): ObserverConfig {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw refuse('cannot be opened', err);
  }
  let text: string;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw refuse('is not a regular file');
    if (st.uid !== 0) throw refuse('is not owned by root');
    if ((st.mode & 0o022) !== 0) throw refuse('is group- or world-writable');
    if (st.size > MAX_CONFIG_BYTES) throw refuse('is too large');
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw refuse('is not valid JSON');
  }
  return validator.parse(doc, 'VIW_E_CONFIG');
}
