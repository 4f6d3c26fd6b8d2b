// Certificate profiles of the embedded PKI (docs/architecture.md#certificate-hierarchy-and-profiles).
// ECDSA P-256 everywhere; validity limits are maxima that issuance enforces.
import { x509 } from './x509.js';

const { ExtendedKeyUsage, KeyUsageFlags } = x509;

export const INTERMEDIATES = ['int-tls', 'int-vpn', 'int-device'] as const;
export type IntermediateName = (typeof INTERMEDIATES)[number];

export interface EndEntityProfile {
  readonly issuer: IntermediateName;
  readonly maxDays: number;
  readonly keyUsages: number;
  readonly extendedKeyUsages: readonly string[];
}

const DAY_MS = 86_400_000;
export const days = (n: number): number => n * DAY_MS;

export const ROOT_DAYS = 3650;
/** Intermediates: at most two years (docs/architecture.md#certificate-hierarchy-and-profiles). */
export const INTERMEDIATE_DAYS = 730;

const serverUsage = KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment;

export const PROFILES = {
  'tls-gateway': {
    issuer: 'int-tls',
    maxDays: 180,
    keyUsages: serverUsage,
    extendedKeyUsages: [ExtendedKeyUsage.serverAuth],
  },
  'backend-api': {
    issuer: 'int-tls',
    maxDays: 180,
    keyUsages: serverUsage,
    extendedKeyUsages: [ExtendedKeyUsage.serverAuth],
  },
  'vpn-server': {
    issuer: 'int-vpn',
    maxDays: 180,
    keyUsages: serverUsage,
    extendedKeyUsages: [ExtendedKeyUsage.serverAuth],
  },
  // Per-session OpenVPN client certificate: lifetime never longer than the session (backend issue).
  'vpn-client': {
    issuer: 'int-vpn',
    maxDays: 1,
    keyUsages: KeyUsageFlags.digitalSignature,
    extendedKeyUsages: [ExtendedKeyUsage.clientAuth],
  },
  'device-client': {
    issuer: 'int-device',
    maxDays: 365,
    keyUsages: KeyUsageFlags.digitalSignature,
    extendedKeyUsages: [ExtendedKeyUsage.clientAuth],
  },
} as const satisfies Record<string, EndEntityProfile>;

export type ProfileName = keyof typeof PROFILES;
