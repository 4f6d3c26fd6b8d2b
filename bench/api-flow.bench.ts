// The backend's whole desktop flow against a running server (HTTPS TLS 1.3, SQLite, embedded PKI):
// login (password, scrypt) → the phone reads the code → verify → bootstrap (session row, per-session
// client certificate, HPKE seal) → the desktop opens and validates the envelope. Each user enrolls
// once, untimed. Beside it, in the same run, a minimal Fastify HTTPS endpoint with the same TLS
// options and certificate, driven by the same client code at the same concurrency: the ratio is
// what the flow costs over the floor of "one pinned HTTPS JSON request" on this machine.
//
// The servers run in this thread; the clients run in a worker thread (api-flow.worker.ts), so their
// CPU work does not queue on the server's event loop. Per-IP limits stay on (production code is
// untouched): each virtual user's desktop moves to a fresh loopback source address every
// floor(auth limit / 2) flows (login + verify count against /auth/*), its phone every `mobile` limit.
import { availableParallelism, loadavg } from 'node:os';
import { type EventLoopUtilization, performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import { BACKEND_ROUTES } from '../core/api/backend-routes.js';
import { encodeKey32 } from '../core/api/common.js';
import type { EnrolledDevice } from '../core/api/device.js';
import { deviceFingerprint } from '../core/crypto/fingerprints.js';
import { generateDeviceKeyPair } from '../core/crypto/hpke.js';
import { generateSigningKeyPair } from '../core/crypto/request-signing.js';
import { backendTlsOptions } from '../server/http/tls.js';
import { DEFAULT_SCRYPT, hashPassword, verifyPassword } from '../server/services/auth/passwords.js';
import { RATE_RULES } from '../server/services/rate-limit.js';
import { startTestServer, type TestServer } from '../server/testing/harness.js';
import {
  boundPhone,
  createToken,
  createUser,
  ctxOf,
  enrollBody,
  freshIp,
  signedCall,
} from '../server/testing/identity-fixtures.js';
import type { FlowWorkerInput, FlowWorkerResult } from './api-flow.worker.js';
import { type BenchCredentials, expectOk, type Target } from './flow-client.js';
import { summarize, tableHeader, tableRow } from './latency.js';
import { runTsWorker } from './ts-worker.js';

const VIRTUAL_USERS = 4;
const FLOW_MS = 8000;
const BASELINE_MS = 3000;
const BASELINE_NEW_CONNECTION_MS = 1500;
const LABEL = 28;

const STEPS = [
  ['login', 'login (password, scrypt)'],
  ['otp', 'phone GET /mobile/otp'],
  ['verify', 'verify (code → tokens)'],
  ['bootstrap', 'bootstrap (GET, sealed)'],
  ['open', 'open envelope + validate'],
  ['flow', 'whole flow'],
] as const;

export async function run(): Promise<void> {
  const [load1] = loadavg();
  console.log(
    `  load average (1 min) before the run: ${load1?.toFixed(2)}; ${VIRTUAL_USERS} virtual users; ` +
      'servers in the main thread, clients in a worker thread',
  );
  const setupStarted = performance.now();
  const ts = await startTestServer({ mode: 'development', logLevel: 'warn' });
  const { chainPem, keyPem } = ctxOf(ts).pki.backendApi;
  const baseline = Fastify({ https: backendTlsOptions(chainPem, keyPem), logger: false });
  baseline.post('/echo', async (request) => ({ echo: (request.body as { n?: unknown }).n ?? null }));
  try {
    const serverStartS = (performance.now() - setupStarted) / 1000;
    const users: BenchCredentials[] = [];
    for (let i = 0; i < VIRTUAL_USERS; i++) users.push(await enrollBenchUser(ts, `bench-user-${i}`));
    const setupS = (performance.now() - setupStarted) / 1000 - serverStartS;
    await baseline.listen({ host: '127.0.0.1', port: 0 });
    const address = baseline.server.address();
    if (typeof address !== 'object' || !address) throw new Error('baseline: no listening address');

    console.log(
      `  setup (untimed): server start ${serverStartS.toFixed(1)} s (SQLite, embedded PKI, log level warn, ` +
        `mode development: the simulated phones are unattested); ${VIRTUAL_USERS} users created, ` +
        `desktops enrolled, phones bound in ${setupS.toFixed(1)} s`,
    );
    const flowsPerDesktopAddress = Math.floor(RATE_RULES.auth.limit / 2);
    const flowsPerPhoneAddress = RATE_RULES.mobile.limit;
    console.log(
      `  per-IP limits on: a fresh 127.2.x.y desktop address every ${flowsPerDesktopAddress} flows ` +
        `(/auth ${RATE_RULES.auth.limit}/min), phone address every ${flowsPerPhoneAddress} flows ` +
        `(/mobile ${RATE_RULES.mobile.limit}/min); connections kept alive per address`,
    );

    const server: Target = { port: ts.server.port, ca: ts.ca, banner: ts.server.banner };
    const input: FlowWorkerInput = {
      server,
      baseline: { ...server, port: address.port },
      users,
      flowMs: FLOW_MS,
      baselineMs: BASELINE_MS,
      baselineNewConnectionMs: BASELINE_NEW_CONNECTION_MS,
      flowsPerDesktopAddress,
      flowsPerPhoneAddress,
    };
    const load = new PhaseLoad();
    const pending = runTsWorker<FlowWorkerInput, FlowWorkerResult>(
      new URL('./api-flow.worker.ts', import.meta.url),
      input,
      (mark) => load.mark(mark),
    );
    for (const u of users) u.hpkePrivateKey.fill(0); // the worker has its copy
    const r = await pending;

    const flowsPerSec = r.flow.count / r.flow.seconds;
    console.log(
      `\n  full flow, ${(FLOW_MS / 1000).toFixed(0)} s after 1 warm-up flow per user: ${r.flow.count} flows ` +
        `in ${r.flow.seconds.toFixed(2)} s = ${flowsPerSec.toFixed(1)} flows/s`,
    );
    console.log(tableHeader(LABEL));
    for (const [step, label] of STEPS)
      console.log(tableRow(label, summarize(r.flow.samples[step] ?? []), LABEL));
    const flow = summarize(r.flow.samples.flow ?? []);
    const shares = STEPS.filter(([step]) => step !== 'flow').map(
      ([step]) => `${step} ${((summarize(r.flow.samples[step] ?? []).mean / flow.mean) * 100).toFixed(0)}%`,
    );
    console.log(`  share of the mean flow: ${shares.join(', ')}`);
    const flowLoad = load.of('flow', r.flow.count);
    console.log(`  ${flowLoad.line('flow')}`);

    const ka = summarize(r.keepAlive.samples.request ?? []);
    const nc = summarize(r.newConnection.samples.request ?? []);
    const reqPerSec = r.keepAlive.count / r.keepAlive.seconds;
    console.log(
      `\n  baseline: Fastify ${baseline.version} POST /echo (tiny JSON, logger off), same TLS 1.3 options, ` +
        'certificate and pinned client',
    );
    console.log(tableHeader(LABEL));
    console.log(`${tableRow('keep-alive', ka, LABEL)}  ${reqPerSec.toFixed(0).padStart(6)} req/s`);
    console.log(
      `${tableRow('new TLS connection each', nc, LABEL)}  ` +
        `${(r.newConnection.count / r.newConnection.seconds).toFixed(0).padStart(6)} req/s`,
    );
    const kaLoad = load.of('keep-alive', r.keepAlive.count);
    console.log(`  keep-alive: ${kaLoad.line('request')}`);
    console.log(`  new connection: ${load.of('new-connection', r.newConnection.count).line('request')}`);

    console.log(
      `\n  ratio: whole flow p50 ${flow.p50.toFixed(1)} ms = ${(flow.p50 / ka.p50).toFixed(0)}x a baseline ` +
        `request (p50 ${ka.p50.toFixed(2)} ms, keep-alive), ${(flow.p50 / nc.p50).toFixed(0)}x one on a new ` +
        `TLS connection (p50 ${nc.p50.toFixed(2)} ms)`,
    );
    console.log(
      `  ratio: ${flowsPerSec.toFixed(1)} flows/s vs ${reqPerSec.toFixed(0)} baseline req/s = 1 : ` +
        `${(reqPerSec / flowsPerSec).toFixed(0)} (a flow is 4 requests + open; read with the busy figures above)`,
    );
    console.log(
      `  ratio: server-thread time per flow ${flowLoad.activeMsPerOp.toFixed(1)} ms vs per baseline request ` +
        `${kaLoad.activeMsPerOp.toFixed(3)} ms = ${(flowLoad.activeMsPerOp / kaLoad.activeMsPerOp).toFixed(0)}x ` +
        '(scrypt runs on the libuv pool, outside this figure)',
    );

    // Context for the login figure: the KDF alone, once the bench's own load is gone.
    const stored = await hashPassword('bench password');
    const kdf: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      if (!(await verifyPassword('bench password', stored))) throw new Error('scrypt: verify failed');
      kdf.push(performance.now() - started);
    }
    console.log(
      `  context: one scrypt verify (N=${DEFAULT_SCRYPT.N}, r=${DEFAULT_SCRYPT.r}, p=${DEFAULT_SCRYPT.p}) on its own: ` +
        `p50 ${summarize(kdf).p50.toFixed(1)} ms of 5; ` +
        `server log lines at warn: ${ts.logs().split('\n').filter(Boolean).length}`,
    );
    // Each re-login ends the device's previous session, revokes its certificate and re-signs the
    // int-vpn CRL, whose size (revoked, unexpired certificates) a short run keeps small.
    const revoked = await ctxOf(ts).db.issuedCertificate.count({ where: { revokedAt: { not: null } } });
    console.log(
      `  context: revoked session certificates listed on the int-vpn CRL at the end: ${revoked} ` +
        '(re-signed on every re-login; its cost grows with this number)',
    );
  } finally {
    await baseline.close();
    await ts.stop();
  }
}

