// access.conf is derived state: always rendered from spa-keys.json and the applied settings, never
// edited in place. Until the first apply_config there are no settings, so keys are only stored.
import type { GatewaySettings } from '../../core/gateway/control.js';
import type { NodeConfig } from '../node-config.js';
import { renderAccessConf } from '../render/access-conf.js';
import { writeFileIfChanged } from '../state/atomic-file.js';
import { readApplied, type SpaKeysState } from '../state/node-state.js';

/** Sorted by device id so the same key set always renders the same bytes. */
export function renderAccessFor(keys: SpaKeysState, settings: GatewaySettings): string {
  const entries = Object.entries(keys.devices)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([deviceId, k]) => ({ deviceId, keyBase64: k.key_base64, hmacKeyBase64: k.hmac_key_base64 }));
  return renderAccessConf(entries, settings);
}

/** Rewrites access.conf (0600) if it differs; false when nothing was written. */
export function syncAccessConf(config: NodeConfig, keys: SpaKeysState): boolean {
  const { settings } = readApplied(config.state_dir);
  if (settings === null) return false;
  return writeFileIfChanged(config.facts.paths.accessConf, renderAccessFor(keys, settings), 0o600);
}
