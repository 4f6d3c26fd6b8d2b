// What apply_config sends a node: its typed settings (row + profile ports) and the PKI material the
// backend holds for it, with a config_id that names exactly that content (sha256 of the canonical
// JSON), so health can show whether the node still runs what was applied. Private keys pass through
// here as PEM strings on their way to the SSH channel's stdin; they are never stored or logged.
import { createHash } from 'node:crypto';
import { GatewayRowSettings, type GatewayRowSettingsT } from '../../../core/api/admin-gateways.js';
import { canonicalJson } from '../../../core/audit/chain.js';
import { ViworksError } from '../../../core/errors/viworks-error.js';
import {
  type ApplyConfigInput,
  applyConfigInput,
  type GatewayMaterialInput,
  type GatewaySettings,
} from '../../../core/gateway/control.js';
import { strictValidator } from '../../../core/schema/strict.js';
import type { Gateway } from '../../data/client.js';
import type { CrlPublisher } from '../../pki/crl.js';
import type { EmbeddedPki } from '../../pki/embedded-pki.js';
import {
  DEFAULT_GATEWAY_NAME,
  GATEWAY_SPA_PORT,
  GATEWAY_TLS_PORT,
  type GatewayMaterial,
  loadGatewayMaterial,
} from '../../pki/gateway-profile.js';

const rowSettings = strictValidator(GatewayRowSettings);

/** The row's stored settings; null when the gateway was never registered (`{}`) or they are unusable. */
export function storedSettings(row: Pick<Gateway, 'settings'>): GatewayRowSettingsT | null {
  try {
    const value: unknown = JSON.parse(row.settings);
    return rowSettings.check(value) ? (value as GatewayRowSettingsT) : null;
  } catch {
    return null;
  }
}

export function nodeSettings(row: Pick<Gateway, 'settings' | 'fqdn' | 'name'>): GatewaySettings {
  const stored = storedSettings(row);
  if (!stored) {
    throw new ViworksError('VIW_E_GATEWAY_NOT_READY', {
      details: [`${row.name}: no settings registered (viworks admin gateways add)`],
    });
  }
  return { fqdn: row.fqdn, tls_port: GATEWAY_TLS_PORT, spa_port: GATEWAY_SPA_PORT, ...stored };
}

export interface MaterialSources {
  readonly pki: EmbeddedPki;
  readonly dataDir: string;
  readonly crl: CrlPublisher;
  /** The backend's `default` gateway (ctx.gateway). */
  readonly defaultGateway: GatewayMaterial;
}

/**
 * The material of a gateway whose keys the backend holds: `default` is the profile loaded at start;
 * any other name gets (or reuses) its own under <dataDir>/pki/gateways/<name>/.
 */
async function materialOf(src: MaterialSources, row: Pick<Gateway, 'name' | 'fqdn'>) {
  if (row.name === DEFAULT_GATEWAY_NAME) return src.defaultGateway;
  return loadGatewayMaterial(src.pki, src.dataDir, row.fqdn, row.name);
}

/** The current int-vpn CRL (client certificates are int-vpn's), for apply_config and crl_update. */
export async function currentVpnCrl(crl: CrlPublisher): Promise<string> {
  return crl.pem('int-vpn') ?? (await crl.publish('int-vpn'));
}

export function configIdOf(settings: GatewaySettings, material: GatewayMaterialInput): string {
  return createHash('sha256').update(canonicalJson({ settings, material }), 'utf8').digest('hex');
}

export async function applyConfigFor(
  src: MaterialSources,
  row: Pick<Gateway, 'settings' | 'fqdn' | 'name'>,
): Promise<ApplyConfigInput> {
  const settings = nodeSettings(row);
  const m = await materialOf(src, row);
  const material: GatewayMaterialInput = {
    tls_cert_pem: m.tlsGateway.chainPem,
    tls_key_pem: m.tlsGateway.keyPem,
    client_ca_pem: m.vpnCaPem,
    openvpn_cert_pem: m.vpnServer.chainPem,
    openvpn_key_pem: m.vpnServer.keyPem,
    tls_crypt_key: m.tlsCryptKey,
    crl_pem: [await currentVpnCrl(src.crl)],
  };
  // Our own document must satisfy the contract the node will check: fail here, not there.
  return applyConfigInput.parse(
    { config_id: configIdOf(settings, material), settings, material },
    'VIW_E_INTERNAL',
  );
}
