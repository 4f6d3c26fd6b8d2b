// lab up | down | status: one machine playing four — router, backend, gateway, client — in network
// namespaces (plan.ts). `up` builds the network, starts the real backend, prepares a bare gateway
// node (sshd + viworks-gw only), has the admin register it with its pinned host key and the backend
// provision it over SSH, then starts viworksd in the client namespace. Idempotent: a lab that is
// fully up is left alone; a half-built one is torn down and rebuilt. Any failure tears down
// everything it made (namespaces, their interfaces and netfilter tables, processes, files).

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { VIWORKSD_NODE_FLAGS } from '../../core/daemon-node-flags.js';
import { SWTPM, swtpmArgs } from '../testkit/swtpm.js';
import { initBackend, startBackend } from './backend.js';
import { prepareGatewayNode } from './gateway-node.js';
import { startNetworkServices } from './network-services.js';
import { type LabPlan, labPlan, namespaces } from './plan.js';
import { nsRun, startDetached, tail, waitForTcp } from './process.js';
import { repoPath } from './repo.js';
import { type LabState, readLabState, statePath, writeLabState } from './state.js';
import { createTopology, destroyTopology, labExists, pidsIn, pidsNamed } from './topology.js';

export type Progress = (msg: string) => void;

export interface LabUpResult {
  readonly plan: LabPlan;
  readonly state: LabState;
  readonly reused: boolean;
  readonly timings_ms: Record<string, number>;
}

/** How the driver (which must run inside the client namespace) is started: this program again. */
export interface SelfCommand {
  readonly argv: readonly string[];
}

export async function driverStep(
  plan: LabPlan,
  self: SelfCommand,
  step: string,
  extra: readonly string[] = [],
) {
  const r = await nsRun(plan.client.ns, [...self.argv, 'driver', step, '--id', String(plan.id), ...extra], {
    timeoutMs: 300_000,
  });
  if (r.code !== 0)
    throw new Error(
      `lab driver ${step} failed (${r.code ?? r.signal}):\n${(r.stderr || r.stdout).trim().slice(-2000)}`,
    );
  return r.stdout;
}

function mustBeBuilt(): void {
  for (const f of [
    'dist/server/bin/viworks-server.js',
    'dist/gateway/bin/viworks-gw.js',
    'dist/daemon/bin/viworksd.js',
    'dist/cli/bin/viworks.js',
  ])
    if (!existsSync(repoPath(f))) throw new Error(`${f} is missing: run \`npm run build\` first`);
}

const TUNNEL_SERVICE_JS = `
const [host, port, id] = process.argv.slice(1);
require('node:http').createServer((req, res) => {
  // Who asked (the isolated browser's requests come from the gateway): the browser e2e reads it.
  console.log('request from ' + req.socket.remoteAddress + ' ' + req.method + ' ' + req.url);
  res.end('viworks-lab-tunnel-service ' + id + '\\n');
}).listen(Number(port), host);`;

export interface LabUpOptions {
  /** Tests only: fail right after the step of this name, to prove a failure leaves nothing behind. */
  readonly failAfter?: string;
  /**
   * The client's key store: `file` (default) or `tpm2` — a software TPM (swtpm, as a machine's TPM
   * would be) in the client namespace, the device keys made inside it (issue #13).
   */
  readonly clientKeyStore?: 'file' | 'tpm2';
}

export async function labUp(
  id: number,
  self: SelfCommand,
  progress: Progress = () => {},
  opts: LabUpOptions = {},
): Promise<LabUpResult> {
  const plan = labPlan(id);
  const t: Record<string, number> = {};
  const mark = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    progress(`${name} …`);
    const v = await fn();
    t[name] = Math.round(performance.now() - start);
    if (opts.failAfter === name) throw new Error(`injected failure after "${name}"`);
    return v;
  };
  if ((await labExists(plan)) && existsSync(statePath(plan))) {
    const state = readLabState(plan);
    const sameStore = (state.clientKeyStore ?? 'file') === (opts.clientKeyStore ?? 'file');
    if (state.phase === 'ready' && sameStore && (await pidsIn(plan.backend.ns)).length > 0)
      return { plan, state, reused: true, timings_ms: {} };
  }
  mustBeBuilt();
  await labDown(id);
  try {
    mkdirSync(plan.dir, { recursive: true, mode: 0o755 });
    for (const d of Object.values(plan.dirs)) mkdirSync(d, { recursive: true, mode: 0o755 });
    mkdirSync(join(plan.dirs.client, 'home'), { recursive: true, mode: 0o700 });
    await mark('network', () => createTopology(plan));
    const init = await mark('backend init', () => initBackend(plan));
    const backend = await mark('backend start', () => startBackend(plan, init));
    let state: LabState = {
      v: 1,
      id,
      createdAt: new Date().toISOString(),
      backend: { url: backend.url, caFile: backend.caFile, pins: backend.pins },
      gateway: null,
      phase: 'backend',
      ...(opts.clientKeyStore === 'tpm2' ? { clientKeyStore: 'tpm2' } : {}),
    };
    writeLabState(plan, state);
    const node = await mark('gateway node (sshd + viworks-gw)', () =>
      prepareGatewayNode(plan, backend.controlKey),
    );
    state = {
      ...state,
      gateway: { hostKeyFingerprint: node.hostKeyFingerprint, configPath: node.configPath },
      phase: 'gateway',
    };
    writeLabState(plan, state);
    await mark('admin first login', () => driverStep(plan, self, 'setup-admin'));
    await mark('gateway registered and provisioned over SSH', () =>
      driverStep(plan, self, 'register-gateway'),
    );
    state = { ...state, phase: 'provisioned' };
    writeLabState(plan, state);
    await mark('internal services behind the gateway (networks A and B)', async () => {
      for (const [inn, tag] of [
        [plan.internal, String(id)],
        [plan.internalB, `${id}-b`],
      ] as const) {
        const log = join(plan.dirs.logs, `internal-service-${inn.ns}.log`);
        const argv = [
          process.execPath,
          '-e',
          TUNNEL_SERVICE_JS,
          inn.address,
          String(plan.tunnelServicePort),
          tag,
        ];
        startDetached(inn.ns, argv, log);
        await waitForTcp(inn.ns, inn.address, plan.tunnelServicePort, 15_000);
      }
    });
    await mark('resolvers (tunnel, LAN) and the captive portal target', () => startNetworkServices(plan));
    await mark('viworksd in the client namespace', () => startDaemon(plan));
    state = { ...state, phase: 'ready' };
    writeLabState(plan, state);
    return { plan, state, reused: false, timings_ms: t };
  } catch (err) {
    if (process.env.VIWORKS_LAB_KEEP_ON_FAILURE !== '1') await labDown(id);
    throw err;
  }
}

