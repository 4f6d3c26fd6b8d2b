// A stand-in for viworksd's local API on a Unix socket in a temp dir, for unit tests of the CLI's
// own logic (flags, prompts, output, exit codes) through the real LocalClient. It speaks the wire
// contract of core/api/local.ts with a toy state machine; the real daemon has its own tests, and
// end-to-end tests run the CLI against it.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ConnectionState,
  DAEMON_VERSION_HEADER,
  KILL_SWITCH_MODES,
  type KillSwitchInfo,
  type KillSwitchMode,
  LOCAL_API_VERSION_HEADER,
  NETWORK_UNMANAGED,
  type Status,
} from '../../core/api/local.js';
import { POSTURE_UNHARDENED } from '../../core/api/posture.js';
import type { ErrorCode } from '../../core/errors/catalogue.js';
import { ViworksError } from '../../core/errors/viworks-error.js';
import type { DeviceInfo, LogLine, PreflightResponse } from '../../core/localclient/index.js';
import { packageVersion } from '../../core/localclient/index.js';

export const FAKE_PASSWORD = 'correct horse battery';
export const FAKE_OTP = '123456';

export function fakeDevice(over: Partial<DeviceInfo> = {}): DeviceInfo {
  return {
    device_id: '0190f3c2-0000-7000-8000-000000000001',
    fingerprint: 'ab'.repeat(32),
    status: 'active',
    key_protection: 'software',
    key_store: 'file',
    backend_url: 'https://localhost:8443',
    username: 'alice',
    ...over,
  };
}

export interface FakeDaemon {
  readonly socketPath: string;
  /** Every request, bodies included (proof that secrets travel over the socket only). */
  readonly requests: { method: string; path: string; body: Record<string, unknown> | null }[];
  status: Status;
  preflight: PreflightResponse;
  logs: LogLine[];
  /** The next otp() answers password_change_required (a one-time password). */
  oneTimePassword: boolean;
  /** connect() fails at this state with this code. */
  failConnect: { at: ConnectionState; code: ErrorCode } | null;
  /** POST /v1/kill-switch fails with this code (after the fake's own checks). */
  failKillSwitch: ErrorCode | null;
  setState(state: ConnectionState, extra?: Partial<Status>): void;
  /** Changes Status.network.kill_switch (what GET /v1/kill-switch answers); watchers hear of it. */
  setKillSwitch(over: Partial<KillSwitchInfo>): void;
  /** Appends a log line and sends it to `logs --follow` readers. */
  addLog(line: LogLine): void;
  /** Resolves once a watch or follow stream is open. */
  streamOpened(): Promise<void>;
  stop(): Promise<void>;
}