/**
 * What each phase cost on this side, timed by the worker's marks: the utilization of this thread's
 * event loop (both servers live here) and the CPU time of the whole process (servers, libuv pool
 * with scrypt, and the client worker), so one can see what saturates first.
 */
class PhaseLoad {
  private open: { name: string; elu: EventLoopUtilization; cpu: NodeJS.CpuUsage; at: number } | null = null;
  private readonly done = new Map<string, { elu: EventLoopUtilization; cpuMs: number; wallMs: number }>();

  mark(name: string): void {
    if (name !== 'end') {
      this.open = {
        name,
        elu: performance.eventLoopUtilization(),
        cpu: process.cpuUsage(),
        at: performance.now(),
      };
      return;
    }
    if (!this.open) return;
    const cpu = process.cpuUsage(this.open.cpu);
    this.done.set(this.open.name, {
      elu: performance.eventLoopUtilization(this.open.elu),
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: performance.now() - this.open.at,
    });
    this.open = null;
  }

  of(phase: string, ops: number) {
    const d = this.done.get(phase);
    const activeMsPerOp = d && ops > 0 ? d.elu.active / ops : Number.NaN;
    return {
      activeMsPerOp,
      line: (unit: string) =>
        d
          ? `server thread's event loop busy ${(d.elu.utilization * 100).toFixed(0)}% of the phase = ` +
            `${activeMsPerOp.toFixed(activeMsPerOp < 1 ? 3 : 1)} ms per ${unit}; whole process used ` +
            `${(d.cpuMs / d.wallMs).toFixed(2)} of ` +
            `${availableParallelism()} cpus`
          : `(no load figures for ${phase})`,
    };
  }
}

