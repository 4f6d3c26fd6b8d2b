// The lab's hands inside the client namespace: what an IT admin, a user and their phone do, through
// the product's own front-ends — the admin API over pinned HTTPS (the client the `viworks admin`
// commands use), the phone simulator, and the real `viworks` CLI talking to the real viworksd.
// Run only through `lab driver <step>` (cli.ts), which enters the client namespace first.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { saveAdminSession } from '../../cli/lib/admin-session.js';
import { adminClientFor, type BackendTrust } from '../../cli/lib/trust.js';
import { hotp, totpStep } from '../../server/services/admin/totp.js';
import { phoneAttestationFile } from './attestation.js';
import { otpStuffing } from './far-client.js';
import type { LabPlan } from './plan.js';
import { repoPath } from './repo.js';
import { type LabState, readLabState } from './state.js';

const ADMIN_USER_FILE = 'admin-account.json';
const DEMO_USER_FILE = 'demo-user.json';
export const DEMO_USERNAME = 'demo';

function b32decode(s: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of s) {
    const idx = alphabet.indexOf(ch);
    if (idx < 0) throw new Error('bad base32');
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

const totp = (secret: Buffer, offset = 0) => hotp(secret, totpStep(Date.now()) + offset, 6, 'SHA1');

function writeSecretJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value)}\n`, { mode: 0o600 });
}

export function trustOf(state: LabState): BackendTrust {
  return {
    backend_url: state.backend.url,
    ca_pem: readFileSync(state.backend.caFile, 'utf8'),
    pins: state.backend.pins,
  };
}

/** Environment for the real CLI and the phone simulator inside the client namespace. */
export function clientEnv(plan: LabPlan): NodeJS.ProcessEnv {
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: join(plan.dirs.client, 'home'),
    XDG_CONFIG_HOME: join(plan.dirs.client, 'admin-config'),
    VIWORKS_ADMIN_TOKEN_STORE: 'file',
    VIWORKSD_SOCKET: join(plan.dirs.client, 'viworksd.sock'),
    LANG: 'C.UTF-8',
  };
}

/**
 * An administrator's first login as `viworks admin login` does it: the one-time password replaced
 * by a new one, TOTP enrolled and confirmed, then a full login. Returns the logged-in client.
 */
export async function adminFirstLogin(plan: LabPlan, username: string, oneTimePassword: string) {
  const client = adminClientFor(trustOf(readLabState(plan)));
  let reply = await client.login(username, oneTimePassword);
  const password = `lab-${randomBytes(18).toString('base64url')}`;
  client.setSessionToken(reply.token ?? null);
  reply = await client.changePassword(oneTimePassword, password);
  client.setSessionToken(reply.token ?? null);
  const enrolled = await client.totpEnroll();
  const secret = b32decode(enrolled.secret);
  reply = await client.totpConfirm(totp(secret));
  // The confirming code is spent; the next step's code is within the accepted window.
  reply = await client.login(username, password, totp(secret, 1));
  const token = reply.token;
  if (reply.state !== 'ok' || !token) throw new Error(`admin login ended in state ${reply.state}`);
  client.setSessionToken(token);
  return { client, reply, token, password, totpSecret: enrolled.secret };
}

/**
 * The first admin's first login (new password, TOTP enrollment, full login), as `viworks admin login`
 * does it; the session is stored where `viworks admin …` finds it. The lab keeps the admin's new
 * password and TOTP secret in a 0600 file of the lab so that later steps can log in again.
 */
export async function setupAdmin(plan: LabPlan): Promise<void> {
  const state = readLabState(plan);
  const first = JSON.parse(readFileSync(join(plan.dirs.backend, 'first-admin.json'), 'utf8')) as {
    username: string;
    one_time_password: string;
  };
  const { client, reply, token, password, totpSecret } = await adminFirstLogin(
    plan,
    first.username,
    first.one_time_password,
  );
  writeSecretJson(join(plan.dirs.client, ADMIN_USER_FILE), {
    username: first.username,
    password,
    totp_secret: totpSecret,
  });
  const me = await client.me();
  process.env.XDG_CONFIG_HOME = join(plan.dirs.client, 'admin-config');
  process.env.VIWORKS_ADMIN_TOKEN_STORE = 'file';
  await saveAdminSession(
    trustOf(state),
    {
      username: me.username,
      role: me.role,
      permissions: me.permissions,
      expires_at: reply.expires_at ?? null,
    },
    token,
  );
}

/**
 * Dual approval: a second administrator (made with `viworks admin users create`, its first login
 * done here) approves a pending policy change the lab's first administrator made.
 */
export async function approveAsSecondAdmin(plan: LabPlan, changeId: string): Promise<unknown> {
  const created = await viworks(plan, ['admin', 'users', 'create', 'second-admin', '--role', 'Admin']);
  if (created.code !== 0) throw new Error(`admin users create: ${JSON.stringify(created.json)}`);
  const { client } = await adminFirstLogin(plan, 'second-admin', String(created.json.one_time_password));
  return client.approvePolicyChange(changeId);
}

/** Runs `viworks …` (the built CLI) in this namespace; returns the parsed --json object. */
export async function viworks(
  plan: LabPlan,
  args: readonly string[],
  opts: { stdin?: (w: NodeJS.WritableStream) => Promise<void>; timeoutMs?: number } = {},
): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  return runJson(plan, [repoPath('dist/cli/bin/viworks.js'), ...args, '--json'], opts);
}

export async function phone(plan: LabPlan, args: readonly string[], timeoutMs = 60_000) {
  const state = readLabState(plan);
  const common = [
    '--server',
    state.backend.url,
    '--ca',
    state.backend.caFile,
    '--pin',
    state.backend.pins.primary_b64,
  ];
  const argv = [repoPath('dist/mobile/sim/viworks-phone.js'), ...args, ...common];
  argv.push('--pin', state.backend.pins.backup_b64, '--state', join(plan.dirs.phone, 'phone.json'), '--json');
  return runJson(plan, argv, { timeoutMs });
}

function runJson(
  plan: LabPlan,
  argv: readonly string[],
  opts: { stdin?: (w: NodeJS.WritableStream) => Promise<void>; timeoutMs?: number },
): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { env: clientEnv(plan), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
    });
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString('utf8');
    });
    child.stdin.on('error', () => {});
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    if (opts.stdin) opts.stdin(child.stdin).catch(reject);
    else child.stdin.end();
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve({ code: code ?? -1, json: JSON.parse(line) as Record<string, unknown>, stderr: err });
      } catch {
        reject(
          new Error(`${argv[0]} ${argv[1] ?? ''} printed no JSON (exit ${code}): ${err.trim().slice(-600)}`),
        );
      }
    });
  });
}

export interface DemoUser {
  readonly username: string;
  password: string;
  /** Set once the first connect replaced the one-time password. */
  changed: boolean;
}

export function readDemoUser(plan: LabPlan): DemoUser {
  return JSON.parse(readFileSync(join(plan.dirs.client, DEMO_USER_FILE), 'utf8')) as DemoUser;
}

/** A one-use, auto-approving fleet token written to `tokenFile` (0600) by the admin CLI. */
async function oneUseToken(plan: LabPlan, tokenFile: string): Promise<void> {
  const token = await viworks(plan, [
    'admin',
    'enrollment-tokens',
    'create',
    '--max-uses',
    '1',
    '--auto-approve',
    '--out',
    tokenFile,
  ]);
  if (token.code !== 0) throw new Error(`admin enrollment-tokens create: ${JSON.stringify(token.json)}`);
}

/**
 * A user with a bound phone and an enrolled desktop: admin creates the user (one-time password) and a
 * bind code, the phone simulator binds, the admin issues a one-use fleet token, and `viworks enroll
 * --token-file` enrolls this machine's daemon.
 */
export async function enrollDemo(plan: LabPlan): Promise<{ deviceId: string }> {
  const state = readLabState(plan);
  const created = await viworks(plan, ['admin', 'users', 'create', DEMO_USERNAME]);
  if (created.code !== 0) throw new Error(`admin users create: ${JSON.stringify(created.json)}`);
  const demo: DemoUser = {
    username: DEMO_USERNAME,
    password: String(created.json.one_time_password),
    changed: false,
  };
  writeSecretJson(join(plan.dirs.client, DEMO_USER_FILE), demo);
  const bind = await viworks(plan, ['admin', 'users', 'bind-code', DEMO_USERNAME]);
  if (bind.code !== 0) throw new Error(`admin users bind-code: ${JSON.stringify(bind.json)}`);
  const bound = await phone(plan, [
    'bind',
    '--code',
    String(bind.json.code),
    '--attestation',
    phoneAttestationFile(plan),
  ]);
  if (bound.code !== 0) throw new Error(`phone bind: ${JSON.stringify(bound.json)}`);
  const tokenFile = join(plan.dirs.client, 'fleet.token');
  await oneUseToken(plan, tokenFile);
  const enrolled = await viworks(
    plan,
    [
      'enroll',
      '--backend',
      state.backend.url,
      '--ca',
      state.backend.caFile,
      '--pin',
      state.backend.pins.primary_b64,
      '--pin',
      state.backend.pins.backup_b64,
      '--username',
      DEMO_USERNAME,
      '--token-file',
      tokenFile,
      '--password-stdin',
    ],
    { stdin: async (w) => void w.end(`${demo.password}\n`) },
  );
  if (enrolled.code !== 0) throw new Error(`viworks enroll: ${JSON.stringify(enrolled.json)}`);
  return { deviceId: String((enrolled.json.device as { device_id: string }).device_id) };
}

/** The next code the phone shows (other than `previous`), as a person reads it off the screen. */
export async function phoneCode(plan: LabPlan, previous: string | null): Promise<string> {
  const deadline = Date.now() + 90_000;
  let last = '';
  while (Date.now() < deadline) {
    const otp = await phone(plan, ['otp', '--wait', '--timeout', '30'], 60_000);
    const code = (otp.json.otp as { code?: string } | null)?.code;
    if (code && code !== previous) return code;
    last = JSON.stringify(otp.json).slice(0, 400);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the phone showed no new code; it last said ${last}`);
}