/**
 * Starts viworksd in the client namespace (again, after a test killed it: a stale socket is removed
 * first), with the key store the lab was made with; a TPM lab gets its swtpm first.
 */
export async function startDaemon(plan: LabPlan): Promise<void> {
  const socket = join(plan.dirs.client, 'viworksd.sock');
  const log = join(plan.dirs.logs, 'viworksd.log');
  rmSync(socket, { force: true });
  const keyStore =
    readLabState(plan).clientKeyStore === 'tpm2' ? await clientTpm(plan) : ['--keystore', 'file'];
  startDetached(
    plan.client.ns,
    [
      process.execPath,
      ...VIWORKSD_NODE_FLAGS,
      repoPath('dist/daemon/bin/viworksd.js'),
      '--socket',
      socket,
      '--state-dir',
      join(plan.dirs.client, 'viworksd'),
      ...keyStore,
      '--foreground',
      // The lab's resolver file is the one `ip netns exec` mounts over /etc/resolv.conf.
      '--dns-method',
      'file',
      '--resolv-conf',
      plan.dns.clientResolvConf,
      '--leak-check-interval',
      '2',
      '--captive-probe-url',
      `http://${plan.captive.host}:${plan.captive.port}/generate_204`,
    ],
    log,
  );
  const deadline = Date.now() + 20_000;
  while (!existsSync(socket)) {
    if (Date.now() > deadline) throw new Error(`viworksd did not create its socket\n${tail(log)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The client machine's TPM: swtpm on the client namespace's loopback (kept across daemon restarts). */
async function clientTpm(plan: LabPlan): Promise<string[]> {
  const port = 2321;
  if ((await pidsNamed(plan.client.ns, 'swtpm')).length === 0) {
    const stateDir = join(plan.dirs.client, 'tpm');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    startDetached(plan.client.ns, [SWTPM, ...swtpmArgs(port, stateDir)], join(plan.dirs.logs, 'swtpm.log'));
    // The control port only: the server port serves one TPM client at a time.
    await waitForTcp(plan.client.ns, '127.0.0.1', port + 1, 10_000);
  }
  return ['--keystore', 'tpm2', '--tpm2-tcti', `swtpm:host=127.0.0.1,port=${port}`];
}

export async function labDown(id: number): Promise<void> {
  const plan = labPlan(id);
  await destroyTopology(plan);
  rmSync(plan.dir, { recursive: true, force: true });
}

export interface LabStatus {
  readonly id: number;
  readonly up: boolean;
  readonly phase: LabState['phase'] | null;
  readonly namespaces: Record<string, number>;
  readonly backend_url: string | null;
  readonly gateway_fqdn: string;
}

export async function labStatus(id: number): Promise<LabStatus> {
  const plan = labPlan(id);
  const counts: Record<string, number> = {};
  const up = await labExists(plan);
  if (up) for (const ns of namespaces(plan)) counts[ns] = (await pidsIn(ns)).length;
  let state: LabState | null = null;
  try {
    state = readLabState(plan);
  } catch {
    state = null;
  }
  return {
    id,
    up,
    phase: state?.phase ?? null,
    namespaces: counts,
    backend_url: state?.backend.url ?? null,
    gateway_fqdn: plan.gatewayFqdn,
  };
}

/** Runs a command inside one of the lab's namespaces, attached to this terminal. */
export function labExec(
  id: number,
  host: 'client' | 'gateway' | 'backend' | 'router' | 'internal' | 'internal-b',
  argv: readonly string[],
): Promise<number> {
  const plan = labPlan(id);
  const ns =
    host === 'router'
      ? plan.router.ns
      : host === 'internal'
        ? plan.internal.ns
        : host === 'internal-b'
          ? plan.internalB.ns
          : plan[host].ns;
  return new Promise((resolve) => {
    const child = spawn('/usr/sbin/ip', ['netns', 'exec', ns, ...argv], { stdio: 'inherit' });
    child.on('close', (code) => resolve(code ?? 1));
  });
}