/**
 * Setup for one user, the way the tests' fixtures do it: account (scrypt hash), auto-approve fleet
 * token, desktop enrollment over HTTPS (signed, proof of key possession), phone bound with a bind
 * code. Unlike the fixtures' desktop, this one keeps its HPKE private key to open the envelope.
 */
async function enrollBenchUser(ts: TestServer, username: string): Promise<BenchCredentials> {
  const password = `bench ${username} password`;
  const user = await createUser(ts, username, password);
  const token = await createToken(ts, { autoApprove: true });
  const hpke = await generateDeviceKeyPair();
  const signing = generateSigningKeyPair();
  const keys = {
    hpkePublicKey: encodeKey32(hpke.publicKey),
    signingPublicKey: encodeKey32(signing.publicKey),
    fingerprint: deviceFingerprint(hpke.publicKey, signing.publicKey),
    signing,
  };
  const reply = await signedCall<EnrolledDevice>(ts, BACKEND_ROUTES.deviceEnroll.path, {
    keyId: keys.fingerprint,
    secretKey: signing.secretKey,
    json: enrollBody(keys, { username, password, enrollment_token: token }),
    localAddress: freshIp(),
  });
  const enrolled = expectOk(reply, 201, 'enroll');
  if (enrolled.status !== 'active') throw new Error(`enroll: device is ${enrolled.status}, not active`);
  const phone = await boundPhone(ts, user.id);
  return {
    username,
    password,
    deviceId: enrolled.device_id,
    signingSecretKey: signing.secretKey,
    hpkePrivateKey: hpke.privateKey,
    phoneId: phone.mobileDeviceId,
    phoneSecretKey: phone.keys.secretKey,
  };
}