/**
 * `viworks connect --password-stdin --otp-stdin --new-password-stdin`, typing like a person: the
 * password, then — once the phone shows it — the code, then a new password if the one-time password
 * must be replaced (the first time).
 */
export async function connectDemo(plan: LabPlan) {
  const demo = readDemoUser(plan);
  const next = `pw-${randomBytes(12).toString('base64url')}`;
  // The wall a user feels: the `viworks connect` process from its start to its exit (the phone's
  // code included), without the start-up of this driver around it.
  const started = performance.now();
  const r = await viworks(plan, ['connect', '--password-stdin', '--otp-stdin', '--new-password-stdin'], {
    timeoutMs: 180_000,
    stdin: async (w) => {
      w.write(`${demo.password}\n`);
      const first = await phoneCode(plan, null);
      if (demo.changed) return void w.end(`${first}\n`);
      // First login: the one-time password is replaced, then the daemon logs in again with the new
      // one, and the phone shows a second code.
      w.write(`${first}\n${next}\n`);
      w.end(`${await phoneCode(plan, first)}\n`);
    },
  });
  if (r.code === 0 && !demo.changed) {
    demo.password = next;
    demo.changed = true;
    writeSecretJson(join(plan.dirs.client, DEMO_USER_FILE), demo);
  }
  return { ...r, wall_ms: Math.round(performance.now() - started) };
}

