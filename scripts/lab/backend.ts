// The lab's backend: the real viworks-server in production mode (embedded SQLite), trusting the
// lab's managed-authenticator attestation root for phones (attestation.ts), initialized on the
// host's file system and served from inside the backend namespace on <backend address>:8443.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../testkit/netns.js';
import { attestationRootFile, ensureLabAttestation } from './attestation.js';
import type { LabPlan } from './plan.js';
import { minimalEnv, startDetached, tail, waitForTcp } from './process.js';
import { repoPath } from './repo.js';

export interface BackendInfo {
  readonly url: string;
  readonly caFile: string;
  readonly pins: { readonly primary_b64: string; readonly backup_b64: string };
  readonly controlKey: string;
  readonly pid: number;
}

const SERVER_BIN = () => repoPath('dist/server/bin/viworks-server.js');

function backendEnv(plan: LabPlan): NodeJS.ProcessEnv {
  return minimalEnv({
    VIWORKS_MODE: 'production',
    VIWORKS_ATTESTATION_ROOTS: `packed=${attestationRootFile(plan)}`,
    VIWORKS_PHONE_ORIGIN: `https://${plan.backendName}:${plan.backendPort}`,
    VIWORKS_DATA_DIR: join(plan.dirs.backend, 'data'),
    VIWORKS_LISTEN_HOST: plan.backend.address,
    VIWORKS_LISTEN_PORT: String(plan.backendPort),
    VIWORKS_PUBLIC_NAMES: `${plan.backendName},${plan.backend.address}`,
    VIWORKS_GATEWAY_FQDN: plan.gatewayFqdn,
    // The policy's DNS: the resolver behind the gateway (network-services.ts).
    VIWORKS_DNS_SERVERS: plan.dns.tunnelResolver,
    VIWORKS_DNS_SEARCH: plan.dns.searchDomain,
    VIWORKS_LOG_LEVEL: 'info',
    // The lab polls its gateway often so node audit lines reach the backend's stream within seconds.
    VIWORKS_GATEWAY_POLL_INTERVAL_S: '5',
    // The lab's addresses are private: its own ranges give them a country and AS (docs/geo.md).
    VIWORKS_GEO_EXTRA_RANGES: geoRangesFile(plan),
    // The lab's detection tuning and its metrics listener (labConfig below).
    VIWORKS_CONFIG: labConfigFile(plan),
  });
}

export const labConfigFile = (plan: LabPlan) => join(plan.dirs.backend, 'config.json');
/** The metrics listener inside the backend's namespace; its token is <data>/metrics/token. */
export const LAB_METRICS_PORT = 9464;

/**
 * The lab polls its gateway every 5 s, so a knock's data-plane events arrive within seconds: the
 * "SPA without TLS" rule waits 10 s (+ 25 s ingest lag: under CI load a poll round of five SSH
 * commands takes several seconds, and a handshake logged just after its round's read comes a round
 * later; a real connect must never look like a probe) instead of production's 60 (+ 45), and the
 * probing burst fires at 10 refused knocks a minute, so the SIEM test plan runs in a minute
 * (docs/detections.md). Metrics listen on the backend's loopback, token-protected.
 */
/** The lab's "SPA without TLS" window (see above); the SIEM e2e times its probe knock by it. */
export const LAB_SPA_WITHOUT_TLS = { withinS: 10, ingestLagS: 25 } as const;

function writeLabConfig(plan: LabPlan): void {
  const config = {
    detections: {
      spaWithoutTls: { ...LAB_SPA_WITHOUT_TLS },
      spaProbeBurst: { threshold: 10, windowS: 60 },
    },
    metrics: { listen: `127.0.0.1:${LAB_METRICS_PORT}` },
  };
  writeFileSync(labConfigFile(plan), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644 });
}

/** The client's link as a Dutch ISP, for the policies' location rules (docs/geo.md#extra-ranges). */
export const LAB_CLIENT_COUNTRY = 'NL';
export const LAB_CLIENT_ASN = 64496;

export const geoRangesFile = (plan: LabPlan) => join(plan.dirs.backend, 'geo-ranges.json');

function writeGeoRanges(plan: LabPlan): void {
  const [a, b, c] = plan.client.address.split('.');
  const ranges = {
    v: 1,
    ranges: [
      {
        cidr: `${a}.${b}.${c}.0/30`,
        country: LAB_CLIENT_COUNTRY,
        asn: LAB_CLIENT_ASN,
        organization: 'Lab Client ISP',
      },
      ...plan.farSources.map((far) => ({
        cidr: `${far.address}/32`,
        country: far.country,
        asn: far.asn,
        organization: `Far ISP ${far.asn}`,
      })),
    ],
  };
  writeFileSync(geoRangesFile(plan), `${JSON.stringify(ranges, null, 2)}\n`, { mode: 0o644 });
}

interface InitResult {
  readonly ca_file: string;
  readonly backend_pins: { readonly primary_b64: string; readonly backup_b64: string };
  readonly first_admin: { readonly username: string; readonly one_time_password: string } | null;
}

/**
 * `viworks-server init`: data directory, database, PKI and the first admin. The one-time admin
 * password goes to a 0600 file in the lab directory (the lab's driver uses it once to finish the
 * admin's first-login setup); it is never printed.
 */
export async function initBackend(plan: LabPlan): Promise<InitResult> {
  mkdirSync(plan.dirs.backend, { recursive: true, mode: 0o700 });
  await ensureLabAttestation(plan);
  writeGeoRanges(plan);
  writeLabConfig(plan);
  const r = await run([process.execPath, SERVER_BIN(), 'init', '--json'], {
    env: backendEnv(plan),
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`viworks-server init failed: ${r.stderr.trim().slice(-800)}`);
  const result = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as InitResult;
  if (result.first_admin)
    writeFileSync(join(plan.dirs.backend, 'first-admin.json'), JSON.stringify(result.first_admin), {
      mode: 0o600,
    });
  return result;
}

/** `viworks-server print-config --json` as the lab's backend runs it: what mode it is in, proven. */
export async function backendConfig(plan: LabPlan): Promise<{ mode: string; attestationRoots: object }> {
  const r = await run([process.execPath, SERVER_BIN(), 'print-config', '--json'], {
    env: backendEnv(plan),
    timeoutMs: 60_000,
  });
  if (r.code !== 0) throw new Error(`viworks-server print-config failed: ${r.stderr.trim().slice(-400)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { mode: string; attestationRoots: object };
}

export async function startBackend(plan: LabPlan, init: InitResult): Promise<BackendInfo> {
  const log = join(plan.dirs.logs, 'backend.log');
  const pid = startDetached(plan.backend.ns, [process.execPath, SERVER_BIN(), 'start'], log, {
    env: backendEnv(plan),
  });
  try {
    await waitForTcp(plan.client.ns, plan.backend.address, plan.backendPort, 60_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\nbackend log:\n${tail(log)}`);
  }
  const key = await run([process.execPath, SERVER_BIN(), 'gateway-control-key'], {
    env: backendEnv(plan),
    timeoutMs: 60_000,
  });
  if (key.code !== 0) throw new Error(`viworks-server gateway-control-key failed: ${key.stderr.trim()}`);
  return {
    url: `https://${plan.backendName}:${plan.backendPort}`,
    caFile: init.ca_file,
    pins: init.backend_pins,
    controlKey: key.stdout.trim(),
    pid,
  };
}

export function readFirstAdmin(plan: LabPlan): { username: string; one_time_password: string } | null {
  try {
    return JSON.parse(readFileSync(join(plan.dirs.backend, 'first-admin.json'), 'utf8'));
  } catch {
    return null;
  }
}