export async function startFakeDaemon(device: DeviceInfo | null = fakeDevice()): Promise<FakeDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'viw-fake-daemon-'));
  const watchers = new Set<ServerResponse>();
  const followers = new Set<ServerResponse>();
  let opened: (() => void) | null = null;
  let grant = false;
  let password = FAKE_PASSWORD;
  const now = () => new Date().toISOString();
  const fake: FakeDaemon = {
    socketPath: join(dir, 'viworksd.sock'),
    requests: [],
    status: {
      v: 1,
      state: device ? 'enrolled' : 'idle',
      daemon_version: packageVersion(),
      device,
      session: null,
      otp_expires_at: null,
      timings: {
        login_ms: null,
        bootstrap_ms: null,
        spa_ms: null,
        tls_handshake_ms: null,
        openvpn_ms: null,
        total_connect_ms: null,
      },
      traffic: null,
      last_error: null,
      network: NETWORK_UNMANAGED,
      posture: POSTURE_UNHARDENED,
      updated_at: now(),
    },
    preflight: { v: 1, ok: true, checks: [{ name: 'clock', ok: true, code: null, detail: 'in sync' }] },
    logs: [{ at: now(), level: 'info', msg: 'viworksd started', state: 'idle' }],
    oneTimePassword: false,
    failConnect: null,
    failKillSwitch: null,
    setState(state, extra = {}) {
      fake.status = { ...fake.status, ...extra, state, updated_at: now() };
      for (const w of watchers) w.write(`${JSON.stringify(fake.status)}\n`);
    },
    setKillSwitch(over) {
      const n = fake.status.network;
      fake.setState(fake.status.state, { network: { ...n, kill_switch: { ...n.kill_switch, ...over } } });
    },
    addLog(line) {
      fake.logs.push(line);
      for (const f of followers) f.write(`${JSON.stringify(line)}\n`);
    },
    streamOpened: () =>
      new Promise<void>((r) => {
        opened = r;
      }),
    stop: async () => {
      for (const w of [...watchers, ...followers]) w.end();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const fail = (code: ErrorCode) => {
    throw new ViworksError(code);
  };
  const routes: Record<string, (body: Record<string, unknown>, res: ServerResponse) => unknown> = {
    'GET /v1/status': () => fake.status,
    'GET /v1/version': () => ({ v: 1, daemon_version: packageVersion(), local_api_version: 1 }),
    'GET /v1/device': () => fake.status.device ?? fail('VIW_E_DEVICE_UNKNOWN'),
    'GET /v1/preflight': () => fake.preflight,
    'POST /v1/enroll': (b) => {
      const d = fakeDevice({
        username: String(b.username),
        status: b.enrollment_token ? 'active' : 'pending_approval',
      });
      if (b.password !== FAKE_PASSWORD) fail('VIW_E_AUTH_FAILED');
      if (!b.enrollment_token)
        return { v: 1, enroll_state: 'otp_required', device: null, otp_expires_at: now() };
      fake.setState('enrolled', { device: d });
      return { v: 1, enroll_state: 'enrolled', device: d, otp_expires_at: null };
    },
    'POST /v1/enroll/confirm': (b) => {
      if (b.otp_code !== FAKE_OTP) fail('VIW_E_OTP_INVALID');
      fake.setState('enrolled', { device: fakeDevice({ status: 'pending_approval' }) });
      return { v: 1, enroll_state: 'enrolled', device: fake.status.device, otp_expires_at: null };
    },
    'POST /v1/login': (b) => {
      if (b.password !== password) fail('VIW_E_AUTH_FAILED');
      fake.setState('otp_pending', { otp_expires_at: now() });
      return { v: 1, state: 'otp_pending', otp_expires_at: fake.status.otp_expires_at };
    },
    'POST /v1/otp': (b) => {
      if (fake.status.state !== 'otp_pending') fail('VIW_E_STATE');
      if (b.otp_code !== FAKE_OTP) fail('VIW_E_OTP_INVALID');
      const change = fake.oneTimePassword;
      fake.oneTimePassword = false;
      grant = !change;
      fake.setState('enrolled', { otp_expires_at: null });
      return { v: 1, state: 'enrolled', password_change_required: change };
    },
    'POST /v1/password': (b) => {
      password = String(b.new_password);
      return { v: 1, state: 'enrolled' };
    },
    'POST /v1/connect': async () => {
      if (!grant) fail('VIW_E_AUTH_REQUIRED');
      grant = false;
      for (const state of ['bootstrapping', 'preflight', 'spa', 'tls', 'openvpn'] as const) {
        fake.setState(state);
        if (fake.failConnect?.at === state) {
          const err = new ViworksError(fake.failConnect.code);
          fake.setState('error', { last_error: { code: err.code, message: err.message, hint: err.hint } });
          throw err;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      const session = {
        session_id: 's-1',
        gateway_fqdn: 'gw.test',
        connected_at: now(),
        expires_at: now(),
        virtual_ip: '10.8.0.6',
        browser: null,
      };
      fake.setState('connected', {
        session,
        timings: { ...fake.status.timings, total_connect_ms: 42 },
        traffic: { bytes_in: 0, bytes_out: 0, last_activity_at: now() },
      });
      return { v: 1, state: 'connected' };
    },
    'POST /v1/disconnect': () => {
      grant = false;
      const k = fake.status.network.kill_switch;
      if (k.holding === 'after_failure')
        fake.setKillSwitch(k.mode === 'always' ? { holding: 'always' } : { active: false, holding: null });
      fake.setState('enrolled', { session: null, traffic: null });
      return { v: 1, state: 'enrolled' };
    },
    'GET /v1/kill-switch': () => fake.status.network.kill_switch,
    // The daemon's rules in small (daemon/engine/network-guard.ts setMode).
    'POST /v1/kill-switch': (b) => {
      const mode = b.mode as KillSwitchMode;
      if (!KILL_SWITCH_MODES.includes(mode)) fail('VIW_E_VALIDATION');
      const k = fake.status.network.kill_switch;
      if (mode !== 'off' && !k.available) fail('VIW_E_KILL_SWITCH');
      if (mode === 'off' && k.required && fake.status.session) {
        throw new ViworksError('VIW_E_STATE', { message: 'The session policy requires the kill switch' });
      }
      if (fake.failKillSwitch) fail(fake.failKillSwitch);
      const connected = fake.status.session !== null;
      const holding: KillSwitchInfo['holding'] =
        mode === 'off' || connected
          ? null
          : mode === 'always'
            ? 'always'
            : k.holding === 'after_failure'
              ? 'after_failure'
              : null;
      fake.setKillSwitch({
        mode,
        allow_lan: typeof b.allow_lan === 'boolean' ? b.allow_lan : k.allow_lan,
        active: mode !== 'off' && (connected || holding !== null),
        holding,
      });
      return fake.status.network.kill_switch;
    },
  };

  const headers = { [DAEMON_VERSION_HEADER]: packageVersion(), [LOCAL_API_VERSION_HEADER]: '1' };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    const path = (req.url ?? '').split('?')[0] ?? '';
    fake.requests.push({ method: req.method ?? '', path: req.url ?? '', body });
    if (path === '/v1/watch' || path === '/v1/logs') {
      res.writeHead(200, { ...headers, 'content-type': 'application/x-ndjson' });
      const set = path === '/v1/logs' ? followers : watchers;
      if (path === '/v1/logs') {
        for (const l of fake.logs) res.write(`${JSON.stringify(l)}\n`);
        if (!(req.url ?? '').includes('follow=1')) return res.end();
      } else res.write(`${JSON.stringify(fake.status)}\n`);
      set.add(res);
      res.on('close', () => set.delete(res));
      opened?.();
      return;
    }
    const route = routes[`${req.method} ${path}`];
    try {
      if (!route) throw new ViworksError('VIW_E_NOT_FOUND');
      const answer = await route(body ?? {}, res);
      res.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(answer));
    } catch (err) {
      const e = err instanceof ViworksError ? err : new ViworksError('VIW_E_INTERNAL');
      res
        .writeHead(e.status, { ...headers, 'content-type': 'application/json' })
        .end(JSON.stringify(e.toBody()));
    }
  });
  await new Promise<void>((r) => server.listen(fake.socketPath, r));
  return fake;
}