/**
 * The SIEM test plan's credential stuffing (far-client.ts): the demo user's current password (a
 * connect must have replaced the one-time one) and a fresh one-use token, `attempts` wrong codes
 * from the three far sources.
 */
export async function otpStuffingDemo(plan: LabPlan, attempts: number) {
  const demo = readDemoUser(plan);
  if (!demo.changed)
    throw new Error('otp-stuffing: connect the demo user once first (its password is one-time)');
  const tokenFile = join(plan.dirs.client, 'far.token');
  await oneUseToken(plan, tokenFile);
  return otpStuffing(
    plan,
    { username: demo.username, password: demo.password, token: readFileSync(tokenFile, 'utf8').trim() },
    attempts,
  );
}

export type { LabState };

/**
 * The admin registers the gateway — its SSH host key pinned from the node itself, never learned on
 * first use — then the backend provisions it over SSH and its health is checked.
 */
export async function registerGateway(plan: LabPlan): Promise<Record<string, unknown>> {
  const state = readLabState(plan);
  if (!state.gateway) throw new Error('the gateway node is not prepared');
  const add = await viworks(plan, [
    'admin',
    'gateways',
    'add',
    '--name',
    'default',
    '--fqdn',
    plan.gatewayFqdn,
    '--address',
    plan.gateway.address,
    '--ssh-host',
    plan.gateway.address,
    '--ssh-port',
    '2222',
    '--ssh-host-key',
    state.gateway.hostKeyFingerprint,
    '--backend-cidr',
    `${plan.backend.address}/32`,
    '--vpn-network',
    plan.vpnNetwork,
    '--push-route',
    plan.internal.network,
  ]);
  if (add.code !== 0) throw new Error(`admin gateways add: ${JSON.stringify(add.json)}`);
  const provision = await viworks(plan, ['admin', 'gateways', 'provision', 'default'], {
    timeoutMs: 180_000,
  });
  if (provision.code !== 0) throw new Error(`admin gateways provision: ${JSON.stringify(provision.json)}`);
  const health = await viworks(plan, ['admin', 'gateways', 'health', 'default']);
  if (health.code !== 0) throw new Error(`admin gateways health: ${JSON.stringify(health.json)}`);
  return health.json;
}
