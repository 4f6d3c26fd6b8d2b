// `viworks-server pki roll backend-api|tls-gateway`: the pin-roll procedure (docs/architecture.md#pin-roll).
//
// Before: every client in the field must already carry the current BACKUP pin (it ships in every
// bootstrap for the gateway, and in the client's configuration for the backend).
//   1. The backup key becomes the primary; a new certificate is issued on it.
//   2. A NEW backup key is generated; its pin is the new backup pin.
//   3. The old primary key is deleted.
//   4. Restart the server (backend-api) or push the gateway material (tls-gateway): the new primary
//      is presented from then on. Clients holding {old primary, old backup} accept it (old backup).
//   5. Distribute the new pin set (printed here; the gateway's travels in the next bootstrap) before
//      the next roll, and watch pin-usage telemetry for clients still on the old pair.
import { join } from 'node:path';
import type { PinSet } from '../../core/crypto/pins.js';
import type { ServerConfig } from '../config.js';
import { type CredentialSpec, rollPinnedCredential } from './credentials.js';
import { type LoadPkiOptions, loadOrCreatePki } from './embedded-pki.js';
import { tlsGatewaySpec } from './gateway-profile.js';
import type { SubjectNames } from './issue.js';
import { PROFILES } from './profiles.js';

export const PIN_ROLL_TARGETS = ['backend-api', 'tls-gateway'] as const;
export type PinRollTarget = (typeof PIN_ROLL_TARGETS)[number];

/** What `pki roll --json` prints (versioned). */
export interface PinRollReport {
  readonly v: 1;
  readonly target: PinRollTarget;
  /** The pins before the roll; `previous.backup_b64` is now `pins.primary_b64`. */
  readonly previous: PinSet;
  readonly pins: PinSet;
  readonly restart_required: boolean;
}

export function isPinRollTarget(value: unknown): value is PinRollTarget {
  return typeof value === 'string' && (PIN_ROLL_TARGETS as readonly string[]).includes(value);
}

export async function rollPins(
  config: Pick<ServerConfig, 'dataDir' | 'gatewayFqdn'>,
  backendNames: SubjectNames,
  target: PinRollTarget,
  opts: LoadPkiOptions = {},
): Promise<PinRollReport> {
  // The intermediates may be in a token: the same one the running backend uses.
  const pki = await loadOrCreatePki(config.dataDir, backendNames, opts);
  const spec: CredentialSpec =
    target === 'backend-api'
      ? {
          dir: join(config.dataDir, 'pki'),
          base: 'backend-api',
          issuer: pki.intermediates['int-tls'],
          profile: PROFILES['backend-api'],
          names: backendNames,
        }
      : tlsGatewaySpec(pki, config.dataDir, config.gatewayFqdn);
  const { previous, pins } = await rollPinnedCredential(spec);
  return { v: 1, target, previous, pins, restart_required: true };
}
